"""Stock availability for integrations (``GET /api/v1/stock/?sku=…``)."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from inventory.selectors import availability
from ordersite.api.models import Scope
from ordersite.api.problems import Problem

MAX_SKUS = 100


class WarehouseStock(serializers.Serializer):
    code = serializers.CharField()
    available = serializers.IntegerField()


class SkuStock(serializers.Serializer):
    sku = serializers.CharField()
    active = serializers.BooleanField()
    available = serializers.IntegerField()
    warehouses = WarehouseStock(many=True)


class Stock(APIView):
    scopes = {"GET": Scope.INVENTORY_READ}

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "sku", str, many=True, required=True, description=_("Up to 100 SKUs.")
            )
        ],
        responses=SkuStock(many=True),
        summary=_("Units available per SKU"),
        operation_id="stock_read",
    )
    def get(self, request):
        skus = [x[:64] for x in request.query_params.getlist("sku") if x.strip()]
        if not 1 <= len(skus) <= MAX_SKUS:
            raise Problem(
                status_code=422,
                code="invalid_input",
                detail=_("Ask for 1 to %(n)s SKUs (?sku=A&sku=B).") % {"n": MAX_SKUS},
                errors=[{"field": "/sku", "code": "count", "detail": "1–100 SKUs"}],
            )
        return Response(SkuStock(availability(skus=skus), many=True).data)

"""Returns for integrations: open a return request (``returns:write``), with the
same policy checks as the status page, idempotent by ``Idempotency-Key``; read it
back with its progress."""

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.core.models import Order
from orders.exceptions import AlreadyRecorded, OrderError
from ordersite.api.auth import caller
from ordersite.api.idempotency import key_of, key_parameter, key_reused
from ordersite.api.models import Scope
from ordersite.api.problems import Problem
from ordersite.api.services import KeyReused, body_hash, idempotent
from ordersite.limits import QUANTITY_CEILING
from returns import services
from returns.models import Outcome, Reason, Return, ReturnPolicy, Source
from returns.policy import review_words

MAX_LINES = 100


class ReturnLineIn(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField(min_value=1, max_value=QUANTITY_CEILING)
    reason = serializers.ChoiceField(choices=Reason.choices)
    reason_text = serializers.CharField(
        max_length=500, required=False, allow_blank=True, default=""
    )


class ReturnIn(serializers.Serializer):
    order = serializers.CharField(max_length=20, help_text="The order's number.")
    lines = ReturnLineIn(many=True, min_length=1, max_length=MAX_LINES)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    wish = serializers.CharField(
        max_length=500,
        required=False,
        allow_blank=True,
        default="",
        help_text="For an exchange: what the customer would like instead.",
    )
    note = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )


class ReturnLineOut(serializers.Serializer):
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    reason = serializers.CharField()
    received_quantity = serializers.IntegerField(allow_null=True)
    grade = serializers.CharField()
    refund = serializers.DecimalField(max_digits=12, decimal_places=2, allow_null=True)


class ReturnOut(serializers.Serializer):
    number = serializers.CharField()
    order = serializers.CharField()
    status = serializers.CharField()
    outcome = serializers.CharField()
    needs_review_because = serializers.ListField(child=serializers.CharField())
    return_address = serializers.CharField(allow_blank=True)
    instructions = serializers.CharField(allow_blank=True)
    shop_pays_shipping = serializers.BooleanField()
    refund_amount = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True
    )
    decision_note = serializers.CharField(allow_blank=True)
    replacement_order = serializers.CharField(allow_null=True)
    lines = ReturnLineOut(many=True)


def return_out(rma: Return) -> dict:
    approved = rma.status not in ("requested", "rejected", "cancelled")
    policy = ReturnPolicy.current()
    words = review_words()
    return {
        "number": rma.number,
        "order": rma.order.number,
        "status": rma.status,
        "outcome": rma.outcome,
        "needs_review_because": [words.get(c, c) for c in rma.review_reasons],
        "return_address": policy.return_address if approved else "",
        "instructions": policy.instructions if approved else "",
        "shop_pays_shipping": rma.shop_pays_shipping,
        "refund_amount": rma.refund_due,
        "decision_note": rma.decision_note,
        "replacement_order": rma.replacement_order.number
        if rma.replacement_order_id
        else None,
        "lines": [
            {
                "sku": line.order_line.sku,
                "quantity": line.quantity,
                "reason": line.reason,
                "received_quantity": line.received_quantity,
                "grade": line.grade,
                "refund": line.refund_amount,
            }
            for line in rma.lines.select_related("order_line")
        ],
    }


def _asked(order: Order, lines: list[dict]) -> list[services.Asked]:
    """The order's lines by SKU; an unknown SKU is a problem naming its place."""
    by_sku = {}
    for line in order.lines.order_by("pk"):
        by_sku.setdefault(line.sku, line)
    asked, problems = [], []
    for i, x in enumerate(lines):
        line = by_sku.get(x["sku"])
        if line is None:
            problems.append(
                {
                    "field": f"/lines/{i}/sku",
                    "code": "not_on_order",
                    "detail": _("%(sku)s is not on this order.") % {"sku": x["sku"]},
                }
            )
            continue
        asked.append(
            services.Asked(
                line_id=line.pk,
                quantity=x["quantity"],
                reason=x["reason"],
                reason_text=x["reason_text"],
            )
        )
    if problems:
        raise Problem(
            status_code=422,
            code="not_on_order",
            detail=_("The return was not accepted; nothing was written."),
            errors=problems,
        )
    return asked


class Returns(APIView):
    scopes = {"POST": Scope.RETURNS_WRITE}

    @extend_schema(
        request=ReturnIn,
        responses={201: ReturnOut, 200: ReturnOut},
        parameters=[key_parameter("return")],
        summary=_("Open a return request"),
        operation_id="returns_create",
    )
    def post(self, request):
        form = ReturnIn(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        order = get_object_or_404(Order, number=d["order"])
        key = key_of(request)
        asked = _asked(order, d["lines"])

        def make() -> str:
            return services.return_request(
                order=order,
                asked=asked,
                outcome=d["outcome"],
                actor=caller(request),
                source=Source.API,
                note=d["note"],
                wish=d["wish"],
            ).number

        try:
            if key:
                rma, replayed = idempotent(
                    api_key=request.auth,
                    key=key,
                    digest=body_hash(request.data),
                    make=make,
                    find=lambda number: Return.objects.get(number=number),
                )
            else:
                rma, replayed = Return.objects.get(number=make()), False
        except services.ReturnRefused as exc:
            raise Problem(
                status_code=422,
                code="not_returnable",
                detail=_("The return was not accepted; nothing was written."),
                errors=[
                    {"field": "/lines", "code": "policy", "detail": reason}
                    for reason in exc.reasons
                ],
            ) from exc
        except KeyReused:
            raise key_reused("return") from None
        except (AlreadyRecorded, OrderError) as exc:
            raise Problem(
                status_code=422, code="invalid_return", detail=str(exc)
            ) from exc
        response = Response(
            ReturnOut(return_out(rma)).data,
            status=status.HTTP_200_OK if replayed else status.HTTP_201_CREATED,
        )
        response["Location"] = reverse("api:return", args=[rma.number])
        if replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class ReturnDetail(APIView):
    scopes = {"GET": Scope.RETURNS_WRITE}

    @extend_schema(
        responses=ReturnOut,
        summary=_("Read a return and its progress"),
        operation_id="returns_read",
    )
    def get(self, request, number):
        rma = get_object_or_404(
            Return.objects.select_related("order"), number=number[:20]
        )
        return Response(ReturnOut(return_out(rma)).data)

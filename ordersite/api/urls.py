"""The API's addresses: /api/v1/…, the OpenAPI schema and its browsable docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from inventory.api import Stock
from orders.api.views import OrderCancel, OrderDetail, Orders
from returns.api import ReturnDetail, Returns

app_name = "api"

urlpatterns = [
    path("v1/orders/", Orders.as_view(), name="orders"),
    path("v1/orders/<str:number>/", OrderDetail.as_view(), name="order"),
    path("v1/orders/<str:number>/cancel/", OrderCancel.as_view(), name="order_cancel"),
    path("v1/stock/", Stock.as_view(), name="stock"),
    path("v1/returns/", Returns.as_view(), name="returns"),
    path("v1/returns/<str:number>/", ReturnDetail.as_view(), name="return"),
    path(
        "schema/",
        SpectacularAPIView.as_view(authentication_classes=[], permission_classes=[]),
        name="schema",
    ),
    path(
        "docs/",
        SpectacularSwaggerView.as_view(
            url_name="api:schema", authentication_classes=[], permission_classes=[]
        ),
        name="docs",
    ),
]

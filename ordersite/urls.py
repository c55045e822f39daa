"""Top-level URLs: the admin, the home page, and each audience's pages."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, register_converter

from orders.customer import pay as customer_pay
from orders.intake.views import store_webhook
from ordersite import staff, views
from ordersite.limits import RowIdConverter
from returns import customer as returns_customer

register_converter(RowIdConverter, "id")

admin.site.site_header = "ordersite administration"
admin.site.site_title = "ordersite"
admin.site.index_title = "Orders, inventory and returns"

staff_patterns = (
    [
        path("", staff.dashboard, name="dashboard"),
        path("login/", staff.StaffLoginView.as_view(), name="login"),
        path(
            "logout/",
            auth_views.LogoutView.as_view(next_page="staff:login"),
            name="logout",
        ),
    ],
    "staff",
)

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("track/<str:token>/return/", include("returns.customer_urls")),
    path("track/", include("orders.customer.urls")),
    path("returns/policy/", returns_customer.policy_page, name="return_policy"),
    path(
        "pay/test/<str:link_token>/",
        include(([path("", customer_pay.test_gateway, name="test")], "pay")),
    ),
    path("staff/", include(staff_patterns)),
    path("staff/inventory/", include("inventory.urls")),
    path("staff/returns/", include("returns.urls")),
    path("staff/", include("orders.staff.urls")),
    path("admin/", admin.site.urls),
    path("api/", include("ordersite.api.urls")),
    path("hooks/stores/<str:slug>/", store_webhook, name="store_webhook"),
]

handler400 = "ordersite.views.bad_request"
handler403 = "ordersite.views.forbidden"
handler404 = "ordersite.views.not_found"
handler500 = "ordersite.views.server_error"

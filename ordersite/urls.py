"""Top-level URLs: the admin, the home page, and each audience's pages as they arrive."""

from django.contrib import admin
from django.urls import path

from orders import views as order_views

admin.site.site_header = "ordersite administration"
admin.site.site_title = "ordersite"
admin.site.index_title = "Orders, inventory and returns"

urlpatterns = [
    path("", order_views.home, name="home"),
    path("healthz", order_views.healthz, name="healthz"),
    path("admin/", admin.site.urls),
]

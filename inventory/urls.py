from django.urls import path

from inventory import views

app_name = "inventory"

urlpatterns = [
    path("", views.stock_list, name="stock"),
    path("health/", views.health, name="health"),
    path("products/<str:sku>/", views.product_detail, name="product"),
    path("receipts/", views.receipt_list, name="receipts"),
    path("receipts/new/", views.receipt_new, name="receipt_new"),
    path("receipts/<str:number>/", views.receipt_detail, name="receipt"),
    path(
        "receipts/<str:number>/reverse/",
        views.receipt_reverse,
        name="receipt_reverse",
    ),
    path(
        "movements/<id:pk>/reverse/",
        views.adjustment_reverse,
        name="adjustment_reverse",
    ),
    path("counts/", views.count_list, name="counts"),
    path("counts/new/", views.count_new, name="count_new"),
    path("counts/<str:number>/", views.count_detail, name="count"),
    path("counts/<str:number>/approve/", views.count_approve, name="count_approve"),
    path("counts/<str:number>/cancel/", views.count_cancel, name="count_cancel"),
]

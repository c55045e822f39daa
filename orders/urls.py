from django.urls import path

from orders import views

app_name = "orders"

urlpatterns = [
    path("orders/", views.order_list, name="list"),
    path("orders/new/", views.order_new, name="new"),
    path("orders/bulk/", views.orders_bulk, name="bulk"),
    path("pick-list/", views.pick_list, name="pick_list"),
    path("packing-slips/", views.packing_slip, name="packing_slips"),
    path("orders/<str:number>/", views.order_detail, name="detail"),
    path(
        "orders/<str:number>/verification/",
        views.order_verification,
        name="verification",
    ),
    path("orders/<str:number>/payment/", views.order_payment, name="payment"),
    path("orders/<str:number>/correct/", views.order_correct, name="correct"),
    path("orders/<str:number>/pack/", views.order_pack, name="pack"),
    path("orders/<str:number>/ship/", views.order_ship, name="ship"),
    path("orders/<str:number>/read-back/", views.order_read_back, name="read_back"),
    path(
        "orders/<str:number>/move/<str:name>/",
        views.order_transition,
        name="transition",
    ),
    path("orders/<str:number>/note/", views.order_note, name="note"),
    path("orders/<str:number>/reply/", views.order_reply, name="reply"),
    path("backorders/", views.backorders, name="backorders"),
    path(
        "backorders/<str:number>/split/", views.backorder_split, name="backorder_split"
    ),
    path("invoices/<str:number>/", views.invoice, name="invoice"),
    path("invoices/<str:number>.pdf", views.invoice_pdf, name="invoice_pdf"),
]

from django.urls import path

from orders.staff import (
    delays,
    emails,
    entry,
    fulfilment,
    imports,
    intake,
    money,
    orders,
    verification,
)

app_name = "orders"

urlpatterns = [
    path("orders/", orders.order_list, name="list"),
    path("intake/", intake.deliveries, name="intake"),
    path("delays/", delays.delay_list, name="delays"),
    path("delays/review/", delays.delay_review, name="delay_review"),
    path("delays/actions/<id:action_id>/done/", delays.action_done, name="action_done"),
    path("delays/<id:delay_id>/", delays.delay_detail, name="delay"),
    path("delays/<id:delay_id>/explain/", delays.delay_explain, name="delay_explain"),
    path("delays/<id:delay_id>/close/", delays.delay_close, name="delay_close"),
    path(
        "delays/<id:delay_id>/compensation/",
        delays.compensation_offer,
        name="compensation_offer",
    ),
    path(
        "compensation/<id:offer_id>/approve/",
        delays.compensation_approve,
        name="compensation_approve",
    ),
    path("orders/<str:number>/promise/", delays.order_promise, name="promise"),
    path("import/", imports.import_upload, name="import_upload"),
    path("import/template.csv", imports.import_template, name="import_template"),
    path("import/<id:job_id>/", imports.import_job, name="import"),
    path("import/<id:job_id>/run/", imports.import_run, name="import_run"),
    path(
        "import/<id:job_id>/progress/", imports.import_progress, name="import_progress"
    ),
    path(
        "intake/<id:delivery_id>/process/", intake.delivery_again, name="intake_again"
    ),
    path("orders/new/", entry.order_new, name="new"),
    path("orders/new/customers/", entry.customer_picker, name="customer_picker"),
    path("orders/new/products/", entry.product_picker, name="product_picker"),
    path("orders/bulk/", orders.orders_bulk, name="bulk"),
    path("orders/views/", orders.saved_view_save, name="view_save"),
    path(
        "orders/views/<id:view_id>/delete/",
        orders.saved_view_delete,
        name="view_delete",
    ),
    path("pick-list/", fulfilment.pick_list, name="pick_list"),
    path("packing-slips/", fulfilment.packing_slip, name="packing_slips"),
    path("orders/<str:number>/", orders.order_detail, name="detail"),
    path(
        "orders/<str:number>/verification/",
        verification.order_verification,
        name="verification",
    ),
    path("orders/<str:number>/payment/", money.order_payment, name="payment"),
    path("orders/<str:number>/refund/", money.order_refund, name="refund"),
    path(
        "orders/<str:number>/refunds/<id:refund_id>/retry/",
        money.refund_retry,
        name="refund_retry",
    ),
    path(
        "orders/<str:number>/refund-excess/",
        money.order_refund_excess,
        name="refund_excess",
    ),
    path(
        "orders/<str:number>/request-balance/",
        money.order_request_balance,
        name="request_balance",
    ),
    path("orders/<str:number>/discount/", money.order_discount, name="discount"),
    path(
        "orders/<str:number>/discounts/<id:discount_id>/remove/",
        money.order_discount_remove,
        name="discount_remove",
    ),
    path("orders/<str:number>/correct/", entry.order_correct, name="correct"),
    path("orders/<str:number>/pack/", fulfilment.order_pack, name="pack"),
    path("orders/<str:number>/ship/", fulfilment.order_ship, name="ship"),
    path("orders/<str:number>/read-back/", entry.order_read_back, name="read_back"),
    path(
        "orders/<str:number>/move/<str:name>/",
        orders.order_transition,
        name="transition",
    ),
    path("orders/<str:number>/note/", orders.order_note, name="note"),
    path("orders/<str:number>/assign/", orders.order_assign, name="assign"),
    path(
        "orders/<str:number>/emails/<id:notification_id>/",
        emails.order_email,
        name="email",
    ),
    path("orders/<str:number>/reply/", orders.order_reply, name="reply"),
    path(
        "orders/<str:number>/problems/<id:issue_id>/resolve/",
        orders.order_resolve_problem,
        name="resolve_problem",
    ),
    path("backorders/", fulfilment.backorders, name="backorders"),
    path(
        "backorders/<str:number>/split/",
        fulfilment.backorder_split,
        name="backorder_split",
    ),
    path("invoices/<str:number>/", money.invoice, name="invoice"),
    path("invoices/<str:number>.pdf", money.invoice_pdf, name="invoice_pdf"),
]

"""The data migration to typed facts: rows written by the old code read as well or better after it."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("orders", "0013_fulfilment_and_correction_events"), ("ordersite", None)]


def _latest():
    """Every app at its latest migration (what the rest of the tests expect)."""
    executor = MigrationExecutor(connection)
    leaves = executor.loader.graph.leaf_nodes()
    return sorted(leaves, key=lambda key: key[0] != "orders")  # orders first


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    executor.loader.build_graph()
    # the other apps stay as they are: at their latest migration, unless going
    # back unapplied them too (returns depends on a later orders migration)
    latest = [
        key
        for key in executor.loader.graph.leaf_nodes()
        if key[0] not in {app for app, _name in targets}
        and key in executor.loader.applied_migrations
    ]
    return executor.loader.project_state([targets[0], *latest]).apps


@pytest.fixture
def old_world(transactional_db):
    """The database as the old code left it, with rows in the old shapes."""
    apps = _migrate(BEFORE)
    User = apps.get_model("auth", "User")
    Warehouse = apps.get_model("inventory", "Warehouse")
    Product = apps.get_model("inventory", "Product")
    StockItem = apps.get_model("inventory", "StockItem")
    TaxClass = apps.get_model("inventory", "TaxClass")
    Customer = apps.get_model("orders", "Customer")
    Order = apps.get_model("orders", "Order")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    OrderNote = apps.get_model("orders", "OrderNote")
    OrderIssue = apps.get_model("orders", "OrderIssue")
    Notification = apps.get_model("orders", "Notification")
    CustomerMessage = apps.get_model("orders", "CustomerMessage")
    Refund = apps.get_model("orders", "Refund")
    Payment = apps.get_model("orders", "Payment")

    clerk = User.objects.create(username="old-clerk", is_staff=True)
    TaxClass.objects.get_or_create(code="standard", defaults={"name": "Standard"})
    warehouse = Warehouse.objects.create(code="main", name="Main", is_default=True)
    product = Product.objects.create(
        sku="OLD-1", name="Old beans", unit_price="9.50", tax_class_id="standard"
    )
    item = StockItem.objects.create(product=product, warehouse=warehouse, on_hand=5)
    buyer = Customer.objects.create(
        name="Erika Alt", email="erika.alt@example.com", shipping_address="Altweg 1"
    )
    order = Order.objects.create(
        number="ORD-000001",
        customer=buyer,
        channel="phone",
        shipping_address="Altweg 1",
        shipping_country="DE",
        currency="EUR",
        total="19.00",
        status="completed",
    )
    note = OrderNote.objects.create(order=order, author=clerk, body="Call first")
    issue = OrderIssue.objects.create(order=order, reason="damaged", details="Dented")
    CustomerMessage.objects.create(order=order, body="Thanks!")
    payment = Payment.objects.create(
        order=order, method="card", provider="test_card", amount="19.00"
    )

    def event(type, message="", data=None, actor=None, **fields):
        return OrderEvent.objects.create(
            order=order,
            type=type,
            message=message,
            data=data or {},
            actor=actor,
            **fields,
        )

    event("placed", "Order placed via Phone.", {"channel": "phone", "total": "19.00", "currency": "EUR"}, clerk, to_status="placed", customer_visible=True)  # fmt: skip
    event(
        "checked",
        "Details checked. Accepted price differences: The pricing rules say 9.50; this line has 8.00 (manual: friend).",
        {"checked": ["Customer", "Address", "OLD-1", "Totals"], "price_warnings": ["The pricing rules say 9.50; this line has 8.00 (manual: friend)."]},
        clerk,
    )  # fmt: skip
    event("status_changed", "Order details confirmed.", {"second_check_waived": False}, clerk, from_status="placed", to_status="verified", customer_visible=True)  # fmt: skip
    event("stock_allocated", "Stock allocated to every line.", {"allocations": [{"line_id": 1, "stock_item_id": item.pk, "quantity": 2}]}, clerk)  # fmt: skip
    event("status_changed", "", {}, clerk, from_status="verified", to_status="allocated", customer_visible=True)  # fmt: skip
    event("payment", "Card payment of 19.00 EUR started.", {"payment_id": payment.pk, "provider": "test_card", "method": "card", "amount": "19.00", "captured": "0.00", "status": "pending"}, clerk)  # fmt: skip
    event("payment", "19.00 captured.", {"payment_id": payment.pk, "provider": "test_card", "method": "card", "amount": "19.00", "captured": "19.00", "status": "captured"}, clerk)  # fmt: skip
    event("status_changed", "Payment received.", {}, None, from_status="allocated", to_status="paid", customer_visible=True)  # fmt: skip
    event("pack_check", "Pack check failed: OLD-2 is not on this order (scanned 1). OLD-1: 1 of 2 scanned.", {"scanned": {"OLD-1": 1, "OLD-2": 1}, "problems": ["OLD-2 is not on this order (scanned 1).", "OLD-1: 1 of 2 scanned."]}, clerk)  # fmt: skip
    event("shipment_created", "Shipped with DHL, tracking number 123: 2 × OLD-1.", {"shipment_id": 9, "carrier": "DHL", "tracking_number": "123", "contents": [{"sku": "OLD-1", "quantity": 2}]}, clerk, customer_visible=True)  # fmt: skip
    event("status_changed", "Your order has shipped.", {"shipment_id": 9}, clerk, from_status="packed", to_status="shipped", customer_visible=True)  # fmt: skip
    event("note_added", "Call first", {"note_id": note.pk}, clerk)
    event("customer_issue", "The customer reports: Something arrived damaged. Dented", {"issue_id": issue.pk, "reason": "damaged"}, None, customer_visible=True)  # fmt: skip
    event("status_changed", "The customer confirmed receipt (4/5).", {}, None, from_status="delivered", to_status="completed", customer_visible=True)  # fmt: skip
    event("corrected", "Corrected (asked by email): OLD-1 1 → 2; removed OLD-3; shipping address.", {"reason": "asked by email", "changes": ["OLD-1 1 → 2", "removed OLD-3", "shipping address"], "check_reset": True}, clerk)  # fmt: skip
    queued = Notification.objects.create(
        order=order,
        kind="order_received",
        to_email=buyer.email,
        subject="We have received your order ORD-000001",
        body_text="…",
        body_html="…",
        status="failed",
        attempts=7,
        last_error="451 try again",
    )
    event("notification_queued", f"Email “{queued.subject}” to {buyer.email}.", {"kind": "order_received", "notification_id": queued.pk})  # fmt: skip
    skipped = Notification.objects.create(
        order=order,
        kind="order_completed",
        essential=False,
        to_email=buyer.email,
        subject="Thank you",
        body_text="…",
        body_html="…",
        status="skipped",
    )
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        outcome="original_method",
        amount="2.00",
        reason="Dented",
        idempotency_key="k",
        status="pending",
        attempts=1,
    )
    yield {
        "order": order.pk,
        "clerk": clerk.pk,
        "queued": queued.pk,
        "skipped": skipped.pk,
        "refund": refund.pk,
        "note": note.pk,
        "issue": issue.pk,
        "email": buyer.email,
    }
    _migrate(_latest())  # leave the database as the other tests expect it


@pytest.mark.django_db(transaction=True)
def test_old_rows_become_typed_facts_that_read_as_well(old_world):
    _migrate(_latest())
    from orders.events.timeline import timeline
    from orders.models import Notification, Order, OrderEvent, Refund

    order = Order.objects.get(pk=old_world["order"])
    types = list(order.events.order_by("pk").values_list("type", flat=True))
    assert types[:9] == [
        "placed",
        "first_check_recorded",
        "verified",
        "allocated",  # the old "stock allocated" row merged into its status change
        "payment_started",
        "payment_captured",
        "paid",
        "pack_check_failed",
        "parcel_shipped",
    ]
    assert "stock_allocated" not in types and "status_changed" not in types
    # rows that had no fact of their own get one
    assert "customer_message" in types
    # no email address copied anywhere in the audit trail any more
    for event in OrderEvent.objects.all():
        assert old_world["email"] not in str(event.data)
    # structured data recovered from the old prose
    pack = order.events.get(type="pack_check_failed")
    assert pack.data["problems"] == [
        {"sku": "OLD-2", "scanned": 1, "expected": 0},
        {"sku": "OLD-1", "scanned": 1, "expected": 2},
    ]
    completed = order.events.get(type="completed")
    assert (completed.actor_kind, completed.data["rating"]) == ("customer", 4)
    allocated = order.events.get(type="allocated")
    assert allocated.data["allocations"][0]["warehouse"] == "main"
    # the timeline reads as before, or better
    staff_text = "\n".join(e.text for e in timeline(order))
    for expected in (
        "Order placed via Phone: 19.00 EUR.",
        "Accepted price differences",
        "Stock allocated: 2 × OLD-1 @ main.",
        "19.00 EUR captured (card).",
        "Pack check failed: OLD-2 is not on this order (scanned 1); OLD-1: 1 scanned, 2 to pack.",
        "Parcel with DHL, tracking number 123: 2 × OLD-1.",
        "Internal note: Call first",
        "The customer reports: Something arrived damaged. Dented",
        "The customer confirmed receipt (4/5).",
        "Corrected (asked by email): OLD-1 1 → 2; removed OLD-3; shipping address.",
        "Email “Order received” queued.",
    ):
        assert expected in staff_text, expected
    customer_text = [e.text for e in timeline(order, audience="customer")]
    assert "You confirmed receipt. Thank you!" in customer_text
    assert "Your order has shipped." in customer_text
    # each notification's delivery kept its state; a skipped one stays unsent
    queued = Notification.objects.get(pk=old_world["queued"])
    assert (queued.status, queued.attempts, queued.last_error) == (
        "failed",
        7,
        "451 try again",
    )
    assert Notification.objects.get(pk=old_world["skipped"]).status == "skipped"
    # a refund still waiting for the provider is in the outbox, to be carried out
    refund = Refund.objects.get(pk=old_world["refund"])
    assert (refund.delivery.kind, refund.delivery.status) == ("refund", "pending")


@pytest.mark.django_db(transaction=True)
def test_existing_orders_get_what_their_payments_hold(old_world):
    """Migration 0021 fills Order.amount_held from the payments and refunds already
    there (and creates the indexes on a table with rows, which PostgreSQL refuses
    after an update in the same transaction)."""
    _migrate(_latest())
    from orders.models import Order
    from orders.money.position import money_position

    order = Order.objects.get(pk=old_world["order"])
    assert order.refunds.exists()  # the old world's order had money going back
    assert order.amount_held == money_position(order).held != 0

"""Side effects of the order services: stock, payments, events, notifications, staleness."""

from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Sum

from inventory.models import StockItem, StockMovement
from orders.core import services
from orders.exceptions import InvalidOrder, OrderChanged
from orders.fulfilment import services as fulfilment
from orders.models import Order, OrderEvent, OrderLineAllocation, OrderStatus, Payment
from orders.money import payments, pricing
from orders.notifications.emails import Kind
from orders.stock import services as stock_services
from orders.verification import services as verification
from orders.verification.checklist import checklist_keys
from tests.factories.inventory import ProductFactory, WarehouseFactory

S = OrderStatus


def _stock(product) -> StockItem:
    return StockItem.objects.get(product=product)


def _ledger_matches(item: StockItem) -> bool:
    sums = item.movements.aggregate(
        on_hand=Sum("on_hand_delta"), allocated=Sum("allocated_delta")
    )
    item.refresh_from_db()
    return (sums["on_hand"] or 0, sums["allocated"] or 0) == (
        item.on_hand,
        item.allocated,
    )


@pytest.mark.django_db
class TestPlacement:
    def test_prices_are_captured_and_totals_computed_in_decimal(self, stock):
        from tests.factories.orders import CustomerFactory

        a, b = (
            ProductFactory(unit_price=Decimal("19.99")),
            ProductFactory(unit_price=Decimal("0.10")),
        )
        order = services.order_place(
            customer=CustomerFactory(),
            channel="phone",
            lines=[
                pricing.LineInput(product=a, quantity=3),
                pricing.LineInput(product=b, quantity=7),
            ],
            shipping_total=Decimal("4.90"),
        )
        a.unit_price = Decimal("99.00")
        a.save()
        order.refresh_from_db()
        assert [line.unit_price for line in order.lines.all()] == [
            Decimal("19.99"),
            Decimal("0.10"),
        ]
        # 19 % German VAT on each line and on shipping, each rounded half up
        assert order.subtotal == Decimal("60.67")
        assert order.tax_total == Decimal("11.39") + Decimal("0.13") + Decimal("0.93")
        assert order.total == Decimal("60.67") + Decimal("4.90") + Decimal("12.45")
        assert order.events.first().type == OrderEvent.Type.PLACED

    @pytest.mark.parametrize(
        ("lines", "message"),
        [
            ([], "at least one line"),
            ([("p", 0)], "from 1 to"),
            ([("p", 1, 1.5)], "not 1.5"),
        ],
    )
    def test_bad_input_is_refused_and_nothing_is_written(self, lines, message):
        from tests.factories.orders import CustomerFactory

        product = ProductFactory()
        inputs = [pricing.LineInput(product, *rest) for _p, *rest in lines]
        with pytest.raises(InvalidOrder, match=message):
            services.order_place(
                customer=CustomerFactory(), channel="web", lines=inputs
            )
        assert not Order.objects.exists()

    def test_an_inactive_product_cannot_be_ordered(self):
        from tests.factories.orders import CustomerFactory

        product = ProductFactory(active=False)
        with pytest.raises(InvalidOrder, match="not sold"):
            services.order_place(
                customer=CustomerFactory(),
                channel="web",
                lines=[pricing.LineInput(product, 1)],
            )


@pytest.mark.django_db
class TestInventoryCheck:
    def test_allocation_reserves_stock_and_records_it(self, order_in):
        order = order_in(S.ALLOCATED)
        line = order.lines.get()
        item = _stock(line.product)
        assert (item.on_hand, item.allocated) == (line.quantity, line.quantity)
        assert OrderLineAllocation.objects.get(line=line).quantity == line.quantity
        assert _ledger_matches(item)

    def test_shortage_backorders_with_the_missing_quantity_per_line(
        self, place, crew, stock
    ):
        scarce, plenty = ProductFactory(), ProductFactory()
        stock(scarce, 1)
        stock(plenty, 10)
        order = place([(scarce, 3), (plenty, 2)], stocked=False)
        order = verification.order_record_first_check(
            order=order, actor=crew.clerk, checked=checklist_keys(order)
        )
        order = verification.order_verify(order=order, actor=crew.verifier)
        order = stock_services.order_check_inventory(order=order, actor=crew.warehouse)
        assert order.status == S.BACKORDERED
        missing = {line.sku: line.backordered_quantity for line in order.lines.all()}
        assert missing == {scarce.sku: 2, plenty.sku: 0}
        # nothing was allocated: the check is all or nothing
        assert StockItem.objects.filter(allocated__gt=0).count() == 0
        assert order.events.filter(type=OrderEvent.Type.BACKORDERED).get().data[
            "missing"
        ] == [
            {
                "line_id": order.lines.get(sku=scarce.sku).pk,
                "sku": scarce.sku,
                "missing": 2,
            }
        ]

    def test_a_backordered_order_allocates_once_stock_arrives(self, place, crew, stock):
        product = ProductFactory()
        order = place([(product, 2)], stocked=False)
        order = verification.order_record_first_check(
            order=order, actor=crew.clerk, checked=checklist_keys(order)
        )
        order = verification.order_verify(order=order, actor=crew.verifier)
        order = stock_services.order_check_inventory(order=order, actor=crew.warehouse)
        stock(product, 5)
        order = stock_services.order_check_inventory(order=order, actor=None)
        assert order.status == S.ALLOCATED
        assert order.lines.get().backordered_quantity == 0
        assert _stock(product).allocated == 2
        assert order.events.latest("pk").actor is None  # the system moved it


@pytest.mark.django_db
class TestCancellation:
    def test_cancelling_releases_allocated_stock(self, order_in, crew):
        order = order_in(S.PAID)
        product = order.lines.get().product
        assert _stock(product).allocated > 0
        order = services.order_cancel(
            order=order, actor=crew.clerk, reason="Customer request"
        )
        item = _stock(product)
        assert item.allocated == 0
        assert item.on_hand == order.lines.get().quantity
        assert not OrderLineAllocation.objects.filter(line__order=order).exists()
        assert item.movements.filter(
            kind=StockMovement.Kind.RELEASE, reference=order.number
        ).exists()
        assert _ledger_matches(item)

    def test_cancelling_a_held_order_releases_its_stock(self, order_in, crew):
        order = order_in(S.ALLOCATED)
        order = services.order_hold(order=order, actor=crew.clerk, reason="Check")
        order = services.order_cancel(
            order=order, actor=crew.clerk, reason="Customer request"
        )
        assert _stock(order.lines.get().product).allocated == 0

    def test_cancelling_refunds_captured_payments_and_voids_pending_ones(
        self, order_in, crew, django_capture_on_commit_callbacks
    ):
        from orders.models import Invoice, Refund

        order = order_in(S.ALLOCATED)
        payments.payment_record_manual(
            order=order,
            method="bank_transfer",
            amount=order.total - Decimal("5.00"),
            actor=crew.clerk,
        )
        pending = payments.payment_record_manual(
            order=order,
            method="invoice",
            amount=Decimal("5.00"),
            actor=crew.clerk,
            received=False,
        )
        with django_capture_on_commit_callbacks(execute=True):
            order = services.order_cancel(
                order=order, actor=crew.clerk, reason="Out of business"
            )
        pending.refresh_from_db()
        assert pending.status == Payment.Status.VOIDED
        captured = order.payments.exclude(pk=pending.pk).get()
        assert (captured.status, captured.amount_refunded) == (
            Payment.Status.REFUNDED,
            captured.amount_captured,
        )
        refund = Refund.objects.get(order=order)
        assert refund.status == Refund.Status.SUCCEEDED
        assert refund.idempotency_key == f"cancel:{order.pk}"
        assert (
            Invoice.objects.filter(order=order, kind=Invoice.Kind.CREDIT_NOTE).count()
            == 1
        )
        assert order.events.filter(
            type=OrderEvent.Type.REFUNDED, customer_visible=True
        ).exists()
        # the facts come in the order things happened: cancelled, then the money
        types = list(order.events.values_list("type", flat=True))
        assert types.index("cancelled") < types.index("payment_void_requested")
        assert types.index("cancelled") < types.index("refund_requested")

    def test_a_placed_order_cancels_without_touching_stock(self, order_in, crew):
        order = order_in(S.PLACED)
        services.order_cancel(order=order, actor=crew.clerk, reason="Duplicate")
        assert not StockMovement.objects.filter(
            kind=StockMovement.Kind.RELEASE
        ).exists()


@pytest.mark.django_db
def test_shipping_takes_the_units_out_of_stock(order_in, crew):
    order = order_in(S.SHIPPED)
    line = order.lines.get()
    item = _stock(line.product)
    assert (item.on_hand, item.allocated) == (0, 0)
    shipment = order.shipments.get()
    assert [(sl.order_line_id, sl.quantity) for sl in shipment.lines.all()] == [
        (line.pk, line.quantity)
    ]
    assert _ledger_matches(item)


@pytest.mark.django_db
def test_allocation_prefers_the_default_warehouse_then_splits(
    place, crew, stock, warehouse
):
    product = ProductFactory()
    other = WarehouseFactory(code="north")
    stock(product, 2)  # default warehouse
    stock(product, 5, where=other)
    order = place([(product, 4)], stocked=False)
    order = verification.order_record_first_check(
        order=order, actor=crew.clerk, checked=checklist_keys(order)
    )
    order = verification.order_verify(order=order, actor=crew.verifier)
    stock_services.order_check_inventory(order=order, actor=crew.warehouse)
    taken = dict(
        OrderLineAllocation.objects.values_list(
            "stock_item__warehouse__code", "quantity"
        )
    )
    assert taken == {"main": 2, "north": 2}


@pytest.mark.django_db
class TestStaleness:
    def test_a_stale_copy_cannot_move_the_order(self, order_in, crew, staff):
        order = order_in(S.PACKED)
        stale = Order.objects.get(pk=order.pk)
        services.order_cancel(order=order, actor=crew.clerk, reason="Customer request")
        with pytest.raises(OrderChanged, match="changed by someone else"):
            fulfilment.order_ship(
                order=stale, actor=crew.warehouse, carrier="DHL", tracking_number="1"
            )
        assert Order.objects.get(pk=order.pk).status == S.CANCELLED
        assert not order.shipments.exists()


@pytest.mark.django_db
class TestEvents:
    def test_events_are_append_only(self, order_in):
        event = order_in(S.PLACED).events.first()
        event.data = {"rewritten": True}
        with pytest.raises(ValueError, match="append-only"):
            event.save()
        with pytest.raises(ValueError, match="append-only"):
            event.delete()

    def test_hold_reasons_stay_internal(self, order_in, crew):
        order = services.order_hold(
            order=order_in(S.PLACED), actor=crew.clerk, reason="Fraud check"
        )
        event = order.events.latest("pk")
        assert (event.type, event.data, event.customer_visible) == (
            OrderEvent.Type.HELD,
            {"reason": "Fraud check"},
            False,
        )
        assert event.actor_kind == "staff" and event.actor == crew.clerk

    def test_a_note_is_internal_and_on_the_timeline(self, order_in, crew):
        order = order_in(S.PLACED)
        note = services.order_add_note(
            order=order, actor=crew.clerk, body="Prefers mornings"
        )
        event = order.events.latest("pk")
        assert (event.type, event.data, event.customer_visible) == (
            OrderEvent.Type.NOTE_ADDED,
            {"note_id": note.pk},
            False,
        )


@pytest.mark.django_db
class TestNotifications:
    def test_a_committed_change_sends_its_email_after_commit(
        self, order_in, crew, django_capture_on_commit_callbacks, mailoutbox
    ):
        from orders.models import Notification

        order = order_in(S.PACKED)
        mailoutbox.clear()
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            fulfilment.order_ship(
                order=order, actor=crew.warehouse, carrier="DHL", tracking_number="123"
            )
        # the message is written with the change, and waits for the commit
        notification = Notification.objects.get(order=order, kind=Kind.SHIPPED)
        assert notification.status == Notification.Status.PENDING
        assert mailoutbox == []
        for callback in callbacks:
            callback()
        notification.refresh_from_db()
        assert notification.status == Notification.Status.SENT
        [email] = mailoutbox
        assert order.number in email.subject
        assert "123" in email.body and order.tracking_token in email.body
        assert email.alternatives and "text/html" in email.alternatives[0][1]

    def test_a_rolled_back_change_queues_nothing(
        self, order_in, crew, django_capture_on_commit_callbacks
    ):
        order = order_in(S.PACKED)
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            with pytest.raises(RuntimeError), transaction.atomic():
                fulfilment.order_ship(
                    order=order,
                    actor=crew.warehouse,
                    carrier="DHL",
                    tracking_number="123",
                )
                raise RuntimeError("the request failed after the service ran")
        assert callbacks == []
        assert Order.objects.get(pk=order.pk).status == S.PACKED

    def test_each_customer_facing_step_queues_one_notification(
        self, order_in, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            order = order_in(S.COMPLETED)
        kinds = list(
            order.events.filter(type=OrderEvent.Type.EMAIL_QUEUED).values_list(
                "data__kind", flat=True
            )
        )
        assert kinds == [
            Kind.RECEIVED,
            Kind.VERIFIED,
            Kind.PAID,
            Kind.SHIPPED,
            Kind.DELIVERED,
            Kind.COMPLETED,
        ]

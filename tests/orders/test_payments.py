"""The payment state machine for both providers, refunds, store credit, over/under-payment."""

import threading
from decimal import Decimal

import pytest
from django.db import connection

from orders.exceptions import InvalidOrder, TransitionForbidden
from orders.models import Invoice, Order, OrderStatus, Payment, Refund, StoreCreditEntry
from orders.money import payments, refunds
from orders.money.position import money_position
from orders.money.providers import TestCardProvider as Card
from orders.permissions import Role
from ordersite import outbox
from ordersite.models import OutboxMessage

D = Decimal
S = OrderStatus
P = Payment.Status


@pytest.fixture
def allocated(order_in):
    return order_in(S.ALLOCATED)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """``with committed(): …`` runs the block's on-commit work (refund tasks) as a commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _refund(order, crew, committed, amount, key="k", **kwargs):
    with committed():
        made = refunds.payment_refund(
            order=order,
            amount=D(amount),
            reason=kwargs.pop("reason", "x"),
            idempotency_key=key,
            actor=crew.clerk,
            **kwargs,
        )
    for refund in made:
        refund.refresh_from_db()
    return made


def _card(order, crew, number=Card.OK, **kwargs):
    return payments.payment_take_card(
        order=order, amount=order.total, card_number=number, actor=crew.clerk, **kwargs
    )


@pytest.mark.django_db
class TestTestCard:
    def test_authorize_then_capture_pays_the_order_and_invoices_it(
        self, allocated, crew
    ):
        payment = _card(allocated, crew, capture=False)
        assert (payment.status, payment.card_last4, payment.amount_captured) == (
            P.AUTHORIZED,
            "4242",
            0,
        )
        assert Order.objects.get(pk=allocated.pk).status == S.ALLOCATED
        payment = payments.payment_capture(payment=payment, actor=crew.clerk)
        assert (payment.status, payment.amount_captured) == (
            P.CAPTURED,
            allocated.total,
        )
        order = Order.objects.get(pk=allocated.pk)
        assert order.status == S.PAID
        assert order.invoices.get(kind=Invoice.Kind.INVOICE).total == order.total
        steps = list(
            order.events.filter(type__startswith="payment_").values_list(
                "type", "data__payment_id"
            )
        )
        assert steps == [
            ("payment_started", payment.pk),
            ("payment_authorized", payment.pk),
            ("payment_captured", payment.pk),
        ]

    @pytest.mark.parametrize(
        ("number", "message"),
        [
            (Card.DECLINED, "declined"),
            (Card.INSUFFICIENT_FUNDS, "insufficient funds"),
            ("4111111111111111", "unknown card"),
        ],
    )
    def test_declines_fail_the_payment(self, allocated, crew, number, message):
        with pytest.raises(payments.PaymentRefused, match=message):
            _card(allocated, crew, number)
        payment = allocated.payments.get()
        assert (payment.status, payment.amount_captured) == (P.FAILED, 0)
        assert message in payment.failure_message
        assert Order.objects.get(pk=allocated.pk).status == S.ALLOCATED

    def test_a_temporary_failure_is_retried(self, allocated, crew):
        payment = _card(allocated, crew, Card.FIRST_ATTEMPT_FAILS)
        assert payment.status == P.CAPTURED

    def test_a_gateway_that_stays_down_takes_nothing(self, allocated, crew):
        with pytest.raises(payments.PaymentUnavailable, match="Nothing was taken"):
            _card(allocated, crew, Card.ALWAYS_UNAVAILABLE)
        assert allocated.payments.get().status == P.FAILED

    def test_the_full_card_number_is_never_stored(self, allocated, crew):
        _card(allocated, crew)
        stored = " ".join(str(v) for v in Payment.objects.values_list().get())
        assert Card.OK not in stored


@pytest.mark.django_db
class TestManual:
    @pytest.mark.parametrize(
        "method", ["bank_transfer", "cash_on_delivery", "card_by_phone", "invoice"]
    )
    def test_received_money_is_captured_at_once(self, allocated, crew, method):
        payment = payments.payment_record_manual(
            order=allocated,
            method=method,
            amount=allocated.total,
            actor=crew.clerk,
            reference="REF-1",
        )
        assert (payment.provider, payment.status, payment.amount_captured) == (
            "manual",
            P.CAPTURED,
            allocated.total,
        )
        assert Order.objects.get(pk=allocated.pk).status == S.PAID

    def test_an_invoice_waits_for_staff_confirmation_with_a_due_date(
        self, allocated, crew
    ):
        payment = payments.payment_record_manual(
            order=allocated,
            method="invoice",
            amount=allocated.total,
            actor=crew.clerk,
            received=False,
        )
        assert payment.status == P.AUTHORIZED and payment.due_date is not None
        payments.payment_capture(payment=payment, actor=crew.clerk)
        assert Order.objects.get(pk=allocated.pk).status == S.PAID

    def test_void_needs_a_reason_and_an_open_payment(self, allocated, crew, committed):
        payment = payments.payment_record_manual(
            order=allocated,
            method="invoice",
            amount=allocated.total,
            actor=crew.clerk,
            received=False,
        )
        with pytest.raises(InvalidOrder, match="reason"):
            payments.payment_void(payment=payment, actor=crew.clerk, reason="")
        # the provider is called after commit, through the outbox
        with committed():
            requested = payments.payment_void(
                payment=payment, actor=crew.clerk, reason="Customer paid by card"
            )
            assert requested.status == P.AUTHORIZED
        payment = Payment.objects.get(pk=payment.pk)
        assert payment.status == P.VOIDED
        assert list(
            allocated.events.filter(type__startswith="payment_void").values_list(
                "type", "actor_kind"
            )
        ) == [("payment_void_requested", "staff"), ("payment_voided", "system")]
        with pytest.raises(InvalidOrder):
            payments.payment_capture(payment=payment, actor=crew.clerk)
        with pytest.raises(InvalidOrder, match="not yet captured"):
            payments.payment_void(payment=payment, actor=crew.clerk, reason="again")

    def test_only_permitted_staff_take_payments(self, allocated, staff):
        with pytest.raises(TransitionForbidden):
            payments.payment_record_manual(
                order=allocated,
                method="bank_transfer",
                amount=allocated.total,
                actor=staff[Role.WAREHOUSE],
            )

    def test_amounts_must_be_exact_and_positive(self, allocated, crew):
        for bad in (0.5, D("0"), D("-1"), "abc"):
            with pytest.raises(InvalidOrder):
                payments.payment_record_manual(
                    order=allocated,
                    method="bank_transfer",
                    amount=bad,
                    actor=crew.clerk,
                )
        assert not allocated.payments.exists()


@pytest.mark.django_db
class TestRefunds:
    def test_a_partial_refund_goes_to_the_card(self, order_in, crew, committed):
        order = order_in(S.PAID)
        [refund] = _refund(
            order, crew, committed, "1.50", key="r-1", reason="Dented box"
        )
        assert refund.status == Refund.Status.SUCCEEDED
        payment = order.payments.get()
        assert (payment.status, payment.amount_refunded) == (
            P.PARTIALLY_REFUNDED,
            D("1.50"),
        )
        note = Invoice.objects.get(refund=refund)
        assert (note.kind, note.total) == (Invoice.Kind.CREDIT_NOTE, D("1.50"))

    def test_the_same_key_refunds_once(self, order_in, crew, committed):
        order = order_in(S.PAID)
        first = _refund(order, crew, committed, "2.00", key="same")
        again = _refund(order, crew, committed, "2.00", key="same")
        assert [r.pk for r in first] == [r.pk for r in again]
        assert order.payments.get().amount_refunded == D("2.00")
        with pytest.raises(InvalidOrder, match="different amount"):
            _refund(order, crew, committed, "3.00", key="same")

    def test_never_more_than_captured_and_split_newest_first(
        self, allocated, crew, committed
    ):
        first = payments.payment_record_manual(
            order=allocated, method="bank_transfer", amount=D("5.00"), actor=crew.clerk
        )
        second = payments.payment_take_card(
            order=allocated,
            amount=allocated.total - D("5.00"),
            card_number=Card.OK,
            actor=crew.clerk,
        )
        total = allocated.total
        with pytest.raises(InvalidOrder, match="can still be refunded"):
            _refund(allocated, crew, committed, total + D("0.01"), key="too-much")
        refunds = _refund(allocated, crew, committed, total - D("2.00"), key="split")
        assert [(r.payment_id, r.amount) for r in refunds] == [
            (second.pk, second.amount),
            (first.pk, D("3.00")),
        ]
        assert Payment.objects.get(pk=second.pk).status == P.REFUNDED
        assert Payment.objects.get(pk=first.pk).status == P.PARTIALLY_REFUNDED

    def test_a_refused_refund_is_recorded_and_can_be_retried(
        self, allocated, crew, committed
    ):
        _card(allocated, crew, Card.REFUND_DECLINED)
        [refund] = _refund(allocated, crew, committed, "1.00")
        assert refund.status == Refund.Status.FAILED
        assert "refused the refund" in refund.last_error
        assert allocated.events.filter(
            type="refund_failed", data__refund_id=refund.pk
        ).exists()
        with committed():
            refunds.refund_retry(refund=refund, actor=crew.clerk)
        refund.refresh_from_db()
        # a second trip to the provider, refused again: both on record
        assert refund.status == Refund.Status.FAILED
        trips = OutboxMessage.objects.filter(
            kind="refund", payload__refund_id=refund.pk
        )
        assert [t.status for t in trips] == ["failed", "failed"]
        assert refund.delivery == trips.latest("pk")

    def test_temporary_failures_are_retried_by_the_task(
        self, allocated, crew, committed
    ):
        _card(allocated, crew, Card.FIRST_ATTEMPT_FAILS)
        [refund] = _refund(allocated, crew, committed, "1.00")
        assert (refund.status, refund.delivery.attempts) == (Refund.Status.SUCCEEDED, 2)

    def test_a_gateway_that_stays_down_ends_failed_not_lost(
        self, allocated, crew, committed
    ):
        payment = _card(allocated, crew)
        Payment.objects.filter(pk=payment.pk).update(
            card_last4=Card.ALWAYS_UNAVAILABLE[-4:]
        )
        [refund] = _refund(allocated, crew, committed, "1.00")
        assert refund.status == Refund.Status.FAILED
        assert "did not answer" in refund.last_error

    def test_a_refund_delivered_twice_is_paid_once(
        self, order_in, crew, django_capture_on_commit_callbacks
    ):
        order = order_in(S.PAID)
        with django_capture_on_commit_callbacks(execute=False):
            [refund] = refunds.payment_refund(
                order=order,
                amount=D("1.00"),
                reason="x",
                idempotency_key="k",
                actor=crew.clerk,
            )
        # the outbox hands it out twice, and the service is called twice directly
        refund.refresh_from_db()
        outbox.deliver(refund.delivery_id)
        outbox.deliver(refund.delivery_id)
        refunds.refund_execute(refund_id=refund.pk)
        assert order.payments.get().amount_refunded == D("1.00")
        assert Invoice.objects.filter(refund=refund).count() == 1
        assert order.events.filter(type="refunded").count() == 1


@pytest.mark.django_db
def test_refunds_left_behind_are_sent_again(
    order_in, crew, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    order = order_in(S.PAID)
    with django_capture_on_commit_callbacks(execute=False):  # the message is lost
        [refund] = refunds.payment_refund(
            order=order,
            amount=D("1.00"),
            reason="x",
            idempotency_key="lost",
            actor=crew.clerk,
        )
    refund.refresh_from_db()
    assert outbox.sweep() == 0  # too recent to be called lost
    # a worker claimed it and died half-way: the refund is processing, the lease ran out
    Refund.objects.filter(pk=refund.pk).update(status=Refund.Status.PROCESSING)
    OutboxMessage.objects.filter(pk=refund.delivery_id).update(
        status=OutboxMessage.Status.SENDING,
        attempts=1,
        lease_until=timezone.now() - timedelta(seconds=1),
    )
    assert outbox.sweep() == 1
    refund.refresh_from_db()
    assert refund.status == Refund.Status.SUCCEEDED
    assert order.payments.get().amount_refunded == D("1.00")


@pytest.mark.django_db
class TestStoreCredit:
    def test_a_refund_as_store_credit_can_pay_a_later_order(
        self, order_in, crew, committed
    ):
        order = order_in(S.PAID)
        _refund(
            order,
            crew,
            committed,
            "4.00",
            reason="Prefers credit",
            outcome=Refund.Outcome.STORE_CREDIT,
        )
        assert payments.store_credit_balance(customer=order.customer) == D("4.00")
        later = order_in(S.ALLOCATED, customer=order.customer)
        payments.payment_pay_with_store_credit(
            order=later, amount=D("4.00"), actor=crew.clerk
        )
        assert payments.store_credit_balance(customer=order.customer) == 0
        with pytest.raises(InvalidOrder, match="does not cover"):
            payments.payment_pay_with_store_credit(
                order=later, amount=D("0.01"), actor=crew.clerk
            )
        assert StoreCreditEntry.objects.filter(customer=order.customer).count() == 2

    def test_store_credit_can_be_switched_off(
        self, order_in, crew, committed, settings
    ):
        settings.ORDERS_STORE_CREDIT_ALLOWED = False
        order = order_in(S.PAID)
        with pytest.raises(InvalidOrder, match="not offered"):
            _refund(order, crew, committed, "1.00", outcome=Refund.Outcome.STORE_CREDIT)


@pytest.mark.django_db
class TestBalance:
    def test_a_payment_beyond_what_is_owed_is_refused(self, allocated, crew):
        with pytest.raises(InvalidOrder, match="would pay too much"):
            payments.payment_record_manual(
                order=allocated,
                method="bank_transfer",
                amount=allocated.total + D("7.00"),
                actor=crew.clerk,
            )
        assert not allocated.payments.exists()

    def test_overpayment_after_a_discount_is_shown_and_refunded(
        self, allocated, crew, committed
    ):
        payments.payment_record_manual(
            order=allocated,
            method="bank_transfer",
            amount=allocated.total - D("1.00"),
            actor=crew.clerk,
        )
        from orders.money import discounts

        discounts.discount_staff_grant(
            order=Order.objects.get(pk=allocated.pk),
            kind="fixed",
            value=D("8.00"),
            reason="Late",
            actor=crew.clerk,
        )
        order = Order.objects.get(pk=allocated.pk)
        paid = allocated.total - D("1.00")
        assert order.total < paid
        assert money_position(order).refund_due == paid - order.total
        with committed():
            refunds.order_refund_excess(order=order, actor=crew.clerk)
        position = money_position(Order.objects.get(pk=order.pk))
        assert (position.refund_due, position.owed) == (0, 0)

    def test_underpayment_asks_the_customer_for_the_rest(
        self, allocated, crew, committed
    ):
        payments.payment_record_manual(
            order=allocated, method="bank_transfer", amount=D("1.00"), actor=crew.clerk
        )
        with committed():
            due = refunds.order_request_balance(order=allocated, actor=crew.clerk)
        assert due == allocated.total - 1
        assert allocated.events.filter(data__kind="order_balance_due").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_double_submitted_refund_refunds_once(order_in, crew):
    # given a paid order and two clicks on "refund" arriving at the same moment
    order = order_in(S.PAID)
    barrier, results = threading.Barrier(2), []

    def submit():
        try:
            barrier.wait(timeout=10)
            results.append(
                refunds.payment_refund(
                    order=order,
                    amount=D("3.00"),
                    reason="Double click",
                    idempotency_key="click-1",
                    actor=crew.clerk,
                )
            )
        except Exception as exc:  # noqa: BLE001
            results.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # then both callers get the same single refund, and the money moved once
    assert all(isinstance(r, list) for r in results), results
    assert {refund.pk for r in results for refund in r} == set(
        Refund.objects.values_list("pk", flat=True)
    )
    assert Refund.objects.count() == 1
    payment = order.payments.get()
    assert payment.amount_refunded == D("3.00")

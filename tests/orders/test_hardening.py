"""What a careless clerk, a double click and a second tab did to orders and money
(issue 11, items 1, 2, 4, 5 and 7): each is refused with a clear message,
asked about, recorded once, or shown right."""

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from orders.core import services
from orders.exceptions import AlreadyRecorded, InvalidOrder, OrderAlreadyPlaced
from orders.models import Customer, Order, OrderStatus, Payment, Refund
from orders.money import discounts, payments, refunds
from orders.money.position import PaymentStatus, money_position
from orders.money.pricing import LineInput
from orders.permissions import Role
from tests.factories.inventory import ProductFactory
from tests.racing import race

S = OrderStatus
EAN = "4006381333931"


@pytest.fixture
def clerk(client, staff):
    client.force_login(staff[Role.CLERK])
    return client


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def _entry(lines, **header):
    data = {
        "channel": "phone",
        "reference": "Call",
        "shipping": "4.90",
        "email": "new@example.com",
        "name": "Ada New",
        "address": "1 Main St",
        "country": "DE",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        **header,
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return data


# -- 1 and 2: numbers no column can hold ---------------------------------------
@pytest.mark.django_db
class TestOutOfRange:
    @pytest.mark.parametrize("quantity", [EAN, str(10**9), str(2**63), "1e3", "-1"])
    def test_a_new_order_refuses_a_barcode_quantity(self, clerk, quantity):
        ProductFactory(sku="BEANS-1")
        response = clerk.post(
            reverse("orders:new"), _entry([{"sku": "BEANS-1", "quantity": quantity}])
        )
        assert response.status_code == 200
        assert not Order.objects.exists() and not Customer.objects.exists()

    def test_a_large_quantity_times_a_manual_price_is_refused_not_a_crash(
        self, clerk, settings
    ):
        ProductFactory(sku="BEANS-1")
        response = clerk.post(
            reverse("orders:new"),
            _entry(
                [
                    {
                        "sku": "BEANS-1",
                        "quantity": "10000",
                        "unit_price": "99999.99",
                        "price_reason": "Agreed",
                    }
                ],
                confirm_large="on",
            ),
        )
        assert response.status_code == 200
        assert "at most" in response.content.decode()
        assert not Order.objects.exists()

    @pytest.mark.parametrize("quantity", [str(10**12), EAN, str(2**63)])
    def test_a_correction_refuses_a_barcode_and_every_page_still_opens(
        self, clerk, order_in, quantity, admin_client
    ):
        order = order_in(S.PLACED)
        line = order.lines.get()
        response = clerk.post(
            reverse("orders:correct", args=[order.number]),
            {
                f"qty_{line.pk}": quantity,
                "shipping_address": order.shipping_address,
                "shipping_country": order.shipping_country,
                "reason": "scanned",
                "status": order.status,
                "add-TOTAL_FORMS": "0",
                "add-INITIAL_FORMS": "0",
            },
        )
        assert response.status_code == 200
        line.refresh_from_db()
        assert line.quantity < 10**6
        for url in (
            reverse("orders:detail", args=[order.number]),
            reverse("orders:verification", args=[order.number]),
            reverse("orders:correct", args=[order.number]),
            reverse("orders:list"),
            reverse("orders:list") + "?q=" + order.number,
        ):
            assert clerk.get(url).status_code == 200, url
        for url in ("/admin/orders/order/", "/admin/orders/orderline/"):
            assert admin_client.get(url).status_code == 200, url

    def test_the_services_refuse_whoever_calls_them(self, order_in, crew):
        product = ProductFactory()
        for quantity in (0, -3, 10**9, 2**63, "5", 2.5):
            with pytest.raises(InvalidOrder):
                services.order_place(
                    customer=order_in(S.PLACED).customer,
                    channel="phone",
                    lines=[LineInput(product=product, quantity=quantity)],
                )


# -- plausibility ----------------------------------------------------------------
@pytest.mark.django_db
def test_an_unusual_quantity_is_asked_about_then_saved(clerk, settings):
    settings.ORDERS_CONFIRM_QUANTITY_ABOVE = 500
    ProductFactory(sku="BEANS-1")
    data = _entry([{"sku": "BEANS-1", "quantity": "600"}])
    page = clerk.post(reverse("orders:new"), data)
    assert "unusually large quantities: 600 × BEANS-1" in page.content.decode()
    assert 'type="checkbox" name="confirm_large"' in page.content.decode()
    assert not Order.objects.exists()
    clerk.post(reverse("orders:new"), {**data, "confirm_large": "on"})
    assert Order.objects.get().lines.get().quantity == 600


@pytest.mark.django_db
def test_a_correction_to_an_unusual_quantity_is_asked_about(clerk, order_in, settings):
    settings.ORDERS_CONFIRM_QUANTITY_ABOVE = 500
    order = order_in(S.PLACED)
    line = order.lines.get()
    data = {
        f"qty_{line.pk}": "900",
        "shipping_address": order.shipping_address,
        "shipping_country": order.shipping_country,
        "reason": "Customer called",
        "status": order.status,
        "add-TOTAL_FORMS": "0",
        "add-INITIAL_FORMS": "0",
    }
    url = reverse("orders:correct", args=[order.number])
    assert "unusually large" in clerk.post(url, data).content.decode()
    line.refresh_from_db()
    assert line.quantity != 900
    clerk.post(url, {**data, "confirm_large": "on"})
    line.refresh_from_db()
    assert line.quantity == 900


# -- 7: one order per entry page -----------------------------------------------
@pytest.mark.django_db
def test_an_entry_page_sent_twice_saves_one_order_and_one_customer(clerk):
    ProductFactory(sku="BEANS-1")
    page = clerk.get(reverse("orders:new"))
    key = page.context["form"]["submission"].value()
    data = _entry([{"sku": "BEANS-1", "quantity": "2"}], submission=key)
    first = clerk.post(reverse("orders:new"), data)
    second = clerk.post(reverse("orders:new"), data, follow=True)
    order = Order.objects.get()
    assert first.url == reverse("orders:detail", args=[order.number])
    assert f"already saved as {order.number}" in second.content.decode()
    assert Customer.objects.count() == 1
    # a fresh page is a new order
    fresh = clerk.get(reverse("orders:new")).context["form"]["submission"].value()
    assert fresh != key
    clerk.post(
        reverse("orders:new"),
        _entry([{"sku": "BEANS-1", "quantity": "2"}], submission=fresh),
    )
    assert Order.objects.count() == 2 and Customer.objects.count() == 1


# -- 4 and 5: payments and the money position ---------------------------------
@pytest.mark.django_db
class TestPayments:
    def _pay(self, client, order, key, amount=None, method="bank_transfer"):
        return client.post(
            reverse("orders:payment", args=[order.number]),
            {
                "method": method,
                "amount": str(amount or money_position(order).payable),
                "card_number": "4242424242424242",
                "received": "on",
                "submission": key,
            },
            follow=True,
        )

    def test_two_tabs_on_the_payment_page_pay_once(self, clerk, order_in):
        order = order_in(S.ALLOCATED)
        tab1 = clerk.get(reverse("orders:payment", args=[order.number]))
        tab2 = clerk.get(reverse("orders:payment", args=[order.number]))
        key1 = tab1.context["form"]["submission"].value()
        key2 = tab2.context["form"]["submission"].value()
        self._pay(clerk, order, key1)
        again = self._pay(clerk, order, key1)
        assert "already recorded" in again.content.decode()
        other_tab = self._pay(clerk, order, key2, amount=order.total)
        assert "Nothing is owed" in other_tab.content.decode()
        assert order.payments.count() == 1
        order.refresh_from_db()
        assert order.status == S.PAID
        position = money_position(order)
        assert (position.captured, position.owed, position.status) == (
            order.total,
            0,
            PaymentStatus.PAID,
        )

    def test_the_payment_page_is_only_offered_while_something_is_owed(
        self, clerk, order_in
    ):
        order = order_in(S.PAID)
        page = clerk.get(reverse("orders:detail", args=[order.number]))
        assert reverse("orders:payment", args=[order.number]) not in (
            page.content.decode()
        )
        response = clerk.get(reverse("orders:payment", args=[order.number]))
        assert response.status_code == 302
        follow = clerk.get(response.url)
        assert "Nothing is owed on this order." in follow.content.decode()
        assert "0E" not in follow.content.decode()

    def test_a_payment_beyond_what_is_owed_is_refused_on_the_page(
        self, clerk, order_in
    ):
        order = order_in(S.ALLOCATED)
        page = clerk.get(reverse("orders:payment", args=[order.number]))
        key = page.context["form"]["submission"].value()
        response = self._pay(clerk, order, key, amount=order.total + D("0.01"))
        assert "would pay too much" in response.content.decode()
        assert not order.payments.exists()

    def test_an_invoice_awaiting_payment_counts_as_on_its_way(self, order_in, crew):
        order = order_in(S.ALLOCATED)
        payments.payment_record_manual(
            order=order,
            method="invoice",
            amount=order.total,
            actor=crew.clerk,
            received=False,
        )
        with pytest.raises(InvalidOrder, match="already on its way"):
            payments.payment_record_manual(
                order=order, method="bank_transfer", amount=D("1.00"), actor=crew.clerk
            )


@pytest.mark.django_db
class TestMoneyPosition:
    def test_a_cancelled_paid_order_owes_nothing_and_is_refunded(
        self, order_in, crew, committed, clerk, admin_client
    ):
        order = order_in(S.PAID)
        with committed():
            services.order_cancel(order=order, actor=crew.clerk, reason="Changed mind")
        order = Order.objects.get(pk=order.pk)
        position = money_position(order)
        assert (position.owed, position.refund_due, position.status) == (
            0,
            0,
            PaymentStatus.REFUNDED,
        )
        staff_page = clerk.get(reverse("orders:detail", args=[order.number]))
        admin_page = admin_client.get(f"/admin/orders/order/{order.pk}/change/")
        customer_page = clerk.get(reverse("track:order", args=[order.tracking_token]))
        for page in (staff_page, admin_page, customer_page):
            html = page.content.decode()
            assert 'data-payment-status="refunded"' in html
            assert "Still to pay" not in html and "still owes" not in html
            assert f"{order.total:.2f} EUR" in html
            assert "Ask the customer for the balance" not in html

    def test_a_partial_refund_is_not_money_owed(self, order_in, crew, committed):
        order = order_in(S.PAID)
        with committed():
            refunds.payment_refund(
                order=order,
                amount=D("2.00"),
                reason="Dented tin",
                idempotency_key="r1",
                actor=crew.clerk,
            )
        position = money_position(Order.objects.get(pk=order.pk))
        assert position.owed == 0
        assert position.refunded == D("2.00")
        assert position.status == PaymentStatus.PARTLY_REFUNDED
        assert position.refundable == order.total - D("2.00")

    def test_store_credit_given_back_cannot_be_refunded_again(
        self, order_in, crew, committed, settings
    ):
        settings.ORDERS_STORE_CREDIT_ALLOWED = True
        order = order_in(S.PAID)
        with committed():
            refunds.payment_refund(
                order=order,
                amount=order.total,
                reason="Goodwill",
                idempotency_key="credit",
                actor=crew.clerk,
                outcome=Refund.Outcome.STORE_CREDIT,
            )
        with pytest.raises(InvalidOrder, match="can still be refunded"):
            refunds.payment_refund(
                order=order,
                amount=order.total,
                reason="Again",
                idempotency_key="card",
                actor=crew.clerk,
            )
        position = money_position(Order.objects.get(pk=order.pk))
        assert (position.refunded, position.credited, position.refundable) == (
            order.total,
            order.total,
            0,
        )

    def test_amounts_are_quantized_wherever_shown(self, order_in, crew, clerk):
        order = order_in(S.ALLOCATED)
        payments.payment_record_manual(
            order=order, method="bank_transfer", amount=D("1.10"), actor=crew.clerk
        )
        html = clerk.get(reverse("orders:detail", args=[order.number])).content
        owed = money_position(order).owed
        assert f"{owed:.2f} EUR" in html.decode()
        # no amount with more places than cents, no scientific notation
        assert not re.search(r"\d\.\d{3,} EUR|0E-", html.decode())


@pytest.mark.django_db
def test_a_staff_discount_sent_twice_is_given_once(clerk, order_in):
    order = order_in(S.ALLOCATED)
    url = reverse("orders:discount", args=[order.number])
    key = clerk.get(url).context["form"]["submission"].value()
    data = {"kind": "fixed", "value": "1.00", "reason": "Late", "submission": key}
    clerk.post(url, data)
    second = clerk.post(url, data, follow=True)
    assert "already given" in second.content.decode()
    assert order.discounts.count() == 1


# -- at the same moment, on PostgreSQL ---------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_card_payments_at_once_charge_once(order_in, crew):
    order = order_in(S.ALLOCATED)

    def pay(key):
        return lambda: payments.payment_take(
            order=Order.objects.get(pk=order.pk),
            method="card",
            amount=order.total,
            card_number="4242424242424242",
            actor=crew.clerk,
            submission_key=key,
        )

    # the same page twice, and two different tabs
    outcomes = race(pay("tab-1"), pay("tab-1"), pay("tab-2"), pay("tab-3"))
    paid = [o for o in outcomes if isinstance(o, Payment)]
    assert len(paid) == 1, outcomes
    # The repeated page is told it was already recorded, or (if the first one
    # finished first) that nothing more is owed; the other tabs that nothing is owed.
    refusals = (InvalidOrder, AlreadyRecorded)
    assert all(isinstance(o, refusals) for o in outcomes if o not in paid), outcomes
    assert order.payments.count() == 1
    position = money_position(Order.objects.get(pk=order.pk))
    assert (position.captured, position.owed) == (order.total, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_entry_page_sent_twice_at_once_places_one_order_and_one_customer(
    crew,
):
    from django.db import transaction

    from orders.customer import services as customer_side

    product = ProductFactory()

    def enter():
        with transaction.atomic():
            buyer = customer_side.customer_find_or_create(
                email="twice@example.com", name="Ada", address="1 St", country="DE"
            )
            return services.order_place(
                customer=buyer,
                channel="phone",
                lines=[LineInput(product=product, quantity=1)],
                actor=crew.clerk,
                submission_key="entry-page-1",
            )

    outcomes = race(enter, enter, enter)
    placed = [o for o in outcomes if isinstance(o, Order)]
    assert len(placed) == 1, outcomes
    assert all(isinstance(o, OrderAlreadyPlaced) for o in outcomes if o not in placed)
    assert Order.objects.count() == 1
    assert Customer.objects.filter(email="twice@example.com").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_discount_from_two_tabs_at_once_is_given_once(order_in, crew):
    order = order_in(S.ALLOCATED)

    def grant():
        return discounts.discount_staff_grant(
            order=Order.objects.get(pk=order.pk),
            kind="fixed",
            value=D("1.00"),
            reason="Late",
            actor=crew.clerk,
            submission_key="discount-page",
        )

    race(grant, grant, grant)
    assert order.discounts.count() == 1


@pytest.mark.django_db
def test_an_empty_lookup_past_the_rate_limit_is_refused_not_a_crash(settings):
    # found by the fuzzer: an empty POST left the form unbound, and the rate
    # limit's error on an unbound form was a 500
    from django.core.cache import cache
    from django.test import Client

    cache.clear()
    settings.TRACK_LOOKUPS_PER_HOUR = 3
    client = Client(raise_request_exception=False)
    codes = [client.post(reverse("track:lookup"), {}).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 429, 429]

"""The order list stays cheap on a large table: a capped count, the money held
kept on the order, one indexed condition per search, and index-served plans."""

from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from orders.core.selectors import order_list
from orders.models import Order, OrderStatus
from orders.money import payments, refunds
from orders.money.position import money_position
from orders.permissions import Role

S = OrderStatus
URL = reverse("orders:list")


def held(order) -> Decimal:
    return Order.objects.values_list("amount_held", flat=True).get(pk=order.pk)


@pytest.mark.django_db
class TestAmountHeld:
    """Order.amount_held equals the money position's held after every kind of change."""

    def test_payments_refunds_and_store_credit_keep_it(
        self, order_in, crew, staff, settings, django_capture_on_commit_callbacks
    ):
        settings.ORDERS_STORE_CREDIT_ALLOWED = True
        order = order_in(S.ALLOCATED)
        assert held(order) == 0
        with django_capture_on_commit_callbacks(execute=True):
            payments.payment_take(
                order=order,
                method="card",
                amount=order.total,
                card_number="4242424242424242",
                actor=crew.clerk,
            )
        assert held(order) == order.total == money_position(order).held
        manager = staff[Role.MANAGER]
        for outcome, key in (("original_method", "r1"), ("store_credit", "r2")):
            with django_capture_on_commit_callbacks(execute=True):
                refunds.payment_refund(
                    order=Order.objects.get(pk=order.pk),
                    amount=Decimal("1.00"),
                    reason="Dent",
                    idempotency_key=key,
                    actor=manager,
                    outcome=outcome,
                )
        assert held(order) == order.total - 2 == money_position(order).held

    def test_an_order_loaded_before_a_payment_does_not_write_back_a_stale_copy(
        self, order_in, crew
    ):
        order = order_in(S.ALLOCATED)
        stale = Order.objects.get(pk=order.pk)
        payments.payment_record_manual(
            order=order,
            method="bank_transfer",
            amount=Decimal("5.00"),
            actor=crew.clerk,
        )
        stale.shipping_address = "Elsewhere 1"
        stale.save()  # every field but the one the payments keep
        assert held(order) == Decimal("5.00")

    def test_the_payment_filters_read_it(self, clerk_client, order_in, crew):
        unpaid, part, paid = (
            order_in(S.ALLOCATED),
            order_in(S.ALLOCATED),
            order_in(S.PAID),
        )
        payments.payment_record_manual(
            order=part, method="bank_transfer", amount=Decimal("1.00"), actor=crew.clerk
        )
        cancelled = order_in(S.ALLOCATED)
        from orders.core import services

        services.order_cancel(order=cancelled, actor=crew.clerk, reason="Changed mind")
        numbers = lambda r: {o.number for o in r.context["page"]}  # noqa: E731
        assert numbers(clerk_client.get(URL, {"payment": "unpaid"})) == {
            unpaid.number,
            part.number,
        }  # a cancelled order is charged nothing, so never "not covered"
        assert numbers(clerk_client.get(URL, {"payment": "paid"})) == {paid.number}


@pytest.mark.django_db
def test_the_count_stops_at_the_cap_and_the_page_says_so(
    clerk_client, order_in, monkeypatch
):
    import ordersite.pagination

    monkeypatch.setattr(ordersite.pagination, "COUNT_CAP", 3)
    for _ in range(5):
        order_in(S.PLACED)
    response = clerk_client.get(URL, {"size": "25"})
    html = response.content.decode()
    assert response.context["page"].paginator.count == 3
    assert "More than 3 orders" in html
    # the rows themselves are not capped by the count (it only limits paging)
    assert len(response.context["page"]) == 3
    monkeypatch.setattr(ordersite.pagination, "COUNT_CAP", 10)
    response = clerk_client.get(URL)
    assert response.context["page"].paginator.count == 5
    assert "5 orders" in response.content.decode()


@pytest.mark.django_db
def test_a_search_is_one_condition_for_what_was_typed(
    order_in, django_assert_max_num_queries
):
    shipped, _other = order_in(S.SHIPPED), order_in(S.SHIPPED)
    sku = shipped.lines.first().sku
    # an order number typed in lower case is that order alone, not every
    # customer whose name happens to contain it
    assert [o.pk for o in order_list(search=shipped.number.lower())] == [shipped.pk]
    assert {o.pk for o in order_list(search=sku.lower())} >= {shipped.pk}
    assert [o.pk for o in order_list(search=shipped.customer.email.upper())] == [
        shipped.pk
    ]
    sql = str(order_list(search=shipped.number).query)
    assert " OR " not in sql


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "filters, index",
    [
        ({}, "order_placed"),
        ({"statuses": ["completed"]}, "order_status_placed"),
        ({"payment": "unpaid"}, "order_payment_not_covered"),
        ({"sort": "-total"}, "order_total"),
        ({"sort": "ship_by"}, "order_ship_by"),
    ],
)
def test_each_list_query_can_be_served_by_its_index(order_in, filters, index):
    """On a large table these read an index in order and stop after a page; a
    sequential scan of the orders would grow with history."""
    order_in(S.PLACED)
    text = plan(order_list(**filters)[:50])
    assert index in text, text
    assert "Seq Scan on orders_order" not in text, text


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize(
    "lookup, index",
    [
        # either index on UPPER(email) answers an exact email
        ({"email__iexact": "SOMEONE@EXAMPLE.COM"}, "customer_email_"),
        ({"name__icontains": "eber"}, "customer_name_trgm"),
        # the order-entry picker's searches
        ({"email__istartswith": "anna.sch"}, "customer_email_prefix"),
        ({"phone_digits__contains": "301234"}, "customer_phone_digits_trgm"),
        ({"shipping_address__icontains": "10115"}, "customer_address_trgm"),
    ],
)
def test_the_customer_lookups_of_a_search_use_their_index(order_in, lookup, index):
    from orders.models import Customer

    order_in(S.PLACED)
    text = plan(Customer.objects.filter(**lookup).values("pk"))
    assert index in text, text

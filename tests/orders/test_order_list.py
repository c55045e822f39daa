"""The staff order list: filters, search, sorting, paging, CSV, bounded queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orders.models import Order, OrderStatus
from orders.permissions import Role

S = OrderStatus
URL = reverse("orders:list")


@pytest.fixture
def clerk(client, staff):
    client.force_login(staff[Role.CLERK])
    return client


def numbers(response):
    return [o.number for o in response.context["page"]]


@pytest.mark.django_db
class TestFilters:
    def test_status_channel_and_overdue(self, clerk, order_in):
        placed, paid = order_in(S.PLACED), order_in(S.PAID, channel="phone")
        assert numbers(clerk.get(URL, {"status": ["paid"]})) == [paid.number]
        assert numbers(clerk.get(URL, {"channel": "phone"})) == [paid.number]
        from datetime import timedelta

        from django.utils import timezone

        type(placed).objects.filter(pk=placed.pk).update(
            ship_by=timezone.localdate() - timedelta(days=1)
        )
        assert numbers(clerk.get(URL, {"overdue": "on"})) == [placed.number]

    @pytest.mark.parametrize("field", ["number", "email", "name", "sku", "tracking"])
    def test_search_finds_by_each_field(self, clerk, order_in, field):
        order, other = order_in(S.SHIPPED), order_in(S.SHIPPED)
        order.shipments.update(tracking_number="TRACK-UNIQUE-1")
        term = {
            "number": order.number,
            "email": order.customer.email,
            "name": order.customer.name,
            "sku": order.lines.get().sku,
            "tracking": order.shipments.get().tracking_number,
        }[field]
        assert numbers(clerk.get(URL, {"q": term})) == [order.number]
        assert other.number not in numbers(clerk.get(URL, {"q": term}))

    def test_payment_state_and_warehouse(self, clerk, order_in, warehouse):
        allocated, paid = order_in(S.ALLOCATED), order_in(S.PAID)
        assert numbers(clerk.get(URL, {"payment": "paid"})) == [paid.number]
        assert allocated.number in numbers(clerk.get(URL, {"payment": "unpaid"}))
        assert set(numbers(clerk.get(URL, {"warehouse": warehouse.pk}))) == {
            allocated.number,
            paid.number,
        }

    def test_sorting(self, clerk, order_in):
        orders = [order_in(S.PLACED) for _ in range(3)]
        assert numbers(clerk.get(URL, {"sort": "number"})) == [o.number for o in orders]
        assert numbers(clerk.get(URL, {"sort": "-number"})) == [
            o.number for o in reversed(orders)
        ]


@pytest.mark.django_db
def test_query_count_does_not_grow_with_the_page_size(clerk, order_in):
    for _ in range(30):
        order_in(S.PLACED)
    counts = []
    for size in (25, 100):
        with CaptureQueriesContext(connection) as captured:
            response = clerk.get(
                URL, {"size": size, "payment": "unpaid", "q": "Customer"}
            )
        assert response.status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1]
    assert counts[0] <= 12  # the page, its count, staff to assign to, saved views…


@pytest.mark.django_db
def test_csv_export_of_the_filtered_list(clerk, order_in):
    order_in(S.PLACED)
    paid = order_in(S.PAID)
    response = clerk.get(URL, {"status": ["paid"], "format": "csv"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:2] == ["number", "placed_at"]
    assert [r[0] for r in rows[1:]] == [paid.number]


@pytest.mark.django_db
def test_only_staff_see_the_list(client):
    assert client.get(URL).status_code == 302


@pytest.mark.django_db
def test_dashboard_work_queues(clerk, order_in, django_assert_max_num_queries):
    order_in(S.PLACED)
    order_in("checked")
    order_in(S.PAID)
    order_in(S.PACKED)
    # 15 + store deliveries waiting + delay cases to explain + returns waiting
    with django_assert_max_num_queries(18):
        response = clerk.get(reverse("staff:dashboard"))
    queues = {q["key"]: q["count"] for q in response.context["queues"]}
    assert (
        queues["to_verify"],
        queues["second_check"],
        queues["to_pick"],
        queues["to_ship"],
    ) == (1, 1, 1, 1)
    assert response.context["throughput"]["placed_today"] == 4
    html = response.content.decode()
    assert "Awaiting second check" in html and "/staff/orders/?queue=to_pick" in html
    # each card opens exactly its own orders: the two checks no longer share a list
    for key in ("to_verify", "second_check"):
        listed = clerk.get(URL, {"queue": key}).context["page"].paginator.count
        assert listed == queues[key] == 1
    page = clerk.get(URL, {"queue": "second_check"}).content.decode()
    assert 'data-badge="first-checked"' in page


@pytest.mark.django_db
def test_bulk_hold_and_release_each_order_on_its_own(clerk, order_in):
    paid, packed, shipped = order_in(S.PAID), order_in(S.PACKED), order_in(S.SHIPPED)
    numbers = [paid.number, packed.number, shipped.number]
    bulk = reverse("orders:bulk")
    response = clerk.post(bulk, {"action": "hold", "orders": numbers}, follow=True)
    assert "Give a reason" in str(list(response.context["messages"])[0])
    assert Order.objects.filter(status=S.ON_HOLD).count() == 0
    response = clerk.post(
        bulk,
        {"action": "hold", "orders": numbers, "reason": "Address check"},
        follow=True,
    )
    said = [str(m) for m in response.context["messages"]]
    assert said[0] == f"Held: {paid.number}, {packed.number}."
    assert len(said) == 2 and shipped.number in said[1]  # the shipped one refused
    held = Order.objects.filter(status=S.ON_HOLD)
    assert {o.number for o in held} == {paid.number, packed.number}
    assert all(
        o.events.get(type="held").data["reason"] == "Address check" for o in held
    )
    clerk.post(bulk, {"action": "release_hold", "orders": numbers})
    assert Order.objects.get(pk=paid.pk).status == S.PAID
    assert Order.objects.get(pk=packed.pk).status == S.PACKED


@pytest.mark.django_db
def test_saved_views_are_per_person_and_keep_only_the_filters(client, staff, order_in):
    paid = order_in(S.PAID)
    order_in(S.PACKED)
    client.force_login(staff[Role.CLERK])
    save = reverse("orders:view_save")
    response = client.post(
        save,
        {"name": "  Paid,   to pick ", "query": "status=paid&page=7&evil=1&size=25"},
        follow=True,
    )
    [view] = staff[Role.CLERK].saved_views.all()
    assert view.name == "Paid, to pick" and view.query == "status=paid&size=25"
    assert numbers(response) == [paid.number]  # back on the list, filtered
    html = client.get(URL).content.decode()
    assert 'href="?status=paid&amp;size=25"' in html
    # the same name replaces; hostile names are refused
    client.post(save, {"name": "Paid, to pick", "query": "queue=to_pick"})
    assert staff[Role.CLERK].saved_views.get().query == "queue=to_pick"
    for bad in ("", "x" * 10_000):
        response = client.post(save, {"name": bad, "query": ""}, follow=True)
        assert "at most 80 characters" in str(list(response.context["messages"])[-1])
    # nobody else sees or deletes them
    client.force_login(staff[Role.WAREHOUSE])
    assert "Paid, to pick" not in client.get(URL).content.decode()
    delete = reverse("orders:view_delete", args=[view.pk])
    assert client.post(delete).status_code == 404
    client.force_login(staff[Role.CLERK])
    client.post(delete)
    assert not staff[Role.CLERK].saved_views.exists()

"""Orders have an owner: taken from the order page, handed on, assigned in bulk,
and each person has a queue of their own open orders."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from orders.events.models import EventType
from orders.models import Order, OrderStatus
from orders.permissions import Role

S = OrderStatus


def assign(client, order, value):
    return client.post(
        reverse("orders:assign", args=[order.number]), {"assignee": value}, follow=True
    )


def said(response):
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_take_hand_on_and_release_an_order_each_recorded(client, staff, order_in):
    order = order_in(S.PAID)
    clerk, warehouse = staff[Role.CLERK], staff[Role.WAREHOUSE]
    client.force_login(clerk)
    response = assign(client, order, "me")
    assert said(response) == [f"{order.number} is now with {clerk.username}."]
    assert Order.objects.get(pk=order.pk).assigned_to == clerk
    assign(client, order, str(warehouse.pk))
    assert Order.objects.get(pk=order.pk).assigned_to == warehouse
    assign(client, order, str(warehouse.pk))  # the owner it has: nothing recorded
    assign(client, order, "nobody")
    assert Order.objects.get(pk=order.pk).assigned_to is None
    facts = order.events.filter(type=EventType.ASSIGNED).order_by("pk")
    assert [f.data["assignee_id"] for f in facts] == [clerk.pk, warehouse.pk, None]
    assert all(f.actor == clerk for f in facts)
    page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert f"Assigned to {warehouse.username}." in page
    assert "Nobody owns the order now." in page


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["abc", "9" * 13, "-1", "0", "1" * 30])
def test_a_tampered_or_unknown_owner_changes_nothing(client, staff, order_in, value):
    order = order_in(S.PAID)
    client.force_login(staff[Role.CLERK])
    assign(client, order, "me")
    customer_user = get_user_model().objects.create_user("not-staff")
    for bad in (value, str(customer_user.pk)):
        response = assign(client, order, bad)
        assert response.status_code == 200
        assert "Choose a staff member" in said(response)[0]
        assert Order.objects.get(pk=order.pk).assigned_to == staff[Role.CLERK]


@pytest.mark.django_db
def test_my_open_orders_card_and_list_filter(client, staff, order_in):
    clerk = staff[Role.CLERK]
    mine, done, other, free = (
        order_in(S.PAID),
        order_in(S.COMPLETED),
        order_in(S.PAID),
        order_in(S.PAID),
    )
    client.force_login(clerk)
    bulk = reverse("orders:bulk")
    response = client.post(
        bulk,
        {"action": "assign", "assignee": "me", "orders": [mine.number, done.number]},
        follow=True,
    )
    assert said(response) == [
        f"Now with {clerk.username}: {mine.number}, {done.number}."
    ]
    client.post(
        bulk,
        {
            "action": "assign",
            "assignee": str(staff[Role.WAREHOUSE].pk),
            "orders": [other.number],
        },
    )
    dashboard = client.get(reverse("staff:dashboard"))
    card = next(q for q in dashboard.context["queues"] if q["key"] == "mine")
    listed = client.get(reverse("orders:list"), {"owner": "me"}).context["page"]
    assert card["count"] == listed.paginator.count == 1  # the completed one is done
    assert [o.number for o in listed] == [mine.number]
    nobody = client.get(reverse("orders:list"), {"owner": "nobody"}).context["page"]
    assert free.number in [o.number for o in nobody]
    assert mine.number not in [o.number for o in nobody]

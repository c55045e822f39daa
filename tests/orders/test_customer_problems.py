"""Problems customers report are resolved with a reply; the dashboard shows what customers wait for."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.customer import services as customer_side
from orders.exceptions import InvalidOrder, TransitionForbidden
from orders.models import Order, OrderIssue, OrderStatus
from orders.permissions import Role

S = OrderStatus


@pytest.fixture
def reported(order_in):
    """A delivered order whose customer reported a damaged item."""
    order = order_in(S.DELIVERED)
    issue = customer_side.order_report_problem(
        order=order, reason="damaged", details="The lid is cracked"
    )
    return order, issue


def _queues(client, staff):
    client.force_login(staff[Role.MANAGER])
    return {
        q["key"]: q for q in client.get(reverse("staff:dashboard")).context["queues"]
    }


def _listed(client, query) -> list[str]:
    page = client.get(reverse("orders:list"), query).context["page"]
    return [o.number for o in page.object_list]


@pytest.mark.django_db
def test_an_open_problem_holds_the_order_until_staff_resolve_it(
    client, staff, reported, mailoutbox, django_capture_on_commit_callbacks
):
    order, issue = reported
    # the customer cannot confirm yet, and the order does not complete by itself
    page = client.get(reverse("track:order", args=[order.tracking_token]))
    assert not page.context["can_confirm"]
    with pytest.raises(InvalidOrder):
        customer_side.order_confirm_receipt(order=order, rating=5)
    Order.objects.filter(pk=order.pk).update(
        delivered_at=timezone.now() - timedelta(days=30)
    )
    assert customer_side.orders_auto_complete(after_days=14) == []

    # it waits in the dashboard's queue, which opens exactly this order
    queue = _queues(client, staff)["open_problems"]
    assert queue["count"] == 1 and queue["oldest"] is not None
    assert _listed(client, queue["params"]) == [order.number]

    # a returns clerk resolves it with a reply the customer reads and gets by email
    client.force_login(staff[Role.RETURNS])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("orders:resolve_problem", args=[order.number, issue.pk]),
            {"body": "A new lid is on its way."},
        )
    issue.refresh_from_db()
    assert issue.resolved_at is not None
    [email] = mailoutbox
    assert email.to == [order.customer.email] and "A new lid" in email.body
    assert order.events.filter(type="problem_resolved").count() == 1

    # now the customer can confirm, and the queue is empty
    page = client.get(reverse("track:order", args=[order.tracking_token]))
    assert page.context["can_confirm"]
    assert "A new lid is on its way." in page.content.decode()
    assert _queues(client, staff)["open_problems"]["count"] == 0
    assert customer_side.orders_auto_complete(after_days=14) == [order.number]


@pytest.mark.django_db
def test_a_problem_is_resolved_once_with_a_reply(reported, staff):
    order, issue = reported
    with pytest.raises(InvalidOrder, match="reply"):
        customer_side.order_resolve_problem(
            order=order, issue=issue, actor=staff[Role.CLERK], reply="   "
        )
    customer_side.order_resolve_problem(
        order=order, issue=issue, actor=staff[Role.CLERK], reply="Sorry, refunded."
    )
    with pytest.raises(InvalidOrder, match="already resolved"):
        customer_side.order_resolve_problem(
            order=order, issue=issue, actor=staff[Role.MANAGER], reply="Again"
        )
    assert order.messages.filter(from_customer=False).count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.ALL)
def test_only_those_who_answer_customers_resolve_problems(
    client, staff, reported, role
):
    order, issue = reported
    allowed = role in (Role.CLERK, Role.RETURNS, Role.MANAGER)
    if not allowed:
        with pytest.raises(TransitionForbidden):
            customer_side.order_resolve_problem(
                order=order, issue=issue, actor=staff[role], reply="Hello"
            )
    client.force_login(staff[role])
    response = client.post(
        reverse("orders:resolve_problem", args=[order.number, issue.pk]),
        {"body": "Hello"},
    )
    assert response.status_code == (302 if allowed else 403)
    assert (OrderIssue.objects.get(pk=issue.pk).resolved_at is not None) is allowed


@pytest.mark.django_db
def test_a_problem_of_another_order_cannot_be_resolved_through_this_one(
    client, staff, reported, order_in
):
    order, issue = reported
    other = order_in(S.DELIVERED)
    client.force_login(staff[Role.CLERK])
    response = client.post(
        reverse("orders:resolve_problem", args=[other.number, issue.pk]),
        {"body": "Hello"},
    )
    assert response.status_code == 404
    assert OrderIssue.objects.get(pk=issue.pk).resolved_at is None


@pytest.mark.django_db
def test_messages_waiting_for_an_answer_are_a_queue(
    client, staff, order_in, django_capture_on_commit_callbacks
):
    asked, answered = order_in(S.SHIPPED), order_in(S.SHIPPED)
    for order in (asked, answered):
        customer_side.message_from_customer(order=order, body="When will it arrive?")
    customer_side.message_from_staff(
        order=answered, body="Tomorrow.", actor=staff[Role.CLERK]
    )
    queue = _queues(client, staff)["awaiting_reply"]
    assert queue["count"] == 1
    assert _listed(client, queue["params"]) == [asked.number]
    # a second question on the answered order puts it back in the queue
    customer_side.message_from_customer(order=answered, body="And the invoice?")
    assert _queues(client, staff)["awaiting_reply"]["count"] == 2


@pytest.mark.django_db
def test_the_dashboard_costs_the_same_queries_however_many_problems(
    client, staff, order_in
):
    client.force_login(staff[Role.MANAGER])
    url = reverse("staff:dashboard")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for _n in range(4):
        order = order_in(S.DELIVERED)
        customer_side.order_report_problem(order=order, reason="other", details="x")
        customer_side.message_from_customer(order=order, body="?")
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)

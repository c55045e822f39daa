"""Customer emails open from the order's timeline and can be sent again, once per click."""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from orders.events.models import EventType
from orders.models import Notification, OrderStatus
from orders.permissions import Role
from ordersite.models import OutboxMessage

S = OrderStatus


def email_url(order, notification):
    return reverse("orders:email", args=[order.number, notification.pk])


@pytest.mark.django_db
def test_an_email_opens_from_the_timeline_as_the_customer_reads_it(
    client, staff, order_in
):
    order = order_in(S.VERIFIED)
    received = order.notifications.get(kind="order_received")
    client.force_login(staff[Role.WAREHOUSE])
    page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert email_url(order, received) in page
    html = client.get(email_url(order, received)).content.decode()
    assert received.subject in html and received.to_email in html
    assert "srcdoc=" in html and "sandbox" in html
    assert "Send again" not in html  # the warehouse does not write to customers


@pytest.mark.django_db
def test_sending_again_writes_a_new_email_with_its_own_outbox_row_and_a_fact(
    client, staff, order_in
):
    order = order_in(S.VERIFIED)
    original = order.notifications.get(kind="order_verified")
    client.force_login(staff[Role.CLERK])
    seen = client.get(email_url(order, original)).context["seen"]
    response = client.post(email_url(order, original), {"seen": seen}, follow=True)
    again = order.notifications.latest("pk")
    assert again.resent_from == original
    assert again.pk != original.pk and again.delivery_id != original.delivery_id
    assert (again.subject, again.body_text) == (original.subject, original.body_text)
    assert OutboxMessage.objects.filter(pk=again.delivery_id, status="pending").exists()
    fact = order.events.get(type=EventType.EMAIL_RESENT)
    assert fact.actor == staff[Role.CLERK]
    assert fact.data == {"resent_from": original.pk, "kind": "order_verified"}
    queued = order.events.filter(type=EventType.EMAIL_QUEUED).latest("pk")
    assert queued.data["notification_id"] == again.pk and queued.pk > fact.pk
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith(order.number) and "sent again" in message
    # the same page posted again (a double click, a second tab) sends nothing more
    response = client.post(email_url(order, original), {"seen": seen}, follow=True)
    assert "already sent again" in str(list(response.context["messages"])[0])
    # a tampered field counts as nothing seen: still refused, never a 500
    response = client.post(email_url(order, original), {"seen": "9" * 40})
    assert response.status_code == 302
    assert order.notifications.count() == 3  # received, verified, once again
    # a page drawn after the resend may send it once more, on purpose
    seen = client.get(email_url(order, original)).context["seen"]
    client.post(email_url(order, original), {"seen": seen})
    assert order.notifications.count() == 4


@pytest.mark.django_db
def test_only_staff_who_write_to_customers_may_send_again(client, staff, order_in):
    order = order_in(S.VERIFIED)
    original = order.notifications.get(kind="order_verified")
    client.force_login(staff[Role.WAREHOUSE])
    response = client.post(email_url(order, original), {"seen": "0"}, follow=True)
    assert "You may not" in str(list(response.context["messages"])[0])
    assert not Notification.objects.filter(order=order, pk__gt=original.pk).exists()
    other = order_in(S.VERIFIED)
    assert client.get(email_url(other, original)).status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_sending_the_same_email_again_at_once_send_it_once(staff, order_in):
    from orders.notifications.services import notification_resend
    from orders.staff.common import last_fact_id

    order = order_in(S.VERIFIED)
    original = order.notifications.get(kind="order_verified")
    seen = last_fact_id(order)
    start, outcomes = threading.Barrier(2), []

    def tab():
        try:
            start.wait()
            notification_resend(
                notification=original, actor=staff[Role.CLERK], seen_fact=seen
            )
            outcomes.append("sent")
        except Exception as exc:  # noqa: BLE001 - the refusal is the point
            outcomes.append(type(exc).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=tab) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["InvalidOrder", "sent"]
    assert order.events.filter(type=EventType.EMAIL_RESENT).count() == 1

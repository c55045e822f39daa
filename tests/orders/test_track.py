"""The customer's status page: every state, privacy, confirmation, problems, messages."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from orders.core import services
from orders.customer import services as customer
from orders.models import CustomerMessage, Order, OrderIssue, OrderStatus
from orders.permissions import Role

S = OrderStatus
PAGE_STATES = [
    "placed",
    "verified",
    "allocated",
    "paid",
    "picking",
    "packed",
    "shipped",
    "delivered",
    "completed",
]


def page(client, order):
    return client.get(reverse("track:order", args=[order.tracking_token]))


@pytest.mark.django_db
@pytest.mark.parametrize("state", PAGE_STATES)
def test_the_page_for_each_state(
    client, order_in, state, django_assert_max_num_queries
):
    order = order_in(state)
    # (one of them: the order's delay cases; their offers only when there are any)
    with django_assert_max_num_queries(16):
        response = page(client, order)
    html = response.content.decode()
    assert response.status_code == 200
    assert order.number in html and 'aria-current="step"' in html
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    # the token never goes to other sites (same-origin: see track_views.private_page)
    assert response["Referrer-Policy"] == "same-origin"
    assert (
        "no-store" in response["Cache-Control"]
        or "no-cache" in response["Cache-Control"]
    )
    if state in ("shipped", "delivered", "completed"):
        shipment = order.shipments.get()
        assert shipment.tracking_number in html
    assert ("Did you receive everything" in html) == (state == "delivered")


@pytest.mark.django_db
def test_cancelled_and_held_orders_say_so_plainly(client, order_in, crew):
    cancelled = services.order_cancel(
        order=order_in(S.PAID), actor=crew.clerk, reason="Customer request"
    )
    assert "This order is cancelled" in page(client, cancelled).content.decode()
    held = services.order_hold(
        order=order_in(S.PACKED), actor=crew.clerk, reason="Suspected fraud"
    )
    html = page(client, held).content.decode()
    assert "paused your order" in html
    assert "Suspected fraud" not in html


@pytest.mark.django_db
def test_a_wrong_token_is_a_plain_404(client):
    assert client.get(reverse("track:order", args=["not-a-token"])).status_code == 404


@pytest.mark.django_db
def test_nothing_internal_or_about_other_customers_leaks(client, order_in, crew):
    order = order_in(S.SHIPPED)
    other = order_in(S.SHIPPED)
    services.order_add_note(order=order, actor=crew.clerk, body="INTERNAL-NOTE-XYZ")
    html = page(client, order).content.decode()
    assert "INTERNAL-NOTE-XYZ" not in html
    for name in ("clerk", "verifier", "warehouse"):
        assert f">{name}<" not in html and f" {name} " not in html
    assert other.number not in html and other.customer.email not in html
    # only the town line of the address is shown
    first_line = order.shipping_address.splitlines()[0]
    assert first_line not in html


@pytest.mark.django_db
def test_another_token_cannot_act_on_this_order(client, order_in):
    mine, theirs = order_in(S.DELIVERED), order_in(S.DELIVERED)
    client.post(reverse("track:confirm", args=[theirs.tracking_token]), {"rating": "5"})
    assert Order.objects.get(pk=mine.pk).status == S.DELIVERED
    assert Order.objects.get(pk=theirs.pk).status == S.COMPLETED


@pytest.mark.django_db
def test_confirming_receipt_completes_the_order(
    client, order_in, django_capture_on_commit_callbacks
):
    order = order_in(S.DELIVERED)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("track:confirm", args=[order.tracking_token]),
            {"rating": "4", "comment": "Great"},
        )
    order.refresh_from_db()
    assert order.status == S.COMPLETED
    assert (order.feedback.rating, order.feedback.comment) == (4, "Great")
    event = order.events.get(type="completed")
    assert (event.actor_kind, event.actor, event.data["how"], event.data["rating"]) == (
        "customer",
        None,
        "customer",
        4,
    )
    assert "rating us 4 of 5" in page(client, order).content.decode()


@pytest.mark.django_db
def test_a_bad_rating_is_refused(client, order_in):
    order = order_in(S.DELIVERED)
    response = client.post(
        reverse("track:confirm", args=[order.tracking_token]),
        {"rating": "9"},
        follow=True,
    )
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.django_db
def test_a_problem_keeps_the_order_delivered_and_alerts_staff(
    client, order_in, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_STAFF_ALERT_EMAILS = ["team@example.com"]
    order = order_in(S.DELIVERED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("track:problem", args=[order.tracking_token]),
            {"reason": "damaged", "details": "Cracked lid"},
        )
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED
    assert OrderIssue.objects.get(order=order).reason == "damaged"
    assert [m.to for m in mail.outbox] == [["team@example.com"]]
    # the alert links to the order's staff page
    assert f"/staff/orders/{order.number}/" in mail.outbox[0].body
    # and it is no longer auto-completed
    assert customer.orders_auto_complete(after_days=0) == []


@pytest.mark.django_db
def test_auto_completion_after_the_configured_days(order_in):
    from datetime import timedelta

    from django.utils import timezone

    old, recent = order_in(S.DELIVERED), order_in(S.DELIVERED)
    Order.objects.filter(pk=old.pk).update(
        delivered_at=timezone.now() - timedelta(days=20)
    )
    assert customer.orders_auto_complete(after_days=14) == [old.number]
    assert Order.objects.get(pk=old.pk).status == S.COMPLETED
    assert Order.objects.get(pk=recent.pk).status == S.DELIVERED
    event = Order.objects.get(pk=old.pk).events.get(type="completed")
    assert (event.actor_kind, event.data["how"], event.data["after_days"]) == (
        "system",
        "auto",
        14,
    )


@pytest.mark.django_db
def test_the_message_thread(
    client, order_in, staff, settings, django_capture_on_commit_callbacks
):
    settings.ORDERS_STAFF_ALERT_EMAILS = ["team@example.com"]
    order = order_in(S.SHIPPED)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("track:message", args=[order.tracking_token]),
            {"body": "Can you deliver to my office?"},
        )
        customer.message_from_staff(
            order=order, body="Yes, we will tell the carrier.", actor=staff[Role.CLERK]
        )
    assert list(
        CustomerMessage.objects.filter(order=order).values_list(
            "from_customer", flat=True
        )
    ) == [True, False]
    html = page(client, order).content.decode()
    assert (
        "Can you deliver to my office?" in html
        and "Yes, we will tell the carrier." in html
    )
    assert "Our team" in html and "clerk" not in html
    recipients = sorted(m.to[0] for m in mail.outbox)
    assert recipients == sorted(["team@example.com", order.customer.email])


@pytest.mark.django_db
def test_posts_need_the_csrf_token(order_in):
    order = order_in(S.DELIVERED)
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("track:confirm", args=[order.tracking_token]), {"rating": "5"}
    )
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == S.DELIVERED


@pytest.mark.django_db
class TestLookup:
    def test_the_right_pair_leads_to_the_page(self, client, order_in):
        order = order_in(S.PLACED)
        response = client.post(
            reverse("track:lookup"),
            {"number": order.number.lower(), "email": order.customer.email.upper()},
        )
        assert response.status_code == 302 and response.url == reverse(
            "track:order", args=[order.tracking_token]
        )

    def test_a_wrong_number_or_email_is_answered_the_same_way(self, client, order_in):
        order = order_in(S.PLACED)
        wrong_email = client.post(
            reverse("track:lookup"), {"number": order.number, "email": "x@example.com"}
        )
        wrong_number = client.post(
            reverse("track:lookup"),
            {"number": "ORD-999999", "email": order.customer.email},
        )
        assert wrong_email.status_code == wrong_number.status_code == 200
        errors = [
            r.context["form"].non_field_errors() for r in (wrong_email, wrong_number)
        ]
        assert errors[0] == errors[1]
        assert "We could not find an order" in wrong_email.content.decode()
        assert "We could not find an order" in wrong_number.content.decode()

    def test_lookups_are_rate_limited_per_address(self, client, settings):
        settings.TRACK_LOOKUPS_PER_HOUR = 3
        from django.core.cache import cache

        cache.clear()
        codes = [
            client.post(
                reverse("track:lookup"), {"number": "ORD-1", "email": "a@b.cd"}
            ).status_code
            for _ in range(5)
        ]
        assert codes == [200, 200, 200, 429, 429]


@pytest.mark.django_db
def test_customers_choose_optional_emails(client, order_in):
    order = order_in(S.SHIPPED)
    client.post(
        reverse("track:emails", args=[order.tracking_token]), {"optional": "no"}
    )
    order.customer.refresh_from_db()
    assert order.customer.notifications_opt_out is True
    assert "Send me all updates" in page(client, order).content.decode()


@pytest.mark.django_db
def test_read_back_for_phone_orders_only(
    order_in, staff, mailoutbox, django_capture_on_commit_callbacks
):
    phone = order_in(S.PLACED, channel="phone")
    web = order_in(S.PLACED, channel="web")
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        customer.order_send_read_back(order=phone, actor=staff[Role.CLERK])
    assert [m.subject for m in mailoutbox] == [
        f"Please check your order {phone.number}"
    ]
    with pytest.raises(Exception, match="phone and email orders"):
        customer.order_send_read_back(order=web, actor=staff[Role.CLERK])


@pytest.mark.django_db
def test_the_customer_answers_a_read_back(
    client, order_in, staff, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.ORDERS_STAFF_ALERT_EMAILS = ["team@example.com"]
    order = order_in(S.PLACED, channel="phone")
    assert "Please check your order" not in page(client, order).content.decode()
    customer.order_send_read_back(order=order, actor=staff[Role.CLERK])
    assert "Please check your order" in page(client, order).content.decode()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("track:read_back", args=[order.tracking_token]),
            {"answer": "wrong", "details": "I asked for 3"},
        )
    assert CustomerMessage.objects.get(order=order).body == "Read-back: I asked for 3"
    assert [m.to for m in mailoutbox] == [["team@example.com"]]
    assert "Please check your order" not in page(client, order).content.decode()


@pytest.mark.django_db
def test_the_rating_says_what_each_number_means_and_the_date_stands_out(
    client, order_in
):
    delivered = order_in("delivered")
    html = client.get(reverse("track:order", args=[delivered.tracking_token])).content
    assert "5 – excellent" in html.decode() and "1 – very poor" in html.decode()
    shipped = order_in("shipped")
    shipped.__class__.objects.filter(pk=shipped.pk).update(
        estimated_delivery="2026-12-03"
    )
    html = client.get(reverse("track:order", args=[shipped.tracking_token])).content
    assert "data-expected-delivery" in html.decode()
    assert "Thursday" in html.decode()

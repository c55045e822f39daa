"""The staff order page: what it shows, the moves it offers, and refusals as messages."""

import pytest
from django.urls import reverse

from orders.models import Order, OrderStatus
from orders.permissions import Role

S = OrderStatus


def url(order):
    return reverse("orders:detail", args=[order.number])


def move(client, order, name, **data):
    return client.post(
        reverse("orders:transition", args=[order.number, name]),
        {"status": order.status, **{f"{name}-{k}": v for k, v in data.items()}},
        follow=True,
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


@pytest.mark.django_db
def test_the_page_shows_the_order_with_a_fixed_number_of_queries(
    client, staff, order_in, django_assert_max_num_queries
):
    order = order_in(S.SHIPPED)
    client.force_login(staff[Role.CLERK])
    with django_assert_max_num_queries(30):
        html = client.get(url(order)).content.decode()
    assert order.number in html and order.lines.get().sku in html
    assert order.shipments.get().tracking_number in html
    assert "customer sees" in html and "internal" in html


@pytest.mark.django_db
def test_only_the_persons_moves_are_offered(client, staff, order_in):
    order = order_in(S.PACKED)
    client.force_login(staff[Role.WAREHOUSE])
    response = client.get(url(order))
    # shipping asks for what is in the parcel, on its own page: the next step
    step = response.context["step"]
    assert step.may and step.url == reverse("orders:ship", args=[order.number])
    assert [name for name, _label, _form in response.context["apart"]] == ["hold"]
    client.force_login(staff[Role.RETURNS])
    response = client.get(url(order))
    assert response.context["apart"] == [] and not response.context["step"].may
    assert "Waiting for the warehouse to ship" in response.content.decode()


@pytest.mark.django_db
def test_ship_from_the_page_asks_for_the_tracking_number(client, staff, order_in):
    order = order_in(S.PACKED)
    client.force_login(staff[Role.WAREHOUSE])
    response = move(client, order, "ship", carrier="DHL", tracking_number="")
    assert any("required" in m for m in messages_of(response))
    assert Order.objects.get(pk=order.pk).status == S.PACKED
    move(client, order, "ship", carrier="DHL", tracking_number="0034")
    assert Order.objects.get(pk=order.pk).status == S.SHIPPED


@pytest.mark.django_db
def test_a_forbidden_move_posted_directly_is_refused_plainly(client, staff, order_in):
    order = order_in(S.PACKED)
    client.force_login(staff[Role.VERIFIER])
    response = move(client, order, "cancel", reason="Because", confirm="on")
    assert response.status_code == 200
    assert any("You may not" in m for m in messages_of(response))
    assert Order.objects.get(pk=order.pk).status == S.PACKED


@pytest.mark.django_db
def test_a_stale_page_is_told_so(client, staff, order_in, crew):
    from orders.core import services

    order = order_in(S.PACKED)
    stale_status = order.status
    services.order_hold(order=order, actor=crew.clerk, reason="Address check")
    client.force_login(staff[Role.WAREHOUSE])
    response = client.post(
        reverse("orders:transition", args=[order.number, "ship"]),
        {"status": stale_status, "ship-carrier": "DHL", "ship-tracking_number": "1"},
        follow=True,
    )
    assert any("changed since you loaded the page" in m for m in messages_of(response))
    assert Order.objects.get(pk=order.pk).status == S.ON_HOLD


@pytest.mark.django_db
def test_notes_and_replies(
    client, staff, order_in, mailoutbox, django_capture_on_commit_callbacks
):
    order = order_in(S.SHIPPED)
    client.force_login(staff[Role.CLERK])
    client.post(
        reverse("orders:note", args=[order.number]), {"body": "Called the customer"}
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("orders:reply", args=[order.number]), {"body": "It left today."}
        )
    html = client.get(url(order)).content.decode()
    assert "Called the customer" in html and "It left today." in html
    assert [m.to for m in mailoutbox] == [[order.customer.email]]


@pytest.mark.django_db
def test_the_first_checker_sees_why_an_order_was_sent_back(client, staff, order_in):
    # (sending back happens on the checklist page: see test_verification)
    from orders.verification import services as verification

    order = order_in("checked")  # first check by the clerk
    verification.order_send_back(
        order=order,
        actor=staff[Role.VERIFIER],
        reason="wrong_quantity",
        note="Customer said 3, not 2",
    )
    client.force_login(staff[Role.CLERK])
    html = client.get(url(order)).content.decode()
    assert (
        "Sent back by verifier: Wrong quantity." in html
        and "Customer said 3, not 2" in html
    )


@pytest.mark.django_db
def test_cancel_asks_for_a_reason_and_records_it(client, staff, order_in):
    order = order_in(S.ALLOCATED)
    client.force_login(staff[Role.CLERK])
    url = reverse("orders:transition", args=[order.number, "cancel"])
    response = client.post(
        url, {"status": order.status, "cancel-reason": ""}, follow=True
    )
    assert any("reason" in m.lower() for m in messages_of(response))
    assert Order.objects.get(pk=order.pk).status == S.ALLOCATED
    # what it will do is shown, and it asks to be confirmed
    page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "Cancelling will:" in page and "back to" in page
    response = client.post(
        url,
        {"status": order.status, "cancel-reason": "Customer called to cancel"},
        follow=True,
    )
    assert any("Yes, cancel this order" in m for m in messages_of(response))
    assert Order.objects.get(pk=order.pk).status == S.ALLOCATED
    response = client.post(
        url,
        {
            "status": order.status,
            "cancel-reason": "Customer called to cancel",
            "cancel-confirm": "on",
        },
        follow=True,
    )
    # the message says what happened, not "updated"
    assert messages_of(response)[0].startswith(f"{order.number}: Cancelled")
    event = Order.objects.get(pk=order.pk).events.get(type="cancelled")
    assert event.data["reason"] == "Customer called to cancel"
    # staff read the reason; the customer reads only that it was cancelled
    page = client.get(reverse("orders:detail", args=[order.number])).content.decode()
    assert "Cancelled: Customer called to cancel." in page
    track = client.get(reverse("track:order", args=[order.tracking_token]))
    assert "Customer called to cancel" not in track.content.decode()
    assert "Your order was cancelled." in track.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page",
    [
        lambda o: reverse("orders:detail", args=[o.number]),
        lambda o: reverse("orders:verification", args=[o.number]),
        lambda o: reverse("admin:orders_order_change", args=[o.pk]),
    ],
    ids=["order page", "checklist", "admin order page"],
)
def test_pages_cost_the_same_queries_for_one_line_or_many(client, staff, place, page):
    """Prices are checked against the rules for all lines at once, not line by line."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.inventory import ProductFactory

    one = place([(ProductFactory(), 1)])
    six = place([(ProductFactory(), n) for n in range(1, 7)])
    client.force_login(staff[Role.MANAGER])
    counts = []
    for order in (one, six):
        client.get(page(order))  # warm caches (permissions, content types)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(page(order)).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts

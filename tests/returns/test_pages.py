"""The pages of returns: the public policy, the customer's request from the status
page, the staff queue and the return page from receipt to refund (click by click)."""

import re
from decimal import Decimal as D

import pytest
from django.urls import reverse

from orders.core.models import OrderStatus as S
from orders.money.models import Refund
from orders.permissions import Role
from returns import policy as rules
from returns.models import RS, Return, ReturnPolicy
from tests.factories.inventory import ProductFactory
from tests.returns.test_returns import request

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(order_in):
    return order_in(S.DELIVERED, lines=[(ProductFactory(unit_price=D("10.00")), 4)])


def test_the_policy_page_says_what_the_admin_configured(client):
    policy = ReturnPolicy.current()
    policy.window_days = 21
    policy.restocking_fee_percent = D("12.5")
    policy.non_returnable_categories = "Gift cards"
    policy.return_shipping = "customer"
    policy.allow_store_credit = False
    policy.save()
    ProductFactory(name="Opened earbuds", returnable=False)
    page = client.get(reverse("return_policy")).content.decode()
    assert "within 21 days of delivery" in page
    assert "12.5%" in page and "Gift cards" in page and "Opened earbuds" in page
    assert "at your cost" in page and "store credit" not in page.lower()


def test_the_status_page_links_the_policy_and_offers_a_return(client, order):
    page = client.get(reverse("track:order", args=[order.tracking_token])).content
    page = page.decode()
    assert reverse("return_policy") in page
    assert reverse("track_returns:new", args=[order.tracking_token]) in page


def test_a_customer_returns_items_from_the_status_page(client, order):
    url = reverse("track_returns:new", args=[order.tracking_token])
    form = client.get(url).content.decode()
    key = re.search(r'name="submission" value="([0-9a-f]+)"', form).group(1)
    line = order.lines.get()
    data = {
        "submission": key,
        f"qty_{line.pk}": "2",
        f"reason_{line.pk}": "defective",
        "outcome": "refund",
    }
    response = client.post(url, data, follow=True)
    rma = Return.objects.get(order=order)
    assert rma.status == RS.APPROVED and rma.lines.get().quantity == 2
    page = response.content.decode()
    assert rma.number in page and "Please send the items to" in page
    # the same page sent again opens nothing more
    client.post(url, data)
    assert Return.objects.filter(order=order).count() == 1


@pytest.mark.parametrize(
    "quantity", ["", "-1", "5", "1000000000000", "4006381333931", "two"]
)
def test_hostile_quantities_get_an_error_and_write_nothing(client, order, quantity):
    url = reverse("track_returns:new", args=[order.tracking_token])
    line = order.lines.get()
    response = client.post(
        url,
        {
            f"qty_{line.pk}": quantity,
            f"reason_{line.pk}": "damaged",
            "outcome": "refund",
        },
    )
    assert response.status_code == 200
    assert not Return.objects.exists()


def test_a_tampered_outcome_or_reason_writes_nothing(client, order):
    url = reverse("track_returns:new", args=[order.tracking_token])
    line = order.lines.get()
    for data in (
        {f"qty_{line.pk}": "1", f"reason_{line.pk}": "damaged", "outcome": "cash"},
        {f"qty_{line.pk}": "1", f"reason_{line.pk}": "x" * 10000, "outcome": "refund"},
        {f"qty_{line.pk}": "1", f"reason_{line.pk}": "", "outcome": "refund"},
    ):
        assert client.post(url, data).status_code == 200
    assert not Return.objects.exists()


def test_the_customer_cancels_and_notes_a_tracking_number(client, order):
    rma = request(order)
    label = reverse("track_returns:label", args=[order.tracking_token])
    client.post(label, {"rma": rma.pk, "reference": "JJD000123"})
    rma.refresh_from_db()
    assert rma.label_reference == "JJD000123"
    other = request(order)
    cancel = reverse("track_returns:cancel", args=[order.tracking_token])
    # another order's return cannot be cancelled from this page
    client.post(
        reverse("track_returns:cancel", args=["not-the-token"]), {"rma": other.pk}
    )
    client.post(cancel, {"rma": other.pk})
    other.refresh_from_db()
    assert other.status == RS.CANCELLED


def test_a_return_is_five_clicks_for_the_inspector(
    client, order, staff, django_capture_on_commit_callbacks
):
    """Common case, full refund, grade A: the queue (1), the return (2), save the
    inspection with its defaults (3), refund (4). Receiving is the warehouse's."""
    rma = request(order, 2)
    client.force_login(staff[Role.WAREHOUSE])
    detail = reverse("returns:detail", args=[rma.pk])
    line = rma.lines.get()
    client.post(reverse("returns:receive", args=[rma.pk]), {f"arrived_{line.pk}": "2"})
    client.force_login(staff[Role.RETURNS])
    queue = client.get(reverse("returns:list") + "?show=inspect").content.decode()
    assert detail in queue
    page = client.get(detail).content.decode()
    preview = page[page.index("data-preview") :]
    expected = rules.units_paid(line.order_line, 2)  # net price and its tax
    assert f"the policy refunds <strong>{expected} EUR</strong>" in preview
    # the defaults as the page draws them
    form = {
        f"grade_{line.pk}": "a",
        f"cause_{line.pk}": line.reason,
        f"disposition_{line.pk}": "restock",
        f"warehouse_{line.pk}": re.search(
            rf'name="warehouse_{line.pk}"[^>]*>.*?<option value="(\d+)" selected',
            page,
            re.S,
        ).group(1),
        f"note_{line.pk}": "",
    }
    client.post(reverse("returns:inspect", args=[rma.pk]), form)
    rma.refresh_from_db()
    assert rma.status == RS.INSPECTED and rma.refund_amount == expected
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("returns:refund", args=[rma.pk]))
    rma.refresh_from_db()
    assert rma.status == RS.REFUNDED
    assert Refund.objects.get(order=order).status == Refund.Status.SUCCEEDED
    order_page = client.get(reverse("orders:detail", args=[order.number])).content
    assert rma.number.encode() in order_page


def test_staff_open_a_return_for_a_phone_caller(client, order, staff):
    client.force_login(staff[Role.CLERK])
    url = reverse("returns:new", args=[order.number])
    page = client.get(url).content.decode()
    key = re.search(r'name="submission" value="([0-9a-f]+)"', page).group(1)
    line = order.lines.get()
    response = client.post(
        url,
        {
            "submission": key,
            "source": "staff",
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "wrong_item",
            "outcome": "refund",
            "approve": "on",
        },
    )
    rma = Return.objects.get(order=order)
    assert response.status_code == 302 and rma.source == "staff"
    assert rma.opened_by == staff[Role.CLERK] and rma.status == RS.APPROVED


def test_pages_refuse_staff_without_the_permission(client, order, staff):
    rma = request(order)
    client.force_login(staff[Role.VERIFIER])
    line = rma.lines.get()
    response = client.post(
        reverse("returns:receive", args=[rma.pk]), {f"arrived_{line.pk}": "1"}
    )
    assert response.status_code == 403
    rma.refresh_from_db()
    assert rma.status == RS.APPROVED


def test_the_queue_reads_a_bounded_number_of_queries(
    client, order_in, staff, django_assert_max_num_queries
):
    for _ in range(3):
        request(order_in(S.DELIVERED))
    client.force_login(staff[Role.RETURNS])
    with django_assert_max_num_queries(12):
        client.get(reverse("returns:list") + "?show=receive")


def test_the_customer_answers_the_two_questions_on_the_status_page(
    client, order, staff
):
    from returns import services
    from tests.returns.test_returns import inspected, received

    rma = inspected(received(request(order), staff), staff)
    services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    status_page = reverse("track:order", args=[order.tracking_token])
    assert "Two quick questions" in client.get(status_page).content.decode()
    url = reverse("track_returns:feedback", args=[order.tracking_token])
    assert client.post(url, {"rma": rma.pk, "easy": "maybe"}).status_code == 302
    rma.refresh_from_db()
    assert rma.feedback_at is None
    client.post(url, {"rma": rma.pk, "easy": "yes", "resolved": "no"})
    rma.refresh_from_db()
    assert rma.feedback_easy is True and rma.feedback_resolved is False
    assert "Two quick questions" not in client.get(status_page).content.decode()


def test_the_warehouse_receives_two_returns_in_one_parcel(client, order_in, staff):
    from tests.factories.orders import CustomerFactory

    buyer = CustomerFactory()
    first = order_in(S.DELIVERED, lines=[(ProductFactory(), 2)], customer=buyer)
    second = order_in(S.DELIVERED, lines=[(ProductFactory(), 2)], customer=buyer)
    a, b = request(first, 2), request(second, 1)
    client.force_login(staff[Role.WAREHOUSE])
    page = client.get(reverse("returns:detail", args=[a.pk])).content.decode()
    assert reverse("returns:parcel", args=[a.pk]) in page
    url = reverse("returns:parcel", args=[a.pk])
    form = client.get(url).content.decode()
    assert b.number in form
    response = client.post(
        url,
        {
            f"include_{a.pk}": "on",
            f"include_{b.pk}": "on",
            f"arrived_{a.lines.get().pk}": "2",
            f"arrived_{b.lines.get().pk}": "1",
            "reference": "JJD77",
        },
    )
    assert response.status_code == 302
    a.refresh_from_db()
    b.refresh_from_db()
    assert a.status == b.status == RS.RECEIVED and a.parcel_id == b.parcel_id


def _png(size=(4, 4)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return buffer.getvalue()


def test_the_customer_sends_photos_and_staff_see_them(client, order, staff):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("track_returns:new", args=[order.tracking_token])
    line = order.lines.get()
    data = {
        f"qty_{line.pk}": "1",
        f"reason_{line.pk}": "damaged",
        "outcome": "refund",
        "photos": [
            SimpleUploadedFile("crack.png", _png(), content_type="image/png"),
            SimpleUploadedFile("box.png", _png(), content_type="image/png"),
        ],
    }
    client.post(url, data)
    rma = Return.objects.get(order=order)
    photos = list(rma.photos.all())
    assert len(photos) == 2 and all(p.by_customer for p in photos)
    assert "crack" not in photos[0].image.name  # stored under a random name
    mine = reverse("track_returns:photo", args=[order.tracking_token, photos[0].pk])
    response = client.get(mine)
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert (
        client.get(
            reverse("track_returns:photo", args=["wrong-token", photos[0].pk])
        ).status_code
        == 404
    )
    client.force_login(staff[Role.RETURNS])
    page = client.get(reverse("returns:detail", args=[rma.pk])).content.decode()
    assert reverse("returns:photo", args=[rma.pk, photos[0].pk]) in page


@pytest.mark.parametrize(
    ("name", "content", "problem"),
    [
        ("evil.png", b"<?php echo 1; ?>", "not a photo"),
        ("fake.jpg", b"GIF89a" + b"\x00" * 20, "not a photo"),
    ],
)
def test_what_is_not_a_photo_is_refused_and_nothing_is_written(
    client, order, name, content, problem
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("track_returns:new", args=[order.tracking_token])
    line = order.lines.get()
    response = client.post(
        url,
        {
            f"qty_{line.pk}": "1",
            f"reason_{line.pk}": "damaged",
            "outcome": "refund",
            "photos": [SimpleUploadedFile(name, content)],
        },
    )
    assert problem in response.content.decode()
    assert not Return.objects.exists()


def test_too_many_or_too_big_photos_are_refused(client, order, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    url = reverse("track_returns:new", args=[order.tracking_token])
    line = order.lines.get()
    base = {f"qty_{line.pk}": "1", f"reason_{line.pk}": "damaged", "outcome": "refund"}
    six = [SimpleUploadedFile(f"{i}.png", _png()) for i in range(6)]
    assert (
        "At most 5 photos" in client.post(url, {**base, "photos": six}).content.decode()
    )
    settings.RETURNS_PHOTO_MAX_BYTES = 50
    big = [SimpleUploadedFile("big.png", _png((64, 64)))]
    assert "larger than" in client.post(url, {**base, "photos": big}).content.decode()
    assert not Return.objects.exists()


def test_the_dashboard_counts_the_returns_waiting_for_staff(client, order_in, staff):
    from datetime import timedelta

    from django.utils import timezone

    from orders.core.models import Order

    late = order_in(S.DELIVERED)
    Order.objects.filter(pk=late.pk).update(
        delivered_at=timezone.now() - timedelta(days=40)
    )
    request(Order.objects.get(pk=late.pk))  # waits for a person
    request(order_in(S.DELIVERED))  # approved: a parcel expected
    client.force_login(staff[Role.RETURNS])
    html = client.get(reverse("staff:dashboard")).content.decode()
    at = html.index('data-card="returns"')
    card = html[html.rindex("<a", 0, at) :][:800]
    assert "?show=decide" in card and "data-card-count>1<" in card
    assert "1 parcels expected" in card


def test_the_tracking_number_shows_at_once_on_a_cached_status_page(
    client, order, settings
):
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
    }
    rma = request(order)
    page = reverse("track:order", args=[order.tracking_token])
    client.get(page)  # cached now
    client.post(
        reverse("track_returns:label", args=[order.tracking_token]),
        {"rma": rma.pk, "reference": "JJD0099"},
    )
    client.get(page)  # the message after the post: rendered for this visitor
    assert "JJD0099" in client.get(page).content.decode()

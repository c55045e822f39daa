"""The verification checklist: tick every item, a second person confirms or sends back."""

import pytest
from django.urls import reverse

from orders.models import Order, OrderEvent, OrderStatus, VerificationIssue
from orders.permissions import Role
from orders.verification import checklist, checklist_keys

S = OrderStatus


def url(order):
    return reverse("orders:verification", args=[order.number])


def post(client, order, do, **data):
    return client.post(
        url(order), {"status": order.status, "do": do, **data}, follow=True
    )


def messages_of(response):
    return [str(m) for m in response.context["messages"]]


def _queries(client, order):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url(order)).status_code == 200
    return len(ctx)


@pytest.mark.django_db
def test_the_checklist_lists_customer_address_each_line_and_totals(
    client, staff, place
):
    from tests.factories.inventory import ProductFactory

    small = place()
    order = place(
        lines=[(ProductFactory(), 2), (ProductFactory(), 1), (ProductFactory(), 4)]
    )
    client.force_login(staff[Role.CLERK])
    # Only the pricing rules are looked up per line (at most two queries each).
    assert _queries(client, small) <= 25
    assert _queries(client, order) - _queries(client, small) <= 2 * 2
    html = client.get(url(order)).content.decode()
    keys = checklist_keys(order)
    assert len(keys) == 6  # customer, address, three lines, totals
    for key in keys:
        assert f'value="{key}"' in html
    assert order.customer.email in html
    for line in order.lines.all():
        assert line.sku in html


@pytest.mark.django_db
def test_the_first_check_needs_every_item_ticked(client, staff, place):
    order = place()
    client.force_login(staff[Role.CLERK])
    keys = checklist_keys(order)
    response = post(client, order, "record_first_check", checked=keys[:-1])
    assert any(
        "not ticked: Discounts, shipping and total" in m for m in messages_of(response)
    )
    assert Order.objects.get(pk=order.pk).first_checked_by is None

    post(client, order, "record_first_check", checked=keys)
    order.refresh_from_db()
    assert order.first_checked_by == staff[Role.CLERK]
    event = order.events.filter(type=OrderEvent.Type.CHECKED).get()
    assert len(event.data["checked"]) == len(keys)


@pytest.mark.django_db
def test_a_tick_on_a_checklist_that_has_changed_does_not_count(client, staff, place):
    order = place()
    keys = checklist_keys(order)
    line = order.lines.get()
    # someone corrects the quantity after the checker opened the page
    type(line).objects.filter(pk=line.pk).update(quantity=line.quantity + 1)
    client.force_login(staff[Role.CLERK])
    response = post(client, order, "record_first_check", checked=keys)
    assert any(
        "changed since the checklist was opened" in m for m in messages_of(response)
    )
    assert Order.objects.get(pk=order.pk).first_checked_by is None


@pytest.mark.django_db
def test_a_price_that_differs_from_the_rules_is_flagged_and_recorded(
    client, staff, place
):
    from decimal import Decimal

    order = place(unit_price=Decimal("1.00"))
    items = checklist(order)
    assert [i for i in items if i.warning]
    client.force_login(staff[Role.CLERK])
    assert "The pricing rules say" in client.get(url(order)).content.decode()
    post(client, order, "record_first_check", checked=[i.key for i in items])
    event = order.events.get(type=OrderEvent.Type.CHECKED)
    assert event.data["price_warnings"] and "Agreed on the phone" in event.message


@pytest.mark.django_db
def test_the_second_check_is_someone_else(client, staff, order_in):
    order = order_in("checked")  # first check by the clerk
    client.force_login(staff[Role.CLERK])
    response = client.get(url(order))
    assert not response.context["may_confirm"]
    assert "The second check must be made by someone else." in response.content.decode()
    response = post(client, order, "verify")
    assert any(
        "someone other than the first checker" in m for m in messages_of(response)
    )
    assert Order.objects.get(pk=order.pk).status == S.PLACED

    client.force_login(staff[Role.VERIFIER])
    assert client.get(url(order)).context["may_confirm"]
    post(client, order, "verify")
    order.refresh_from_db()
    assert order.status == S.VERIFIED and order.verified_by == staff[Role.VERIFIER]


@pytest.mark.django_db
def test_sending_back_records_the_finding_and_the_first_checker_sees_it(
    client, staff, order_in
):
    order = order_in("checked")
    client.force_login(staff[Role.VERIFIER])
    response = post(client, order, "send_back")
    assert any("Say what was wrong" in m for m in messages_of(response))
    post(
        client,
        order,
        "send_back",
        **{"send_back-reason": "wrong_quantity", "send_back-note": "Asked for 3"},
    )
    finding = VerificationIssue.objects.get(order=order)
    assert (finding.reason, finding.first_checker, finding.found_by) == (
        "wrong_quantity",
        staff[Role.CLERK],
        staff[Role.VERIFIER],
    )
    client.force_login(staff[Role.CLERK])
    response = client.get(url(order))
    html = response.content.decode()
    assert "Wrong quantity" in html and "Asked for 3" in html
    assert response.context["may_check"]  # the check starts over


@pytest.mark.django_db
def test_a_role_that_may_not_check_gets_no_boxes_and_is_refused(client, staff, place):
    order = place()
    client.force_login(staff[Role.WAREHOUSE])
    response = client.get(url(order))
    assert 'name="checked"' not in response.content.decode()
    response = post(client, order, "record_first_check", checked=checklist_keys(order))
    assert any("may not" in m for m in messages_of(response))
    assert Order.objects.get(pk=order.pk).first_checked_by is None

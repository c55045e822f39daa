"""The verification checklist: tick every item, a second person confirms or sends back."""

import pytest
from django.urls import reverse

from orders.models import Order, OrderEvent, OrderStatus, VerificationIssue
from orders.permissions import Role
from orders.verification.checklist import checklist, checklist_keys

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
    event = order.events.filter(type=OrderEvent.Type.FIRST_CHECK_RECORDED).get()
    assert event.data == {"items": len(keys), "price_differences": []}


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
    event = order.events.get(type=OrderEvent.Type.FIRST_CHECK_RECORDED)
    line = order.lines.get()
    assert event.data["price_differences"] == [
        {
            "line_id": line.pk,
            "sku": line.sku,
            "price": f"{line.unit_price:.2f}",
            "rules_price": f"{line.product.unit_price:.2f}",
            "source": "manual",
        }
    ]
    # the reason for the manual price stays on the line, and the timeline shows it
    assert "Agreed on the phone" not in str(event.data)


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


# ------------------------------------------------------------------------------
# Correcting an order before verification
# ------------------------------------------------------------------------------
def correct(client, order, **data):
    line_data = {f"qty_{line.pk}": line.quantity for line in order.lines.all()}
    base = {
        "status": order.status,
        "shipping_address": order.shipping_address,
        "shipping_country": order.shipping_country,
        "reason": "Customer's email asks for 3",
        "add-TOTAL_FORMS": "2",
        "add-INITIAL_FORMS": "0",
        **line_data,
    }
    return client.post(
        reverse("orders:correct", args=[order.number]), {**base, **data}, follow=True
    )


@pytest.mark.django_db
def test_a_correction_reprices_recalculates_and_restarts_the_check(
    client, staff, order_in, stock
):
    from tests.factories.inventory import ProductFactory

    order = order_in("checked", lines=[(ProductFactory(), 2)])  # first-checked
    line = order.lines.get()
    extra = ProductFactory(sku="CF-EXTRA")
    stock(extra, 5)
    client.force_login(staff[Role.VERIFIER])
    response = correct(
        client,
        order,
        **{
            f"qty_{line.pk}": 3,
            "add-0-sku": "CF-EXTRA",
            "add-0-quantity": "1",
            "shipping_address": "Neue Straße 2\n10115 Berlin",
        },
    )
    assert response.redirect_chain[-1][0] == url(order)
    order.refresh_from_db()
    assert sorted(order.lines.values_list("sku", "quantity")) == [
        ("CF-EXTRA", 1),
        (line.sku, 3),
    ]
    assert order.subtotal == 3 * line.unit_price + extra.unit_price
    assert order.shipping_address == "Neue Straße 2\n10115 Berlin"
    assert order.first_checked_by is None and order.status == S.PLACED
    event = order.events.get(type=OrderEvent.Type.CORRECTED)
    assert event.data["check_reset"] and event.actor == staff[Role.VERIFIER]
    assert [(q["sku"], q["new"]) for q in event.data["quantities"]] == [(line.sku, 3)]
    assert [a["sku"] for a in event.data["added"]] == ["CF-EXTRA"]
    # the new address is on the order, never copied into the audit trail
    assert event.data["address_changed"] and "Neue" not in str(event.data)


@pytest.mark.django_db
def test_a_correction_keeps_manual_prices_and_needs_a_line_and_a_change(
    client, staff, place
):
    from decimal import Decimal

    order = place(unit_price=Decimal("7.00"))
    line = order.lines.get()
    client.force_login(staff[Role.CLERK])
    response = correct(client, order)
    assert "Nothing was changed." in response.content.decode()
    response = correct(client, order, **{f"qty_{line.pk}": 0})
    assert "at least one line" in response.content.decode()
    correct(client, order, **{f"qty_{line.pk}": 5})
    line.refresh_from_db()
    assert (line.quantity, line.unit_price, line.price_source) == (
        5,
        Decimal("7.00"),
        "manual",
    )


@pytest.mark.django_db
def test_only_placed_orders_are_corrected_and_only_by_checkers(client, staff, order_in):
    client.force_login(staff[Role.WAREHOUSE])
    placed = order_in(S.PLACED)
    assert (
        client.get(reverse("orders:correct", args=[placed.number])).status_code == 403
    )
    verified = order_in(S.VERIFIED)
    client.force_login(staff[Role.CLERK])
    line = verified.lines.get()
    response = correct(client, verified, **{f"qty_{line.pk}": line.quantity + 1})
    assert "only orders waiting for verification can be corrected" in (
        response.content.decode()
    )
    assert verified.lines.get().quantity == line.quantity


@pytest.mark.django_db
def test_a_correction_of_an_order_someone_else_changed_is_refused(client, staff, place):
    order = place()
    line = order.lines.get()
    client.force_login(staff[Role.CLERK])
    page = client.get(reverse("orders:correct", args=[order.number]))
    seen = page.context["form"]["seen"].value()
    # a colleague corrects the quantity meanwhile
    type(line).objects.filter(pk=line.pk).update(quantity=line.quantity + 5)
    response = correct(client, order, seen=seen, **{f"qty_{line.pk}": 1})
    assert "changed since the checklist was opened" in response.content.decode()
    assert order.lines.get().quantity == line.quantity + 5

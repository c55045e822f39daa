"""The order page leads: one next step for whoever may take it, and for everyone
else who is next and since when; warnings the person must see come first."""

from html import unescape

import pytest
from django.urls import reverse

from orders.customer import services as customer
from orders.models import Order, OrderStatus
from orders.permissions import Role

S = OrderStatus


def page(client, order):
    response = client.get(reverse("orders:detail", args=[order.number]))
    assert response.status_code == 200
    return response


# state -> (who takes the step, its button, what the others read)
STEPS = [
    (
        "placed",
        Role.CLERK,
        "Open the verification checklist",
        "Waiting for a first check",
    ),
    (
        "checked",
        Role.VERIFIER,
        "Open the verification checklist",
        "Waiting for the second check by a verifier other than",
    ),
    (
        S.VERIFIED,
        Role.WAREHOUSE,
        "Run the inventory check",
        "Waiting for the warehouse to run the inventory check",
    ),
    (S.ALLOCATED, Role.CLERK, "Record a payment", "Waiting for the customer's payment"),
    (
        S.PAID,
        Role.WAREHOUSE,
        "Start picking",
        "Waiting for the warehouse to start picking",
    ),
    (
        S.PICKING,
        Role.WAREHOUSE,
        "Pack: scan the units",
        "Waiting for the warehouse to pack",
    ),
    (S.PACKED, Role.WAREHOUSE, "Ship a parcel", "Waiting for the warehouse to ship"),
    (S.SHIPPED, Role.WAREHOUSE, "Mark delivered", "Waiting for the carrier to deliver"),
    (
        S.DELIVERED,
        Role.CLERK,
        "Complete",
        "Waiting for the customer to confirm receipt",
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("state", "role", "button", "waiting"), STEPS, ids=[s[0] for s in STEPS]
)
def test_the_next_step_for_whoever_may_take_it_and_who_is_next_for_the_others(
    client, staff, order_in, state, role, button, waiting
):
    order = order_in(state, channel="phone")
    client.force_login(staff[role])
    html = page(client, order).content.decode()
    step = html.split("data-next-step", 1)[1].split("</section>", 1)[0]
    assert button in step and 'class="btn btn-primary"' in step
    # someone who may not take this step (returns staff may complete orders)
    other = Role.WAREHOUSE if state == S.DELIVERED else Role.RETURNS
    client.force_login(staff[other])
    html = unescape(page(client, order).content.decode())
    step = html.split("data-next-step", 1)[1].split("</section>", 1)[0]
    assert waiting in step and "btn-primary" not in step
    assert " ago" in step  # since when


@pytest.mark.django_db
def test_the_first_checker_is_told_someone_else_confirms(client, staff, order_in, crew):
    order = order_in("checked", channel="phone")
    client.force_login(order.first_checked_by)
    step = page(client, order).context["step"]
    assert not step.may
    assert order.first_checked_by.get_username() in step.waiting


@pytest.mark.django_db
def test_the_step_button_moves_the_order_and_says_what_happened(
    client, staff, order_in
):
    order = order_in(S.PAID)
    client.force_login(staff[Role.WAREHOUSE])
    step = page(client, order).context["step"]
    response = client.post(step.url, {"status": order.status}, follow=True)
    assert Order.objects.get(pk=order.pk).status == S.PICKING
    [message] = [str(m) for m in response.context["messages"]]
    assert message.startswith(f"{order.number}: ") and "updated" not in message
    assert "pick" in message.lower()


@pytest.mark.django_db
def test_finished_orders_have_no_next_step_and_hold_cancel_stay_apart(
    client, staff, order_in
):
    client.force_login(staff[Role.MANAGER])
    assert page(client, order_in(S.COMPLETED)).context["step"] is None
    response = page(client, order_in(S.ALLOCATED))
    assert response.context["step"].label == "Record a payment"
    apart = [name for name, _l, _f in response.context["apart"]]
    assert "cancel" in apart and "hold" in apart
    html = response.content.decode()
    assert html.index("data-next-step") < html.index("data-more-actions")


@pytest.mark.django_db
def test_the_cancel_preview_shows_the_refund_to_the_payment_method(
    client, staff, order_in
):
    order = order_in(S.PAID)
    client.force_login(staff[Role.CLERK])
    effects = page(client, order).context["cancel_effects"]
    assert effects.refund == order.total and effects.released
    html = page(client, order).content.decode()
    preview = html.split("data-cancel-effects", 1)[1].split("</div>", 1)[0]
    assert "refund" in preview
    for r in effects.released:
        assert f"release {r['quantity']} × {r['sku']} back to {r['warehouse']}" in (
            unescape(preview)
        )
    # what the page promised is what cancelling then does
    client.post(
        reverse("orders:transition", args=[order.number, "cancel"]),
        {
            "status": order.status,
            "cancel-reason": "Customer changed mind",
            "cancel-confirm": "on",
        },
    )
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    fact = order.events.get(type="cancelled")
    assert fact.data["released"] == effects.released
    assert sum(r.amount for r in order.refunds.all()) == effects.refund


@pytest.mark.django_db
def test_what_the_customer_flagged_is_a_warning_on_the_page_and_the_checklist(
    client, staff, order_in
):
    order = order_in(S.DELIVERED, channel="phone")
    client.force_login(staff[Role.MANAGER])
    customer.order_send_read_back(order=order, actor=staff[Role.CLERK])
    customer.order_answer_read_back(
        order=order, correct=False, details="It was 3 bags, not 2"
    )
    customer.message_from_customer(order=order, body="When does it ship?")
    customer.order_report_problem(order=order, reason="other", details="Wrong colour")
    for url in ("orders:detail", "orders:verification"):
        response = client.get(reverse(url, args=[order.number]))
        notes = response.context["attention"]
        assert len(notes) == 3, notes
        assert "read-back is wrong" in notes[0] and "3 bags" in notes[0]
        assert "Wrong colour" in notes[1] and "When does it ship?" in notes[2]
    # a new read-back after the correction clears the first warning
    customer.order_send_read_back(order=order, actor=staff[Role.CLERK])
    notes = page(client, order).context["attention"]
    assert not any("read-back" in n for n in notes)


@pytest.mark.django_db
def test_send_back_requires_choosing_what_was_wrong(client, staff, order_in):
    order = order_in("checked", channel="phone")
    client.force_login(staff[Role.VERIFIER])
    url = reverse("orders:verification", args=[order.number])
    html = client.get(url).content.decode()
    assert "Choose what was wrong" in html
    select = html.split('name="send_back-reason"', 1)[1].split("</select>", 1)[0]
    assert select.count("selected") == 1 and 'value="" selected' in select
    client.post(
        url, {"action": "send_back", "status": order.status, "send_back-reason": ""}
    )
    assert not Order.objects.get(pk=order.pk).verification_issues.exists()

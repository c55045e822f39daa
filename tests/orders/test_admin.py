"""The Django admin: every model listed and searchable, transitions through the services."""

import pytest
from django.contrib import admin
from django.urls import reverse

from orders.models import Order, OrderStatus
from orders.permissions import Role

S = OrderStatus


@pytest.fixture
def superuser(db):
    from tests.factories.orders import UserFactory

    return UserFactory(username="root", is_staff=True, is_superuser=True)


def _change_url(order):
    return reverse("admin:orders_order_change", args=[order.pk])


def _post_data(response, **extra):
    """What the browser posts from an admin change form: the inline management forms."""
    data = {}
    for inline in response.context["inline_admin_formsets"]:
        form = inline.formset.management_form
        data.update({form.add_prefix(k): v for k, v in form.initial.items()})
    return {**data, **extra}


@pytest.mark.django_db
def test_every_model_has_a_working_changelist(client, superuser, order_in):
    order_in(S.SHIPPED)
    client.force_login(superuser)
    for model in admin.site._registry:
        url = reverse(
            f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist"
        )
        assert client.get(url).status_code == 200, url


@pytest.mark.django_db
@pytest.mark.parametrize("query", ["number", "email", "sku"])
def test_orders_are_searchable_by_number_email_and_sku(
    client, superuser, order_in, query
):
    order, other = order_in(S.PLACED), order_in(S.PLACED)
    term = {
        "number": order.number,
        "email": order.customer.email,
        "sku": order.lines.get().sku,
    }[query]
    client.force_login(superuser)
    response = client.get(reverse("admin:orders_order_changelist"), {"q": term})
    shown = list(response.context["cl"].result_list)
    assert shown == [order]
    assert other not in shown


@pytest.mark.django_db
def test_the_order_page_offers_only_the_users_transitions(client, staff, order_in):
    order = order_in(S.PLACED)
    client.force_login(staff[Role.VERIFIER])
    page = client.get(_change_url(order)).content.decode()
    # the first check is made on the checklist page, which the admin links to
    assert 'value="record_first_check"' not in page
    assert reverse("orders:verification", args=[order.number]) in page
    assert 'value="hold"' in page
    assert 'value="cancel"' not in page  # verifiers may not cancel
    assert 'value="verify"' not in page  # no first check yet


@pytest.mark.django_db
def test_a_transition_button_runs_the_service(client, staff, order_in):
    order = order_in(S.PAID)
    warehouse = staff[Role.WAREHOUSE]
    client.force_login(warehouse)
    response = client.get(_change_url(order))
    response = client.post(
        _change_url(order),
        _post_data(response, _fsm_transition_to="start_picking"),
        follow=True,
    )
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == S.PICKING
    assert order.events.latest("pk").actor == warehouse


@pytest.mark.django_db
def test_the_four_eyes_rule_holds_in_the_admin(client, staff, order_in):
    order = order_in("checked")  # first check by the clerk
    # the clerk who checked it is told what is awaited and offered no verify button
    client.force_login(staff[Role.CLERK])
    page = client.get(_change_url(order)).content.decode()
    assert "First check by clerk; waiting for a second check by someone else." in page
    assert 'value="verify"' not in page
    # a manager (someone else) may confirm it
    client.force_login(staff[Role.MANAGER])
    assert 'value="verify"' in client.get(_change_url(order)).content.decode()


@pytest.mark.django_db
def test_the_order_page_has_no_save_or_delete_buttons(client, superuser, order_in):
    client.force_login(superuser)
    page = client.get(_change_url(order_in(S.PLACED))).content.decode()
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert "deletelink" not in page


@pytest.mark.django_db
def test_cancel_asks_for_a_reason(client, staff, order_in):
    order = order_in(S.ALLOCATED)
    client.force_login(staff[Role.CLERK])
    url = reverse("admin:orders_order_transition", args=[order.pk, "cancel"])

    response = client.post(url, {"reason": ""})
    assert response.status_code == 200
    assert "Please give a reason." in response.content.decode()
    assert Order.objects.get(pk=order.pk).status == S.ALLOCATED

    response = client.post(url, {"reason": "Customer called to cancel"})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert (
        order.events.filter(type="status_changed").latest("pk").message
        == "Order cancelled: Customer called to cancel"
    )


@pytest.mark.django_db
def test_a_refused_transition_is_a_message_not_an_error(client, staff, order_in):
    order = order_in(S.ALLOCATED)  # no payment recorded
    client.force_login(staff[Role.MANAGER])
    response = client.get(_change_url(order))
    data = _post_data(response, _fsm_transition_to="mark_paid")
    response = client.post(_change_url(order), data, follow=True)
    assert response.status_code == 200
    messages = [str(m) for m in response.context["messages"]]
    assert any("do not cover" in m for m in messages), messages
    assert Order.objects.get(pk=order.pk).status == S.ALLOCATED


@pytest.mark.django_db
def test_bulk_action_moves_each_order_through_the_service(client, staff, order_in):
    ready, not_ready = order_in(S.PAID), order_in(S.PLACED)
    client.force_login(staff[Role.WAREHOUSE])
    response = client.post(
        reverse("admin:orders_order_changelist"),
        {"action": "bulk_start_picking", "_selected_action": [ready.pk, not_ready.pk]},
        follow=True,
    )
    assert Order.objects.get(pk=ready.pk).status == S.PICKING
    assert Order.objects.get(pk=not_ready.pk).status == S.PLACED
    messages = [str(m) for m in response.context["messages"]]
    assert any("1 order(s) updated" in m for m in messages)
    assert any(not_ready.number in m for m in messages)


@pytest.mark.django_db
def test_events_and_ledger_are_read_only(client, superuser, order_in):
    order = order_in(S.PLACED)
    client.force_login(superuser)
    event = order.events.first()
    assert client.get(reverse("admin:orders_orderevent_add")).status_code == 403
    assert (
        client.post(
            reverse("admin:orders_orderevent_delete", args=[event.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert client.get(reverse("admin:inventory_stockmovement_add")).status_code == 403


@pytest.mark.django_db
def test_the_warehouse_ships_from_the_admin(client, staff, order_in):
    order = order_in(S.PACKED)
    client.force_login(staff[Role.WAREHOUSE])
    assert 'value="ship"' in client.get(_change_url(order)).content.decode()
    url = reverse("admin:orders_order_transition", args=[order.pk, "ship"])
    response = client.post(
        url, {"carrier": "DHL", "tracking_number": "00340434161234567890"}
    )
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == S.SHIPPED
    assert order.shipments.get().tracking_number == "00340434161234567890"

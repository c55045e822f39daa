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
def test_the_order_page_shows_the_four_eyes_state_and_the_timeline(
    client, staff, order_in
):
    order = order_in("checked")  # first check by the clerk
    client.force_login(staff[Role.CLERK])
    page = client.get(_change_url(order)).content.decode()
    assert "First check by clerk; waiting for a second check by someone else." in page
    # the timeline in words, with who acted
    assert "Details, quantities and prices checked" in page
    assert "Order placed via" in page
    # and no buttons: moves are made on the staff page it links to
    assert "_fsmtransition" not in page and 'value="verify"' not in page
    assert reverse("orders:detail", args=[order.number]) in page


@pytest.mark.django_db
def test_the_order_page_has_no_save_or_delete_buttons(client, superuser, order_in):
    client.force_login(superuser)
    page = client.get(_change_url(order_in(S.PLACED))).content.decode()
    assert 'name="_save"' not in page
    assert 'name="_continue"' not in page
    assert "deletelink" not in page


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
def test_the_admin_timeline_costs_the_same_queries_however_long_it_is(
    client, superuser, order_in, crew
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from orders.core import services

    order = order_in(S.PLACED)
    client.force_login(superuser)
    client.get(_change_url(order))
    with CaptureQueriesContext(connection) as short:
        client.get(_change_url(order))
    for n in range(5):
        services.order_add_note(order=order, actor=crew.clerk, body=f"Note {n}")
    with CaptureQueriesContext(connection) as long:
        page = client.get(_change_url(order)).content.decode()
    assert "Internal note: Note 4" in page
    assert len(long) <= len(short) + 1  # the notes inline's own rows at most

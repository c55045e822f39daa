"""Who may open each order page and make each move from it: one table, every role.

A move a role may not make is refused when posted directly (the button is not
offered either; see test_order_page and the browser tests), and leaves the order
as it was.
"""

import pytest
from django.test import Client
from django.urls import reverse

from orders.models import Order, OrderNote, OrderStatus, Payment
from orders.permissions import Role
from orders.verification.checklist import checklist_keys
from tests.factories.inventory import ProductFactory

S = OrderStatus
C, V, W, R, M = Role.CLERK, Role.VERIFIER, Role.WAREHOUSE, Role.RETURNS, Role.MANAGER
ALL = set(Role.ALL)

# page -> (the order state it is opened in, or None for pages without an order; roles)
PAGES = {
    "orders:list": (None, ALL),
    "orders:new": (None, {C, M}),
    "orders:pick_list": (None, {W, M}),
    "orders:packing_slips": (None, {W, M}),
    "orders:detail": (S.PLACED, ALL),
    "orders:verification": (S.PLACED, ALL),
    "orders:correct": (S.PLACED, {C, V, M}),
    "orders:payment": (S.ALLOCATED, {C, M}),
    "orders:pack": (S.PICKING, {W, M}),
    "orders:ship": (S.PACKED, {W, M}),
}
PAGE_TABLE = [(page, role) for page in PAGES for role in Role.ALL]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("page", "role"), PAGE_TABLE, ids=[f"{p}-{r}" for p, r in PAGE_TABLE]
)
def test_page_access_per_role(client, staff, order_in, page, role):
    state, roles = PAGES[page]
    args = [order_in(state).number] if state else []
    client.force_login(staff[role])
    expected = 200 if role in roles else 403
    assert client.get(reverse(page, args=args)).status_code == expected


@pytest.mark.django_db
@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(client, order_in, page):
    state, _roles = PAGES[page]
    args = [order_in(state).number] if state else []
    response = client.get(reverse(page, args=args))
    assert response.status_code == 302
    assert response.url.startswith(reverse("staff:login"))


# ------------------------------------------------------------------------------
# Moves: (state, url name, what is posted, did it happen?, roles that may)
# ------------------------------------------------------------------------------
def _status_is(status):
    return lambda order: order.status == status


def _lines(order):
    return {f"line_{line.pk}": line.quantity for line in order.lines.all()}


def _scans(order):
    return "\n".join(f"{line.sku} x {line.quantity}" for line in order.lines.all())


MOVES = {
    "first check": (
        S.PLACED,
        "orders:verification",
        lambda o: {"do": "record_first_check", "checked": checklist_keys(o)},
        lambda o: o.first_checked_by_id is not None,
        {C, V, M},
    ),
    "second check": (
        "checked",  # first check by the clerk, so the clerk may not confirm
        "orders:verification",
        lambda o: {"do": "verify"},
        _status_is(S.VERIFIED),
        {V, M},
    ),
    "send back": (
        "checked",
        "orders:verification",
        lambda o: {"do": "send_back", "send_back-reason": "wrong_price"},
        lambda o: o.first_checked_by_id is None,
        {V, M},
    ),
    "inventory check": (S.VERIFIED, None, None, _status_is(S.ALLOCATED), {C, W, M}),
    "record payment": (
        S.ALLOCATED,
        "orders:payment",
        lambda o: {"method": "bank_transfer", "amount": o.total, "received": "on"},
        lambda o: Payment.objects.filter(order=o).exists(),
        {C, M},
    ),
    "start picking (bulk)": (
        S.PAID,
        "orders:bulk",
        lambda o: {"action": "start_picking", "orders": o.number},
        _status_is(S.PICKING),
        {W, M},
    ),
    "pack": (
        S.PICKING,
        "orders:pack",
        lambda o: {"scanned": _scans(o)},
        _status_is(S.PACKED),
        {W, M},
    ),
    "ship": (
        S.PACKED,
        "orders:ship",
        lambda o: {"carrier": "DHL", "tracking_number": "T1", **_lines(o)},
        _status_is(S.SHIPPED),
        {W, M},
    ),
    "mark delivered": (S.SHIPPED, None, None, _status_is(S.DELIVERED), {W, M}),
    "complete": (S.DELIVERED, None, None, _status_is(S.COMPLETED), {C, R, M}),
    "hold": (
        S.PAID,
        None,
        lambda o: {"hold-reason": "Customer asked"},
        _status_is(S.ON_HOLD),
        {C, V, W, M},
    ),
    "cancel": (
        S.ALLOCATED,
        None,
        lambda o: {"cancel-reason": "Duplicate", "cancel-confirm": "on"},
        _status_is(S.CANCELLED),
        {C, M},
    ),
    "internal note": (
        S.PAID,
        "orders:note",
        lambda o: {"body": "Fragile"},
        lambda o: OrderNote.objects.filter(order=o).exists(),
        ALL,
    ),
    "read-back email": (
        S.PLACED,
        "orders:read_back",
        lambda o: {},
        lambda o: o.notifications.filter(kind="order_read_back").exists(),
        {C, M},
    ),
}
# Moves without a page of their own are buttons posting to the transition URL.
TRANSITION_NAMES = {
    "inventory check": "allocate",
    "mark delivered": "mark_delivered",
    "complete": "complete",
    "hold": "hold",
    "cancel": "cancel",
}
MOVE_TABLE = [(move, role) for move in MOVES for role in Role.ALL]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("move", "role"), MOVE_TABLE, ids=[f"{m}-{r}" for m, r in MOVE_TABLE]
)
def test_move_per_role(client, staff, order_in, move, role):
    state, page, data, happened, roles = MOVES[move]
    order = order_in(state, channel="phone", lines=[(ProductFactory(), 2)])
    if page is None:
        url = reverse("orders:transition", args=[order.number, TRANSITION_NAMES[move]])
    elif page == "orders:bulk":
        url = reverse(page)
    else:
        url = reverse(page, args=[order.number])
    client.force_login(staff[role])
    response = client.post(
        url, {"status": order.status, **(data(order) if data else {})}
    )
    order = Order.objects.get(pk=order.pk)
    assert happened(order) is (role in roles)
    # a refusal is a page or a message, never a server error
    assert response.status_code in (200, 302, 403)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url_name",
    [
        "orders:transition",
        "orders:verification",
        "orders:payment",
        "orders:correct",
        "orders:pack",
        "orders:ship",
        "orders:note",
        "orders:reply",
        "orders:read_back",
        "orders:new",
        "orders:bulk",
    ],
)
def test_every_post_needs_the_csrf_token(staff, order_in, url_name):
    order = order_in(S.PAID)
    client = Client(enforce_csrf_checks=True)
    client.force_login(staff[Role.MANAGER])
    args = {
        "orders:transition": [order.number, "hold"],
        "orders:new": [],
        "orders:bulk": [],
    }.get(url_name, [order.number])
    response = client.post(
        reverse(url_name, args=args), {"hold-reason": "x", "orders": order.number}
    )
    assert response.status_code == 403
    assert Order.objects.get(pk=order.pk).status == S.PAID

"""The staff order list and order page: filters, CSV, bulk actions, moves, notes, replies."""

from urllib.parse import urlencode

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from orders import moves
from orders.core import services
from orders.core.models import Order, OrderStatus
from orders.core.selectors import order_detail as order_detail_selector
from orders.core.selectors import order_list as order_list_selector
from orders.core.transitions import available_transitions
from orders.customer import services as customer_side
from orders.customer.models import OrderIssue
from orders.delays.selectors import case_of
from orders.events.timeline import timeline
from orders.exceptions import OrderError
from orders.fulfilment.selectors import units_to_ship
from orders.money import pricing
from orders.money.position import money_position
from orders.staff import services as staff_services
from orders.staff.common import (
    VERIFICATION_MOVES,
    last_fact_id,
    order_numbers,
    said_since,
    selected_orders,
    stale_page,
)
from orders.staff.forms import (
    NoteForm,
    OrderFilterForm,
    PromiseForm,
    ReasonForm,
    ReplyForm,
    SendBackForm,
    ShipForm,
)
from orders.staff.next_step import attention, next_step
from ordersite.exports import csv_response
from ordersite.money import quantize
from ordersite.pagination import CappedPaginator
from ordersite.staff import staff_required
from ordersite.submissions import new_key

Form = django_forms.Form
PAGE_SIZES = (25, 50, 100, 200)
CSV_COLUMNS = [
    "number",
    "placed_at",
    "channel",
    "status",
    "customer",
    "email",
    "ship_by",
    "currency",
    "total",
]


@staff_required("orders.view_order")
def order_list(request):
    """All orders: filters, search, sorting, pagination, CSV export of the filtered list."""
    form = OrderFilterForm(request.GET or None)
    orders = order_list_selector(**form.filters(user=request.user))
    if request.GET.get("format") == "csv":
        return _orders_csv(orders)
    try:
        size = int(request.GET.get("size", 50))
    except ValueError:
        size = 50
    size = size if size in PAGE_SIZES else 50
    page = CappedPaginator(orders, size).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    return render(
        request,
        "staff/orders/list.html",
        {
            "form": form,
            "page": page,
            "query": query.urlencode(),
            "sort_query": sort_query.urlencode(),
            "sort": form.filters()["sort"],
            "sizes": PAGE_SIZES,
            "size": size,
            "staff_members": _staff_members(),
            "saved_views": request.user.saved_views.all(),
            "view_query": _view_query(query.urlencode()),
        },
    )


def _view_query(raw: str) -> str:
    """A list query string reduced to the list's own filters (a tampered or pasted
    one keeps only what the filter form knows; never the page number)."""
    from django.http import QueryDict

    given = QueryDict(raw[:4000])
    known = set(OrderFilterForm.base_fields) | {"size"}
    kept = QueryDict(mutable=True)
    for key in given:
        if key in known:
            kept.setlist(key, [v[:200] for v in given.getlist(key)][:20])
    return kept.urlencode()[:2000]


@require_POST
@staff_required("orders.view_order")
def saved_view_save(request):
    """Save the list's current filters under a name (the same name replaces it)."""
    query = _view_query(request.POST.get("query", ""))
    try:
        view = staff_services.saved_view_save(
            user=request.user, name=request.POST.get("name", ""), query=query
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return HttpResponseRedirect(reverse("orders:list") + (f"?{query}" if query else ""))


@require_POST
@staff_required("orders.view_order")
def saved_view_delete(request, view_id):
    view = staff_services.saved_view_delete(user=request.user, view_id=view_id)
    if view is None:
        raise Http404
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("orders:list")


def _orders_csv(orders):
    """The filtered list as a CSV, streamed row by row from one database cursor:
    only the exported columns are read (no per-row subqueries), so a million
    orders stream in seconds and memory stays flat."""
    rows = orders.values_list(
        "number",
        "placed_at",
        "channel",
        "status",
        "customer__name",
        "customer__email",
        "ship_by",
        "currency",
        "total",
    ).iterator(chunk_size=5000)
    return csv_response(
        "orders.csv",
        CSV_COLUMNS,
        (
            [
                number,
                placed_at.isoformat(),
                channel,
                status,
                name,
                email,
                ship_by or "",
                currency,
                quantize(total, currency),
            ]
            for number, placed_at, channel, status, name, email, ship_by, currency, total in rows
        ),
    )


# Verification happens on the checklist page, not with a bare button.


# Moves that need their own page: what is packed is scanned, what ships is chosen.
PAGE_MOVES = {
    "pack": ("orders:pack", gettext_lazy("Pack: scan the units")),
    "ship": ("orders:ship", gettext_lazy("Ship a parcel")),
}

TRANSITION_FORMS = {
    "hold": ReasonForm,
    "cancel": ReasonForm,
    "ship": ShipForm,
    "send_back": SendBackForm,
}


class CancelForm(ReasonForm):
    """Cancel asks for the reason and for a confirmation after showing what it does."""

    confirm = django_forms.BooleanField(
        label=gettext_lazy("Yes, cancel this order"),
        error_messages={"required": _("Tick “Yes, cancel this order” to confirm.")},
    )


TRANSITION_FORMS["cancel"] = CancelForm


@staff_required("orders.view_order")
def order_detail(request, number):
    """Everything about one order: its next step first, rare moves kept apart."""
    order = order_detail_selector(number=number)
    moves = available_transitions(order=order, actor=request.user)
    step = next_step(order, user=request.user, moves=moves)
    position = money_position(order)
    # Every other move this person may make, away from the next step: hold and
    # cancel, and whatever is not the usual way on (never verification or the
    # pages of their own, which the next step or the checklist lead to).
    apart = [
        (
            name,
            Order.transition_label(name),
            TRANSITION_FORMS.get(name, Form)(prefix=name),
        )
        for name in moves
        if name not in ("backorder", step.move if step else "")
        and name not in VERIFICATION_MOVES + tuple(PAGE_MOVES)
    ]
    carriers = settings.ORDERS_CARRIER_TRACKING_URLS
    units_left = (
        sum(units_to_ship(order).values())
        if order.shipped_at is None and order.shipments.all()
        else 0
    )
    return render(
        request,
        "staff/orders/detail.html",
        {
            "order": order,
            "step": step,
            "apart": apart,
            "cancel_effects": (
                services.cancel_plan(order, position=position)
                if "cancel" in moves
                else None
            ),
            "attention": attention(order),
            "shipments": [
                (
                    s,
                    carriers.get(s.carrier, "").format(number=s.tracking_number)
                    or None,
                )
                for s in order.shipments.all()
            ],
            "price_mismatches": pricing.price_mismatches(order=order),
            "units_left": units_left,
            "partly_shipped": units_left > 0 and order.status != OrderStatus.CANCELLED,
            "position": position,
            # Drawn with the page: a double click on a one-shot button acts once.
            "page_key": new_key(),
            "timeline": timeline(order),
            "prices_open": OrderStatus.PRICES_OPEN,
            "open_problems": [i for i in order.issues.all() if i.resolved_at is None],
            "note_form": NoteForm(auto_id="note_%s"),
            "reply_form": ReplyForm(auto_id="reply_%s"),
            "staff_members": _staff_members(),
            "delay": case_of(order),
            "returns": list(order.returns.order_by("-pk"))
            if order.delivered_at
            else [],
            "promise_form": (
                PromiseForm(
                    prefix="promise",
                    initial={
                        "ship_by": order.ship_by,
                        "estimated_delivery": order.estimated_delivery,
                    },
                )
                if order.status in OrderStatus.NOT_SHIPPED
                or order.status == OrderStatus.SHIPPED
                else None
            ),
        },
    )


@require_POST
@staff_required("orders.view_order")
def order_transition(request, number, name):
    """Run one transition from the order page; the message says what it did, or why not."""
    order = get_object_or_404(Order, number=number)
    if stale := stale_page(request, order):
        messages.error(request, stale)
        return redirect("orders:detail", number=number)
    form = TRANSITION_FORMS.get(name, Form)(request.POST, prefix=name)
    if not form.is_valid():
        messages.error(
            request, " ".join(e for errors in form.errors.values() for e in errors)
        )
        return redirect("orders:detail", number=number)
    before = last_fact_id(order)
    try:
        moves.order_transition(
            order=order, name=name, actor=request.user, **form.cleaned_data
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, said_since(order, before))
    return redirect("orders:detail", number=number)


BULK_MOVES = {
    "start_picking": gettext_lazy("Start picking"),
    "hold": gettext_lazy("Held"),
    "release_hold": gettext_lazy("Released"),
}
BULK_PRINTS = {"pick_list": "orders:pick_list", "packing_slips": "orders:packing_slips"}


@require_POST
@staff_required("orders.view_order")
def orders_bulk(request):
    """The list's bulk actions on the ticked orders: print, export, or one move each."""
    name = request.POST.get("action", "")
    numbers = order_numbers(request)
    if not numbers:
        messages.error(request, _("Tick at least one order first."))
        return _back_to_list(request)
    if name in BULK_PRINTS:
        return redirect(
            reverse(BULK_PRINTS[name]) + "?" + urlencode({"orders": " ".join(numbers)})
        )
    if name == "export":
        return _orders_csv(
            order_list_selector(sort="number").filter(number__in=numbers)
        )
    if name == "assign":
        return _bulk_assign(request)
    if name not in BULK_MOVES:
        messages.error(request, _("Choose an action."))
        return _back_to_list(request)
    inputs = {}
    if name == "hold":
        inputs["reason"] = request.POST.get("reason", "").strip()[:500]
        if not inputs["reason"]:
            messages.error(request, _("Give a reason to hold the ticked orders."))
            return _back_to_list(request)
    return _for_each_order(
        request,
        lambda order: moves.order_transition(
            order=order, name=name, actor=request.user, **inputs
        ),
        lambda done: (
            _("%(move)s: %(orders)s.") % {"move": BULK_MOVES[name], "orders": done}
        ),
    )


def _bulk_assign(request):
    """Give every ticked order the chosen owner, each order on its own."""
    try:
        assignee = _assignee(request, request.POST.get("assignee", "")[:20])
    except OrderError as exc:
        messages.error(request, str(exc))
        return _back_to_list(request)
    return _for_each_order(
        request,
        lambda order: services.order_assign(
            order=order, actor=request.user, assignee=assignee
        ),
        lambda done: (
            _("Now with %(who)s: %(orders)s.")
            % {
                "who": assignee.get_username() if assignee else _("nobody"),
                "orders": done,
            }
        ),
    )


def _for_each_order(request, act, said):
    """Run ``act`` on every ticked order, each succeeding or failing on its own (one
    refusal never stops the others); ``said`` words the success for those done."""
    done, failed = [], []
    for order in selected_orders(request):
        try:
            act(order)
        except OrderError as exc:
            error = str(exc)
            failed.append(
                error if order.number in error else f"{order.number}: {error}"
            )
        else:
            done.append(order.number)
    if done:
        messages.success(request, said(", ".join(done)))
    for error in failed:
        messages.error(request, error)
    return _back_to_list(request)


def _back_to_list(request):
    """Back where the person came from (a page of this site only), else the order list."""
    target = request.POST.get("next", "")
    # A path on this site; anything else (another host, or text such as "abc",
    # which redirect() would take for a view name) goes back to the list.
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return HttpResponseRedirect(target)
    return redirect("orders:list")


def _staff_members():
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .order_by("username")
    )


def _assignee(request, value: str):
    """The staff member a form names ("me", an id) or None for nobody; raises
    InvalidOrder for anyone else (a tampered or stale choice)."""
    from orders.exceptions import InvalidOrder

    if value == "me":
        return request.user
    if value in ("", "nobody"):
        return None
    member = _staff_members().filter(pk=value).first() if value.isdigit() else None
    if member is None:
        raise InvalidOrder(_("Choose a staff member from the list."))
    return member


@require_POST
@staff_required("orders.view_order")
def order_assign(request, number):
    """Take the order, hand it to someone, or leave it with nobody."""
    order = get_object_or_404(Order, number=number)
    try:
        assignee = _assignee(request, request.POST.get("assignee", "")[:20])
        services.order_assign(order=order, actor=request.user, assignee=assignee)
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(number)s is now with %(who)s.")
            % {"number": number, "who": assignee.get_username()}
            if assignee
            else _("%(number)s is now with nobody.") % {"number": number},
        )
    return redirect("orders:detail", number=number)


@require_POST
@staff_required("orders.view_order")
def order_note(request, number):
    order = get_object_or_404(Order, number=number)
    form = NoteForm(request.POST)
    if form.is_valid():
        services.order_add_note(
            order=order, actor=request.user, body=form.cleaned_data["body"]
        )
        messages.success(request, _("Note added."))
    else:
        messages.error(request, _("A note cannot be empty."))
    return redirect("orders:detail", number=number)


@require_POST
@staff_required("orders.answer_customer")
def order_reply(request, number):
    """Answer the customer: the reply is emailed and shown on their page."""
    order = get_object_or_404(Order, number=number)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a message first."))
        return redirect("orders:detail", number=number)
    try:
        customer_side.message_from_staff(
            order=order, body=form.cleaned_data["body"], actor=request.user
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Reply sent to the customer."))
    return redirect("orders:detail", number=number)


@require_POST
@staff_required("orders.answer_customer")
def order_resolve_problem(request, number, issue_id):
    """Resolve a problem the customer reported, with the reply they will read."""
    order = get_object_or_404(Order, number=number)
    issue = get_object_or_404(OrderIssue, pk=issue_id, order=order)
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write the reply the customer will read."))
        return redirect("orders:detail", number=number)
    try:
        customer_side.order_resolve_problem(
            order=order,
            issue=issue,
            actor=request.user,
            reply=form.cleaned_data["body"],
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "Problem resolved; the customer has your reply by email and on their page."
            ),
        )
    return redirect("orders:detail", number=number)

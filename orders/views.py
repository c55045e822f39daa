"""Pages of the orders app. Staff pages and the customer's status page come with their issues."""

import csv
from urllib.parse import urlencode

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from orders import customer as customer_side
from orders import payments, pricing, services
from orders.exceptions import OrderError
from orders.forms import (
    AddLineFormSet,
    CorrectionForm,
    NewOrderForm,
    NewOrderLineFormSet,
    NoteForm,
    OrderFilterForm,
    PackForm,
    ParcelForm,
    PaymentForm,
    ReasonForm,
    ReplyForm,
    SendBackForm,
    ShipForm,
)
from orders.invoice_pdf import render_pdf
from orders.models import Invoice, Order, OrderStatus
from orders.selectors import (
    PICKABLE,
    allocation_warehouses,
    backordered_orders,
    order_status_counts,
    orders_by_number,
    packing_slips,
    pick_lists,
)
from orders.selectors import order_detail as order_detail_selector
from orders.selectors import order_list as order_list_selector
from orders.verification import checklist
from ordersite.staff import staff_required

Form = django_forms.Form
TRANSITION_LABELS = {
    "record_first_check": gettext_lazy("Record first check"),
    "verify": gettext_lazy("Confirm verification (second check)"),
    "send_back": gettext_lazy("Send back to the first checker"),
    "allocate": gettext_lazy("Run the inventory check"),
    "mark_paid": gettext_lazy("Mark paid"),
    "start_picking": gettext_lazy("Start picking"),
    "pack": gettext_lazy("Mark packed"),
    "ship": gettext_lazy("Ship"),
    "mark_delivered": gettext_lazy("Mark delivered"),
    "complete": gettext_lazy("Complete"),
    "hold": gettext_lazy("Put on hold"),
    "release_hold": gettext_lazy("Release hold"),
    "cancel": gettext_lazy("Cancel order"),
}


def _stale(request, order) -> str:
    """Why the page the person posted from is out of date ("" when it is not).

    Forms carry the status the page was drawn in; the services lock the row and
    check again, this turns the common case into a plain message early.
    """
    expected = request.POST.get("status", "")
    if expected and expected != order.status:
        return _(
            "Order %(number)s changed since you loaded the page (it is now %(status)s); look again."
        ) % {"number": order.number, "status": order.get_status_display().lower()}
    return ""


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: where to go, and for signed-in staff the orders per state."""
    context = {}
    if request.user.is_authenticated and request.user.is_staff:
        context["status_counts"] = order_status_counts()
    return render(request, "home.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """A liveness probe that also proves the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


@staff_required("orders.view_order")
def backorders(request):
    """Backordered orders: what each is missing and since when, with the split action."""
    return render(
        request,
        "staff/orders/backorders.html",
        {
            "orders": backordered_orders(),
            "can_split": request.user.has_perm("orders.allocate_order"),
        },
    )


@require_POST
@staff_required("orders.allocate_order")
def backorder_split(request, number):
    """Ship what is in stock now; the chosen lines' missing units follow as a new order."""
    order = get_object_or_404(Order, number=number)
    if stale := _stale(request, order):
        messages.error(request, stale)
        return redirect("orders:backorders")
    line_ids = [int(i) for i in request.POST.getlist("lines") if i.isdigit()]
    try:
        child = services.order_split_backorder(
            order=order, actor=request.user, line_ids=line_ids
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(number)s ships what is in stock; the rest follows as %(child)s.")
            % {"number": number, "child": child.number},
        )
    return redirect("orders:backorders")


@staff_required("orders.view_invoice")
def invoice(request, number):
    """An invoice or credit note, printable."""
    document = get_object_or_404(Invoice, number=number)
    return render(
        request,
        "staff/orders/invoice.html",
        {
            "doc": document,
            "c": document.content,
            "pdf_url": reverse("orders:invoice_pdf", args=[number]),
        },
    )


@staff_required("orders.view_invoice")
def invoice_pdf(request, number):
    document = get_object_or_404(Invoice, number=number)
    response = HttpResponse(render_pdf(document), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{document.number}.pdf"'
    return response


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
    orders = order_list_selector(**form.filters())
    if request.GET.get("format") == "csv":
        return _orders_csv(orders)
    try:
        size = int(request.GET.get("size", 50))
    except ValueError:
        size = 50
    size = size if size in PAGE_SIZES else 50
    page = Paginator(orders, size).get_page(request.GET.get("page"))
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
        },
    )


def _orders_csv(orders):
    """Stream the filtered list, so a large export never sits in memory."""

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def rows():
        yield writer.writerow(CSV_COLUMNS)
        for o in orders.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    o.number,
                    o.placed_at.isoformat(),
                    o.channel,
                    o.status,
                    o.customer.name,
                    o.customer.email,
                    o.ship_by or "",
                    o.currency,
                    o.total,
                ]
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="orders.csv"'
    return response


# Verification happens on the checklist page, not with a bare button.
VERIFICATION_MOVES = ("record_first_check", "verify", "send_back")
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


@staff_required("orders.view_order")
def order_detail(request, number):
    """Everything about one order, and the moves this person may make on it now."""
    order = order_detail_selector(number=number)
    moves = services.available_transitions(order=order, actor=request.user)
    offered = [
        (
            name,
            TRANSITION_LABELS.get(name, name),
            TRANSITION_FORMS.get(name, Form)(prefix=name),
        )
        for name in moves
        if name != "backorder" and name not in VERIFICATION_MOVES + tuple(PAGE_MOVES)
    ]
    carriers = settings.ORDERS_CARRIER_TRACKING_URLS
    return render(
        request,
        "staff/orders/detail.html",
        {
            "order": order,
            "offered": offered,
            "shipments": [
                (
                    s,
                    carriers.get(s.carrier, "").format(number=s.tracking_number)
                    or None,
                )
                for s in order.shipments.all()
            ],
            "price_mismatches": pricing.price_mismatches(order=order),
            "verification_offered": any(m in VERIFICATION_MOVES for m in moves),
            "units_left": (
                sum(services.units_to_ship(order).values())
                if order.shipped_at is None and order.shipments.all()
                else 0
            ),
            "page_moves": [
                (reverse(PAGE_MOVES[m][0], args=[order.number]), PAGE_MOVES[m][1])
                for m in moves
                if m in PAGE_MOVES
            ],
            "balance": order.balance_due(),
            "note_form": NoteForm(auto_id="note_%s"),
            "reply_form": ReplyForm(auto_id="reply_%s"),
        },
    )


@require_POST
@staff_required("orders.view_order")
def order_transition(request, number, name):
    """Run one transition from the order page; every refusal comes back as a message."""
    order = get_object_or_404(Order, number=number)
    if stale := _stale(request, order):
        messages.error(request, stale)
        return redirect("orders:detail", number=number)
    form = TRANSITION_FORMS.get(name, Form)(request.POST, prefix=name)
    if not form.is_valid():
        messages.error(
            request, " ".join(e for errors in form.errors.values() for e in errors)
        )
        return redirect("orders:detail", number=number)
    try:
        services.order_transition(
            order=order, name=name, actor=request.user, **form.cleaned_data
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Order %(number)s updated.") % {"number": number})
    return redirect("orders:detail", number=number)


@staff_required("orders.view_order")
def order_verification(request, number):
    """The checklist: the first checker ticks every item; a second person confirms or sends back."""
    order = order_detail_selector(number=number)
    if request.method == "POST":
        name = request.POST.get("do", "")
        if name not in VERIFICATION_MOVES:
            messages.error(request, _("Choose what to do with the check."))
            return redirect("orders:verification", number=number)
        inputs = {}
        if name == "record_first_check":
            inputs["checked"] = request.POST.getlist("checked")
        elif name == "send_back":
            form = SendBackForm(request.POST, prefix="send_back")
            if not form.is_valid():
                messages.error(request, _("Say what was wrong before sending it back."))
                return redirect("orders:verification", number=number)
            inputs.update(form.cleaned_data)
        if stale := _stale(request, order):
            messages.error(request, stale)
            return redirect("orders:verification", number=number)
        try:
            services.order_transition(
                order=order, name=name, actor=request.user, **inputs
            )
        except OrderError as exc:
            messages.error(request, str(exc))
            return redirect("orders:verification", number=number)
        messages.success(
            request,
            {
                "record_first_check": _(
                    "First check recorded; someone else confirms it now."
                ),
                "verify": _("Order %(number)s verified."),
                "send_back": _("Sent back to the first checker."),
            }[name]
            % {"number": number},
        )
        return redirect("orders:detail", number=number)
    offered = services.available_transitions(order=order, actor=request.user)
    return render(
        request,
        "staff/orders/verification.html",
        {
            "order": order,
            "items": checklist(order),
            "may_check": "record_first_check" in offered,
            "may_confirm": "verify" in offered,
            "may_send_back": "send_back" in offered,
            "send_back_form": SendBackForm(prefix="send_back"),
            "is_first_checker": order.first_checked_by_id == request.user.pk,
        },
    )


def _error_list(exc: OrderError) -> list[str]:
    """An error as lines for a form: the headline, then each reason on its own."""
    if getattr(exc, "reasons", None):
        return [exc.headline, *exc.reasons]
    return [str(exc)]


def _move_page(request, order, name, form, template, **context):
    """A move that needs its own page (packing, shipping): the form, then the service."""
    if request.method == "POST" and form.is_valid():
        if stale := _stale(request, order):
            form.add_error(None, stale)
        else:
            inputs = getattr(form, "service_inputs", lambda: form.cleaned_data)()
            try:
                services.order_transition(
                    order=order, name=name, actor=request.user, **inputs
                )
            except OrderError as exc:
                form.add_error(None, _error_list(exc))
            else:
                messages.success(
                    request, _("Order %(n)s updated.") % {"n": order.number}
                )
                return redirect("orders:detail", number=order.number)
    return render(request, template, {"order": order, "form": form, **context})


def _to_ship(order):
    remaining = services.units_to_ship(order)
    return [
        (line, remaining[line.pk]) for line in order.lines.all() if remaining[line.pk]
    ]


def _line_inputs(formset) -> list[services.LineInput]:
    """The filled rows of a valid line formset, as the services take them."""
    return [
        services.LineInput(
            product=f.cleaned_data["product"],
            quantity=f.cleaned_data["quantity"],
            unit_price=f.cleaned_data.get("unit_price"),
            price_reason=f.cleaned_data.get("price_reason") or "",
        )
        for f in formset.forms
        if f.cleaned_data.get("product")
    ]


@staff_required("orders.check_order")
def order_correct(request, number):
    """Fix quantities, lines or the address before verification; the check starts over."""
    from inventory.models import Product

    order = order_detail_selector(number=number)
    form = CorrectionForm(request.POST or None, order=order)
    added = AddLineFormSet(request.POST or None, prefix="add")
    if request.method == "POST" and form.is_valid() and added.is_valid():
        d = form.cleaned_data
        try:
            services.order_correct(
                order=order,
                actor=request.user,
                reason=d["reason"],
                quantities=form.quantities(),
                add=_line_inputs(added),
                shipping_address=d["shipping_address"],
                shipping_country=d["shipping_country"],
                seen=d["seen"].split(),
            )
        except OrderError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                _("Order %(n)s corrected; it needs its first check again.")
                % {"n": number},
            )
            return redirect("orders:verification", number=number)
    return render(
        request,
        "staff/orders/correct.html",
        {
            "order": order,
            "form": form,
            "lines": added,
            "skus": Product.objects.filter(active=True).values_list("sku", "name"),
        },
    )


@staff_required("orders.fulfil_order")
def order_pack(request, number):
    """Scan every unit into the parcel; the order is packed only when they match it."""
    order = order_detail_selector(number=number)
    return _move_page(
        request,
        order,
        "pack",
        PackForm(request.POST or None),
        "staff/orders/pack.html",
        lines=_to_ship(order),
    )


@staff_required("orders.ship_order")
def order_ship(request, number):
    """A parcel leaves: carrier, tracking number, which units (partial shipments allowed)."""
    order = order_detail_selector(number=number)
    return _move_page(
        request,
        order,
        "ship",
        ParcelForm(
            request.POST or None,
            lines=_to_ship(order),
            warehouses=allocation_warehouses(order=order),
        ),
        "staff/orders/ship.html",
        carriers=settings.ORDERS_CARRIER_TRACKING_URLS,
    )


@staff_required("orders.record_payment")
def order_payment(request, number):
    """Take a card payment or record one staff handle (transfer, cash on delivery, invoice)."""
    order = order_detail_selector(number=number)
    form = PaymentForm(
        request.POST or None,
        initial={"amount": max(order.balance_due(), 0) or None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            payments.payment_take(order=order, actor=request.user, **form.cleaned_data)
        except OrderError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("orders:detail", number=number)
    return render(
        request,
        "staff/orders/order_form.html",
        {
            "order": order,
            "form": form,
            "title": _("Record a payment"),
            "submit": _("Record payment"),
            "intro": _("%(amount)s %(currency)s still to be paid.")
            % {"amount": order.balance_due(), "currency": order.currency},
        },
    )


def _numbers(request) -> list[str]:
    """Order numbers from ``?orders=`` (repeated, or comma- or space-separated)."""
    values = request.GET.getlist("orders") or request.POST.getlist("orders")
    return [n for v in values for n in v.replace(",", " ").split()]


def _selected_orders(request):
    orders, unknown = orders_by_number(_numbers(request))
    for number in unknown:
        messages.warning(request, _("There is no order %(n)s.") % {"n": number})
    return orders


@staff_required("orders.view_order", "orders.fulfil_order")
def pick_list(request):
    """Printable pick lists for one or many orders: per warehouse, walking the bins."""
    orders = _selected_orders(request)
    warehouse = request.GET.get("warehouse", "")
    sheets = pick_lists(orders=orders, warehouse_code=warehouse)
    return render(
        request,
        "staff/orders/pick_list.html",
        {
            "orders": orders,
            "sheets": sheets,
            "not_pickable": [o for o in orders if o.status not in PICKABLE],
            "to_start": [o for o in orders if o.status == OrderStatus.PAID],
            "warehouse": warehouse,
        },
    )


@staff_required("orders.view_order", "orders.fulfil_order")
def packing_slip(request):
    """Printable packing slips, one page per order: what goes in the parcel, no prices."""
    return render(
        request,
        "staff/orders/packing_slips.html",
        {
            "slips": packing_slips(orders=_selected_orders(request)),
            "company": settings.ORDERS_COMPANY,
        },
    )


BULK_MOVES = {"start_picking": gettext_lazy("Start picking")}
BULK_PRINTS = {"pick_list": "orders:pick_list", "packing_slips": "orders:packing_slips"}


@require_POST
@staff_required("orders.view_order")
def orders_bulk(request):
    """The list's bulk actions on the ticked orders: print, export, or one move each."""
    name = request.POST.get("action", "")
    numbers = _numbers(request)
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
    if name not in BULK_MOVES:
        messages.error(request, _("Choose an action."))
        return _back_to_list(request)
    done, failed = [], []
    for order in _selected_orders(request):
        try:
            services.order_transition(order=order, name=name, actor=request.user)
        except OrderError as exc:
            failed.append(str(exc))
        else:
            done.append(order.number)
    if done:
        messages.success(
            request,
            _("%(move)s: %(orders)s.")
            % {"move": BULK_MOVES[name], "orders": ", ".join(done)},
        )
    for reason in failed:
        messages.error(request, reason)
    return _back_to_list(request)


def _back_to_list(request):
    """Back where the person came from (a staff page only), else the order list."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("orders:list")


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
@staff_required("orders.change_order")
def order_reply(request, number):
    order = get_object_or_404(Order, number=number)
    form = ReplyForm(request.POST)
    if form.is_valid():
        customer_side.message_from_staff(
            order=order, body=form.cleaned_data["body"], actor=request.user
        )
        messages.success(request, _("Reply sent to the customer."))
    else:
        messages.error(request, _("Write a message first."))
    return redirect("orders:detail", number=number)


@staff_required("orders.enter_order")
def order_new(request):
    """A phone or email order: nothing is saved until the whole order is valid."""
    from inventory.models import Product

    form = NewOrderForm(request.POST or None)
    lines = NewOrderLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and lines.is_valid():
        d = form.cleaned_data
        try:
            with transaction.atomic():
                buyer = customer_side.customer_find_or_create(
                    email=d["email"],
                    name=d["name"],
                    phone=d["phone"],
                    address=d["address"],
                    country=d["country"],
                )
                order = services.order_place(
                    customer=buyer,
                    channel=d["channel"],
                    channel_reference=d["reference"],
                    shipping_total=d["shipping"],
                    shipping_address=d["address"],
                    shipping_country=d["country"] if d["address"] else "",
                    actor=request.user,
                    lines=_line_inputs(lines),
                )
        except OrderError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Order %(n)s saved.") % {"n": order.number})
            return redirect("orders:detail", number=order.number)
    return render(
        request,
        "staff/orders/new.html",
        {
            "form": form,
            "lines": lines,
            "skus": Product.objects.filter(active=True).values_list("sku", "name"),
        },
    )


@require_POST
@staff_required("orders.enter_order")
def order_read_back(request, number):
    order = get_object_or_404(Order, number=number)
    try:
        customer_side.order_send_read_back(order=order, actor=request.user)
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Read-back confirmation sent to %(e)s.") % {"e": order.customer.email},
        )
    return redirect("orders:detail", number=number)

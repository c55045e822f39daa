"""Phone and email orders: entry, correction before verification, the read-back email."""

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from inventory.models import Product
from orders.core import services
from orders.core.models import Order
from orders.core.selectors import order_detail as order_detail_selector
from orders.customer import services as customer_side
from orders.customer.selectors import customers_matching
from orders.exceptions import OrderAlreadyPlaced, OrderError
from orders.money.pricing import LineInput
from orders.staff.forms import (
    AddLineFormSet,
    CorrectionForm,
    NewOrderForm,
    NewOrderLineFormSet,
)
from orders.verification import services as verification
from ordersite.staff import staff_required


def line_inputs(formset) -> list[LineInput]:
    """The filled rows of a valid line formset, as the services take them."""
    return [
        LineInput(
            product=f.cleaned_data["product"],
            quantity=f.cleaned_data["quantity"],
            unit_price=f.cleaned_data.get("unit_price"),
            price_reason=f.cleaned_data.get("price_reason") or "",
        )
        for f in formset.forms
        if f.cleaned_data.get("product")
    ]


def large_lines(lines: list[LineInput]) -> list[tuple[str, int]]:
    """``(sku, quantity)`` of each line, for the plausibility question."""
    return [(line.product.sku, line.quantity) for line in lines]


def _picked_customer(request) -> dict:
    """The form's first values from the customer chosen in the picker (``?customer=``)."""
    from orders.customer.models import Customer

    value = request.GET.get("customer", "")
    customer = (
        Customer.objects.filter(pk=value).first()
        if value.isdigit() and len(value) <= 18
        else None
    )
    if value and customer is None:
        messages.warning(request, _("That customer is not known; search again."))
    if customer is None:
        return {}
    return {
        "email": customer.email,
        "name": customer.name,
        "phone": customer.phone,
        "address": customer.shipping_address,
        "country": customer.shipping_country,
    }


# Up to this many active products are listed in the page for the browser to
# suggest from; a larger catalogue is searched as the SKU is typed.
DATALIST_PRODUCTS = 300


def product_suggestions(term: str = "", *, limit: int = 20):
    """Active products whose SKU starts with, or name contains, ``term`` (all of them,
    up to ``DATALIST_PRODUCTS``, for an empty term)."""
    from django.db.models import Q

    products = Product.objects.filter(active=True).order_by("sku")
    term = term.strip()[:64]
    if not term:
        return list(products.values_list("sku", "name")[:DATALIST_PRODUCTS])
    return list(
        products.filter(Q(sku__istartswith=term) | Q(name__icontains=term)).values_list(
            "sku", "name"
        )[:limit]
    )


@staff_required("orders.enter_order")
def product_picker(request):
    """The SKU suggestions for what is typed, as <option>s of the page's datalist."""
    return render(
        request,
        "staff/orders/_product_options.html",
        {"skus": product_suggestions(request.GET.get("sku", ""))},
    )


@staff_required("orders.enter_order")
def customer_picker(request):
    """The picker's matches as a fragment of the entry page (fetched as you type)."""
    term = request.GET.get("find", "")
    return render(
        request,
        "staff/orders/_customer_matches.html",
        {"term": term.strip(), "matches": customers_matching(term)},
    )


MORE_LINES = 5


def _with_more_lines(data):
    """The posted entry page with empty rows added (no script needed to add lines)."""
    data = data.copy()
    key = "lines-TOTAL_FORMS"
    count = int(data.get(key)) if str(data.get(key, "")).isdigit() else 0
    data[key] = str(min(count + MORE_LINES, NewOrderLineFormSet.max_num))
    return data


def _quote(request, form, lines):
    """What the order would cost, by the services that place it; nothing is saved."""
    from orders.customer.models import Customer

    d = form.cleaned_data
    customer = Customer.objects.filter(email__iexact=d["email"]).order_by("pk").first()
    if customer is None:
        customer = Customer(name=d["name"], shipping_country=d["country"])
    return services.order_quote(
        customer=customer,
        lines=line_inputs(lines),
        actor=request.user,
        shipping_total=d["shipping"],
        shipping_country=d["country"] if d["address"] else "",
    )


@staff_required("orders.enter_order")
def order_new(request):
    """A phone or email order: nothing is saved until the whole order is valid.

    Two buttons only redraw the page: "Add more lines" (five empty rows) and
    "Show the total" (prices, tax, shipping and total as saving would charge).
    """
    data = request.POST or None
    if data is not None and "more_lines" in data:
        data = _with_more_lines(data)
    form = NewOrderForm(data, initial=_picked_customer(request))
    lines = NewOrderLineFormSet(data, prefix="lines")
    quote = None
    if data is not None and "preview" in data and form.is_valid() and lines.is_valid():
        try:
            quote = _quote(request, form, lines)
        except OrderError as exc:
            form.add_error(None, str(exc))
    if (
        request.method == "POST"
        and "more_lines" not in data
        and "preview" not in data
        and form.is_valid()
        and lines.is_valid()
        and form.confirm_large_quantities(
            large_lines(line_inputs(lines)),
            threshold=settings.ORDERS_CONFIRM_QUANTITY_ABOVE,
        )
    ):
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
                    lines=line_inputs(lines),
                    submission_key=d["submission"],
                )
        except OrderAlreadyPlaced as exc:
            messages.info(request, str(exc))
            return redirect("orders:detail", number=exc.order.number)
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
            "quote": quote,
            "term": request.GET.get("find", "").strip(),
            "matches": customers_matching(request.GET.get("find", "")),
            "skus": product_suggestions(),
        },
    )


@staff_required("orders.check_order")
def order_correct(request, number):
    """Fix quantities, lines or the address before verification; the check starts over."""
    order = order_detail_selector(number=number)
    form = CorrectionForm(request.POST or None, order=order)
    added = AddLineFormSet(request.POST or None, prefix="add")
    if (
        request.method == "POST"
        and form.is_valid()
        and added.is_valid()
        and form.confirm_large_quantities(
            form.changed_quantities() + large_lines(line_inputs(added)),
            threshold=settings.ORDERS_CONFIRM_QUANTITY_ABOVE,
        )
    ):
        d = form.cleaned_data
        try:
            verification.order_correct(
                order=order,
                actor=request.user,
                reason=d["reason"],
                quantities=form.quantities(),
                add=line_inputs(added),
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
            "skus": product_suggestions(),
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

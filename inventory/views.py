"""Staff pages for stock: levels, a product's ledger, receipts, counts, health.

Views validate input with forms and call the services; every failure the
services raise comes back as a message on the page, never a server error.
"""

from functools import partial

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inventory import counts, services
from inventory.exceptions import AlreadyRecorded, InventoryError
from inventory.forms import (
    AdjustForm,
    CountEntryForm,
    CountOpenForm,
    ReasonForm,
    ReceiptForm,
    ReceiptLineFormSet,
    StockFilterForm,
)
from inventory.models import GoodsReceipt, Product, StockCount, StockMovement
from inventory.selectors import (
    HEALTH_SORTS,
    inventory_health,
    product_ledger,
    stock_levels,
)
from ordersite.exports import csv_response
from ordersite.pagination import CappedPaginator
from ordersite.staff import staff_required

PAGE_SIZE = 50


def _page(request, queryset):
    return CappedPaginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))


@staff_required("inventory.view_stockitem")
def stock_list(request):
    form = StockFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    items = stock_levels(
        search=filters.get("q", ""),
        warehouse_id=filters["warehouse"].pk if filters.get("warehouse") else None,
        state=filters.get("state", ""),
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "staff/inventory/stock_list.html",
        {"form": form, "page": _page(request, items), "query": query.urlencode()},
    )


@staff_required("inventory.view_stockitem")
def product_detail(request, sku):
    product = get_object_or_404(Product, sku=sku)
    can_adjust = request.user.has_perm("inventory.adjust_stock")
    form = AdjustForm(request.POST or None) if can_adjust else None
    if request.method == "POST":
        if form is None:
            return HttpResponse(status=403)
        if form.is_valid():
            item = services.stock_item_ensure(
                product=product, warehouse=form.cleaned_data["warehouse"]
            )
            try:
                services.stock_adjust(
                    stock_item=item,
                    delta=form.cleaned_data["delta"],
                    actor=request.user,
                    reason=form.cleaned_data["reason"],
                    submission_key=form.cleaned_data["submission"],
                )
            except AlreadyRecorded:
                messages.info(
                    request,
                    _(
                        "This adjustment was already recorded; nothing was changed twice."
                    ),
                )
                return redirect("inventory:product", sku=product.sku)
            except InventoryError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Stock adjusted."))
                return redirect("inventory:product", sku=product.sku)
    return render(
        request,
        "staff/inventory/product_detail.html",
        {
            "product": product,
            "items": product.stock_items.select_related("warehouse").order_by(
                "warehouse__code"
            ),
            "page": _page(request, product_ledger(product_id=product.pk)),
            "form": form,
            "reverse_form": ReasonForm() if can_adjust else None,
        },
    )


@staff_required("inventory.view_goodsreceipt")
def receipt_list(request):
    receipts = GoodsReceipt.objects.select_related(
        "warehouse", "received_by"
    ).prefetch_related("lines__product")
    return render(
        request, "staff/inventory/receipt_list.html", {"page": _page(request, receipts)}
    )


@staff_required("inventory.add_goodsreceipt")
def receipt_new(request):
    form = ReceiptForm(request.POST or None)
    formset = ReceiptLineFormSet(request.POST or None, prefix="lines")
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        lines = [
            services.ReceiptLine(
                product=f.cleaned_data["sku"], quantity=f.cleaned_data["quantity"]
            )
            for f in formset.forms
            if f.cleaned_data.get("sku")
        ]
        if form.confirm_large_quantities(
            [(line.product.sku, line.quantity) for line in lines],
            threshold=settings.INVENTORY_CONFIRM_QUANTITY_ABOVE,
        ):
            try:
                receipt = services.receipt_create(
                    actor=request.user,
                    lines=lines,
                    warehouse=form.cleaned_data["warehouse"],
                    supplier=form.cleaned_data["supplier"],
                    supplier_reference=form.cleaned_data["supplier_reference"],
                    note=form.cleaned_data["note"],
                    submission_key=form.cleaned_data["submission"],
                )
            except AlreadyRecorded as exc:
                messages.info(
                    request,
                    _(
                        "This delivery was already booked as %(number)s; nothing was booked twice."
                    )
                    % {"number": exc.record.number},
                )
                return redirect("inventory:receipt", number=exc.record.number)
            except InventoryError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    _(
                        "Receipt %(number)s booked: stock added, waiting orders will be allocated."
                    )
                    % {"number": receipt.number},
                )
                return redirect("inventory:receipt", number=receipt.number)
    return render(
        request, "staff/inventory/receipt_form.html", {"form": form, "formset": formset}
    )


@staff_required("inventory.view_goodsreceipt")
def receipt_detail(request, number):
    receipt = get_object_or_404(
        GoodsReceipt.objects.select_related("warehouse", "received_by"), number=number
    )
    return render(
        request,
        "staff/inventory/receipt_detail.html",
        {
            "receipt": receipt,
            "lines": receipt.lines.select_related("product"),
            "reverse_form": ReasonForm()
            if request.user.has_perm("inventory.add_goodsreceipt")
            and not receipt.reversed_at
            else None,
        },
    )


def _reverse(request, reverse, *, back, missing_reason, already, failed, done):
    """Run a reversal service with the reason from the form, and say what happened."""
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, missing_reason)
        return back
    try:
        reverse(actor=request.user, reason=form.cleaned_data["reason"])
    except AlreadyRecorded:
        messages.info(request, already)
    except InventoryError as exc:
        messages.error(request, failed % {"error": exc})
    else:
        messages.success(request, done)
    return back


@require_POST
@staff_required("inventory.add_goodsreceipt")
def receipt_reverse(request, number):
    receipt = get_object_or_404(GoodsReceipt, number=number)
    return _reverse(
        request,
        partial(services.receipt_reverse, receipt=receipt),
        back=redirect("inventory:receipt", number=number),
        missing_reason=_("Give a reason to reverse the receipt."),
        already=_("This receipt was already reversed."),
        failed=_("The receipt was not reversed: %(error)s"),
        done=_("Receipt %(number)s reversed: its units left stock.")
        % {"number": number},
    )


@require_POST
@staff_required("inventory.adjust_stock")
def adjustment_reverse(request, pk):
    movement = get_object_or_404(
        StockMovement.objects.select_related("stock_item__product"), pk=pk
    )
    return _reverse(
        request,
        partial(services.adjustment_reverse, movement=movement),
        back=redirect("inventory:product", sku=movement.stock_item.product.sku),
        missing_reason=_("Give a reason to reverse the adjustment."),
        already=_("This adjustment was already reversed."),
        failed=_("The adjustment was not reversed: %(error)s"),
        done=_("Adjustment reversed."),
    )


@staff_required("inventory.view_stockcount")
def count_list(request):
    all_counts = StockCount.objects.select_related("warehouse", "opened_by")
    return render(
        request, "staff/inventory/count_list.html", {"page": _page(request, all_counts)}
    )


@staff_required("inventory.add_stockcount")
def count_new(request):
    form = CountOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            count = counts.count_open(
                warehouse=form.cleaned_data["warehouse"],
                actor=request.user,
                product_ids=form.cleaned_data["skus"],
                note=form.cleaned_data["note"],
            )
        except InventoryError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, _("Count %(number)s opened.") % {"number": count.number}
            )
            return redirect("inventory:count", number=count.number)
    return render(request, "staff/inventory/count_new.html", {"form": form})


@staff_required("inventory.view_stockcount")
def count_detail(request, number):
    count = get_object_or_404(
        StockCount.objects.select_related(
            "warehouse", "opened_by", "submitted_by", "decided_by"
        ),
        number=number,
    )
    can_count = request.user.has_perm("inventory.change_stockcount")
    form = CountEntryForm(request.POST or None, count=count)
    if request.method == "POST":
        if not can_count:
            return HttpResponse(status=403)
        if form.is_valid():
            try:
                with transaction.atomic():
                    counts.count_record(
                        count=count, quantities=form.quantities(), actor=request.user
                    )
                    if "submit" in request.POST:
                        counts.count_submit(count=count, actor=request.user)
            except InventoryError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request,
                    _("Count submitted for approval.")
                    if "submit" in request.POST
                    else _("Counted quantities saved."),
                )
                return redirect("inventory:count", number=count.number)
    lines = count.lines.select_related("stock_item__product", "counted_by").order_by(
        "stock_item__product__sku"
    )
    return render(
        request,
        "staff/inventory/count_detail.html",
        {
            "count": count,
            "form": form,
            "lines": lines,
            "can_count": can_count and count.is_editable,
            "can_approve": request.user.has_perm("inventory.approve_stockcount")
            and count.status == StockCount.Status.SUBMITTED,
            "can_cancel": can_count
            and count.status in (StockCount.Status.OPEN, StockCount.Status.SUBMITTED),
            "cancel_form": ReasonForm(),
        },
    )


@require_POST
@staff_required("inventory.approve_stockcount")
def count_approve(request, number):
    count = get_object_or_404(StockCount, number=number)
    try:
        counts.count_approve(count=count, actor=request.user)
    except InventoryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Count approved; stock corrected."))
    return redirect("inventory:count", number=number)


@require_POST
@staff_required("inventory.change_stockcount")
def count_cancel(request, number):
    count = get_object_or_404(StockCount, number=number)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give a reason to cancel the count."))
        return redirect("inventory:count", number=number)
    try:
        counts.count_cancel(
            count=count, actor=request.user, reason=form.cleaned_data["reason"]
        )
    except InventoryError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Count cancelled."))
    return redirect("inventory:count", number=number)


HEALTH_COLUMNS = [
    ("sku", gettext_lazy("SKU")),
    ("problem", gettext_lazy("Problem")),
    ("available", gettext_lazy("Available")),
    ("sold", gettext_lazy("Product shipped (30 days)")),
    ("cover", gettext_lazy("Days of cover")),
]

HEALTH_PROBLEMS = [
    ("", gettext_lazy("All problems")),
    ("stockout", gettext_lazy("Out of stock")),
    ("low", gettext_lazy("Low")),
    ("overstock", gettext_lazy("Overstock")),
]


@staff_required("inventory.view_stockitem")
def health(request):
    sort = request.GET.get("sort", "problem")
    sort = sort if sort in HEALTH_SORTS else "problem"
    problem = request.GET.get("problem", "")
    problem = problem if problem in {"stockout", "low", "overstock"} else ""
    rows = inventory_health(sort=sort, problem=problem)
    if request.GET.get("format") == "csv":
        return csv_response(
            "inventory-health.csv",
            [
                "sku",
                "product",
                "warehouse",
                "problem",
                "on_hand",
                "allocated",
                "available",
                "reorder_point",
                "reorder_quantity",
                "shipped_30d",
                "days_of_cover",
            ],
            (
                [
                    r.item.product.sku,
                    r.item.product.name,
                    r.item.warehouse.code,
                    r.problem,
                    r.item.on_hand,
                    r.item.allocated,
                    r.item.available,
                    r.item.reorder_point,
                    r.item.reorder_quantity,
                    r.sold_30d,
                    "" if r.days_of_cover is None else f"{r.days_of_cover:.1f}",
                ]
                for r in rows
            ),
        )
    # A page of rows at a time (the CSV has them all): thousands of stock rows
    # would otherwise be one slow page.
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/inventory/health.html",
        {
            "rows": page,
            "page": page,
            "query": f"sort={sort}" + (f"&problem={problem}" if problem else ""),
            "sort": sort,
            "problem": problem,
            "columns": HEALTH_COLUMNS,
            "problems": HEALTH_PROBLEMS,
            "overstock_days": settings.INVENTORY_OVERSTOCK_DAYS,
        },
    )

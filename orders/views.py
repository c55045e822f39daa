"""Pages of the orders app. Staff pages and the customer's status page come with their issues."""

from django.contrib import messages
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from orders import services
from orders.exceptions import OrderError
from orders.invoice_pdf import render_pdf
from orders.models import Invoice, Order
from orders.selectors import backordered_orders, order_status_counts
from ordersite.staff import staff_required


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
    expected = request.POST.get("status", "")
    if expected and expected != order.status:
        messages.error(
            request,
            _("Order %(number)s changed since you loaded the page; look again.")
            % {"number": number},
        )
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

"""Money pages: record a payment, invoices and credit notes."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from orders.core.selectors import order_detail as order_detail_selector
from orders.exceptions import OrderError
from orders.money import payments
from orders.money.invoice_pdf import render_pdf
from orders.money.models import Invoice
from orders.staff.forms import PaymentForm
from ordersite.staff import staff_required


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

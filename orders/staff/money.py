"""Money pages: payments, refunds, discounts, the balance, invoices and credit notes.

The order page links here; every action runs the money services with the
same forms the admin once copied (the admin now only shows money records).
"""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.core.models import Order
from orders.core.selectors import order_detail as order_detail_selector
from orders.exceptions import AlreadyRecorded, InvalidOrder, OrderError
from orders.money import discounts, payments, refunds
from orders.money.invoice_pdf import render_pdf
from orders.money.models import Invoice, Refund
from orders.money.position import money_position
from orders.money.pricing_models import OrderDiscount
from orders.staff.common import last_fact_id, said_since, stale_page
from orders.staff.forms import DiscountForm, PaymentForm, RefundForm
from ordersite.money import format_money
from ordersite.staff import staff_required
from ordersite.submissions import new_key, submission


def _form_page(request, order, form, *, action, title, submit, intro):
    """A money page: the form, then ``action(cleaned_data)``; the message says what
    it did in the timeline's words, a refusal comes back on the form, and a second
    submit of the same page is told what the first one did."""
    if request.method == "POST" and form.is_valid():
        before = last_fact_id(order)
        try:
            action(form.cleaned_data)
        except AlreadyRecorded as exc:
            messages.info(request, str(exc))
            return redirect("orders:detail", number=order.number)
        except OrderError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, said_since(order, before))
            return redirect("orders:detail", number=order.number)
    return render(
        request,
        "staff/orders/order_form.html",
        {
            "order": order,
            "form": form,
            "title": title,
            "submit": submit,
            "intro": intro,
            "position": money_position(order),
        },
    )


@staff_required("orders.record_payment")
def order_payment(request, number):
    """Take a card payment or record one staff handle (transfer, cash on delivery, invoice).

    Offered only while something is owed and not already on its way; the form
    carries a key drawn with the page, so a double submit or a second tab pays once.
    """
    order = order_detail_selector(number=number)
    position = money_position(order)
    if position.payable <= 0 or order.is_finished:
        # Not a refusal of a submit the person could fix: nothing is to be paid.
        if request.method == "POST" and (
            earlier := order.payments.filter(
                submission_key=submission(request.POST.get("submission"))
            ).first()
        ):
            messages.info(request, str(payments.PaymentAlreadyRecorded(earlier)))
        else:
            messages.info(
                request,
                payments.nothing_more_owed(position, position.payable)
                if not order.is_finished
                else _("Order %(n)s takes no more payments.") % {"n": order.number},
            )
        return redirect("orders:detail", number=order.number)
    form = PaymentForm(
        request.POST or None, initial={"amount": position.payable, "received": True}
    )

    def take(d):
        return payments.payment_take(
            order=order,
            actor=request.user,
            method=d["method"],
            amount=d["amount"],
            card_number=d["card_number"],
            reference=d["reference"],
            received=d["received"],
            submission_key=d["submission"],
        )

    return _form_page(
        request,
        order,
        form,
        action=take,
        title=_("Record a payment"),
        submit=_("Record payment"),
        intro=_("%(amount)s still to be paid.")
        % {"amount": format_money(position.payable, order.currency)},
    )


@staff_required("orders.refund_order")
def order_refund(request, number):
    """Refund part or all of what was paid, to the payment method or as store credit.

    The form carries an idempotency key drawn when the page was drawn: a double
    submit, or the same form sent from a second tab, refunds once.
    """
    order = order_detail_selector(number=number)
    position = money_position(order)
    form = RefundForm(
        request.POST or None,
        initial={
            "idempotency_key": new_key(),
            "outcome": "original_method",
            "amount": position.refund_due or None,
        },
    )
    return _form_page(
        request,
        order,
        form,
        action=lambda d: refunds.payment_refund(order=order, actor=request.user, **d),
        title=_("Refund"),
        submit=_("Refund"),
        intro=_("Up to %(amount)s can be refunded.")
        % {"amount": format_money(position.refundable, order.currency)},
    )


@staff_required("orders.grant_discount")
def order_discount(request, number):
    """Apply a discount code, or give a discount with a reason; the totals are worked out again."""
    order = order_detail_selector(number=number)
    form = DiscountForm(request.POST or None)

    def apply(d):
        if d["code"]:
            return discounts.discount_code_apply(
                order=order, code=d["code"], actor=request.user
            )
        return discounts.discount_staff_grant(
            order=order,
            kind=d["kind"],
            value=d["value"],
            reason=d["reason"],
            actor=request.user,
            submission_key=d["submission"],
        )

    return _form_page(
        request,
        order,
        form,
        action=apply,
        title=_("Discount"),
        submit=_("Apply discount"),
        intro=_("Discounts can change until the order is paid."),
    )


def _order_action(request, number, action):
    """A one-button money action from the order page; the message says what it did,
    or why not."""
    order = get_object_or_404(Order, number=number)
    if stale := stale_page(request, order):
        messages.error(request, stale)
    else:
        before = last_fact_id(order)
        try:
            action(order)
        except AlreadyRecorded as exc:
            messages.info(request, str(exc))
        except OrderError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, said_since(order, before))
    return redirect("orders:detail", number=number)


@require_POST
@staff_required("orders.grant_discount")
def order_discount_remove(request, number, discount_id):
    def remove(order):
        discount = OrderDiscount.objects.filter(pk=discount_id, order=order).first()
        if discount is None:  # a second click, or a second tab
            raise InvalidOrder(_("That discount is no longer on the order."))
        return discounts.discount_remove(discount=discount, actor=request.user)

    return _order_action(request, number, remove)


@require_POST
@staff_required("orders.refund_order")
def order_refund_excess(request, number):
    return _order_action(
        request,
        number,
        lambda order: refunds.order_refund_excess(order=order, actor=request.user),
    )


@require_POST
@staff_required("orders.record_payment")
def order_request_balance(request, number):
    return _order_action(
        request,
        number,
        lambda order: refunds.order_request_balance(
            order=order,
            actor=request.user,
            submission_key=request.POST.get("submission", ""),
        ),
    )


@require_POST
@staff_required("orders.refund_order")
def refund_retry(request, number, refund_id):
    return _order_action(
        request,
        number,
        lambda order: refunds.refund_retry(
            refund=get_object_or_404(Refund, pk=refund_id, order=order),
            actor=request.user,
        ),
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

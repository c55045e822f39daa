"""The customer's "Pay now", and the test gateway's simulated hosted page."""

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from orders.core.models import Order
from orders.customer.views import private_page
from orders.exceptions import OrderError
from orders.money import links
from orders.money.models import PaymentLink
from orders.money.providers import TestCardProvider
from ordersite.forms import CardNumberField
from ordersite.money import format_money


@require_http_methods(["GET", "POST"])
@private_page
def pay(request, token):
    """GET: what is due and a "Pay" button (the email's link lands here);
    POST: open a payment link and go to the provider's hosted page."""
    order = get_object_or_404(
        Order.objects.select_related("customer"), tracking_token=token
    )
    due = links.amount_due(order)
    if request.method == "POST":
        try:
            link = links.payment_link_open(order=order)
        except OrderError as exc:
            messages.info(request, str(exc))
            return redirect("track:order", token=token)
        return redirect(links.hosted_page_url(link))
    return render(request, "track/pay.html", {"order": order, "due": due})


class CardForm(forms.Form):
    card_number = CardNumberField(
        label=gettext_lazy("Card number"),
        widget=forms.TextInput(
            attrs={"autocomplete": "cc-number", "inputmode": "numeric"}
        ),
    )


@require_http_methods(["GET", "POST"])
@private_page
def test_gateway(request, link_token):
    """The test card gateway's hosted page (stands in for a provider's page)."""
    link = (
        PaymentLink.objects.select_related("order")
        .filter(token=link_token[:64], provider="test_card")
        .first()
    )
    if link is None:
        raise Http404
    back = link.order.tracking_token
    if link.status == PaymentLink.Status.PAID:
        messages.info(
            request, _("This payment was made already; nothing was taken twice.")
        )
        return redirect("track:order", token=back)
    form = CardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            payment = links.payment_link_pay_card(
                link=link, card_number=form.cleaned_data["card_number"]
            )
        except OrderError as exc:
            form.add_error("card_number", str(exc))
        else:
            messages.success(
                request,
                _("Thank you: %(amount)s paid.")
                % {"amount": format_money(payment.amount, link.order.currency)},
            )
            return redirect("track:order", token=back)
    return render(
        request,
        "track/test_gateway.html",
        {"link": link, "form": form, "cards": TestCardProvider.KNOWN},
    )

"""The customer's side of returns: the public policy page, and returns started,
followed and withdrawn from the order's status page (no login: the token)."""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from inventory.models import Product
from orders.customer.views import _order, private_page
from orders.exceptions import AlreadyRecorded, OrderError
from ordersite.actors import CUSTOMER
from returns import services
from returns.forms import RequestForm
from returns.models import OUR_FAULT, Reason, Return, ReturnPolicy, Source
from returns.policy import last_day, returnable_lines


def policy_page(request):
    """The return policy in plain words, rendered from the rules staff configure."""
    policy = ReturnPolicy.current()
    return render(
        request,
        "returns/policy.html",
        {
            "policy": policy,
            "our_fault": [Reason(r).label for r in Reason.values if r in OUR_FAULT],
            "categories": [
                c.strip()
                for c in policy.non_returnable_categories.splitlines()
                if c.strip()
            ],
            "products": Product.objects.filter(returnable=False, active=True).order_by(
                "name"
            )[:200],
        },
    )


@private_page
def return_new(request, token):
    order = _order(token)
    policy = ReturnPolicy.current()
    lines = returnable_lines(order, policy)
    form = RequestForm(
        request.POST or None,
        request.FILES or None,
        returnables=lines,
        outcomes=policy.outcomes(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            rma = services.return_request(
                order=order,
                asked=data["asked"],
                outcome=data["outcome"],
                actor=CUSTOMER,
                source=Source.CUSTOMER,
                note=data["note"],
                wish=data.get("wish", ""),
                photos=data["photos"],
                submission_key=data["submission"],
            )
        except AlreadyRecorded as exc:
            messages.info(request, str(exc))
            return redirect(_status(order))
        except OrderError as exc:
            messages.error(request, str(exc))
        else:
            if rma.status == "approved":
                messages.success(
                    request,
                    _("Return %(rma)s is approved: send the items as shown below.")
                    % {"rma": rma.number},
                )
            else:
                messages.success(
                    request,
                    _(
                        "We have your request %(rma)s. A person will look at it and "
                        "answer you here and by email."
                    )
                    % {"rma": rma.number},
                )
            return redirect(_status(order))
    return render(
        request,
        "track/return_new.html",
        {
            "order": order,
            "form": form,
            "policy": policy,
            "last_day": last_day(order, policy),
            "delivered": order.delivered_at is not None,
        },
    )


def _status(order) -> str:
    from django.urls import reverse

    return reverse("track:order", args=[order.tracking_token]) + "#returns"


class ReturnForm(forms.Form):
    rma = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reference = forms.CharField(
        label=gettext_lazy("Your parcel's tracking number"),
        max_length=100,
        required=False,
    )


YES_NO = [("yes", gettext_lazy("Yes")), ("no", gettext_lazy("No"))]


class FeedbackForm(ReturnForm):
    easy = forms.ChoiceField(
        label=gettext_lazy("Was it easy to return?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    resolved = forms.ChoiceField(
        label=gettext_lazy("Is your problem resolved?"),
        choices=YES_NO,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything we could do better (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


def _on_return(request, token, action, done: str, form_class=ReturnForm):
    order = _order(token)
    form = form_class(request.POST)
    rma = None
    if form.is_valid():
        rma = Return.objects.filter(pk=form.cleaned_data["rma"], order=order).first()
    if rma is None:
        messages.error(request, _("This return is not on this order."))
        return redirect(_status(order))
    try:
        action(rma, form.cleaned_data)
    except AlreadyRecorded as exc:
        messages.info(request, str(exc))
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done)
    return redirect(_status(order))


@require_POST
@private_page
def return_cancel(request, token):
    return _on_return(
        request,
        token,
        lambda rma, d: services.return_cancel(rma=rma, actor=CUSTOMER),
        _("Your return is cancelled. You keep the items."),
    )


@require_POST
@private_page
def return_label(request, token):
    return _on_return(
        request,
        token,
        lambda rma, d: services.return_set_label(rma=rma, reference=d["reference"]),
        _("Thank you: we will look out for your parcel."),
    )


@require_POST
@private_page
def return_feedback(request, token):
    return _on_return(
        request,
        token,
        lambda rma, d: services.return_feedback(
            rma=rma,
            easy=d["easy"] == "yes",
            resolved=d["resolved"] == "yes",
            comment=d["comment"],
        ),
        _("Thank you for telling us."),
        form_class=FeedbackForm,
    )


@private_page
def return_photo(request, token, photo_id):
    """A photo of one of this order's returns, for the customer."""
    from django.http import Http404

    from returns.models import ReturnPhoto
    from returns.views import photo_response

    photo = ReturnPhoto.objects.filter(
        pk=photo_id, rma__order__tracking_token=token
    ).first()
    if photo is None:
        raise Http404
    return photo_response(photo)

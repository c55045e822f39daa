"""Staff pages of returns: the queue, one return (decide, receive, inspect,
refund), and opening a return for a customer from the order page."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.core.models import Order
from orders.exceptions import AlreadyRecorded, OrderError
from ordersite.exports import csv_response
from ordersite.pagination import CappedPaginator
from ordersite.staff import staff_required
from returns import analytics, selectors, services
from returns.forms import (
    AmountForm,
    DecideForm,
    ExchangeForm,
    InspectForm,
    KeepForm,
    ParcelForm,
    ReceiveForm,
    StaffRequestForm,
)
from returns.models import RS, Return, ReturnPhoto, ReturnPolicy, Source
from returns.policy import returnable_lines, review_words, window_end


@staff_required("returns.view_return")
def return_list(request):
    show = request.GET.get("show", "decide")
    if show not in selectors.QUEUES:
        show = "decide"
    page = CappedPaginator(selectors.return_queue(show=show), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "staff/returns/list.html",
        {
            "page": page,
            "show": show,
            "queues": [(key, label) for key, (label, _s) in selectors.QUEUES.items()],
            "counts": selectors.queue_counts(),
        },
    )


@staff_required("returns.view_return")
def return_detail(request, return_id, **forms):
    rma = selectors.return_detail(return_id)
    policy = ReturnPolicy.current()
    context = {
        "rma": rma,
        "order": rma.order,
        "policy": policy,
        "review": [review_words().get(code, code) for code in rma.review_reasons],
        "window_end": window_end(rma.order, policy),
        "decide_form": forms.get("decide_form") or DecideForm(),
        "amount_form": forms.get("amount_form")
        or AmountForm(initial={"amount": rma.refund_due}),
        "exchange_form": forms.get("exchange_form") or ExchangeForm(),
    }
    if rma.status == RS.APPROVED:
        context["receive_form"] = forms.get("receive_form") or ReceiveForm(rma=rma)
        context["others_awaited"] = (
            Return.objects.filter(
                order__customer=rma.order.customer_id, status=RS.APPROVED
            )
            .exclude(pk=rma.pk)
            .count()
        )
        context["keep_form"] = forms.get("keep_form") or KeepForm()
    if rma.status == RS.RECEIVED:
        form = forms.get("inspect_form") or InspectForm(rma=rma)
        context["inspect_form"] = form
        context["four_eyes_blocked"] = (
            policy.four_eyes and rma.received_by_id == request.user.pk
        )
        found = (
            form.found()
            if form.is_bound and form.is_valid()
            else {
                row.pk: services.Inspection(
                    grade=form.fields[f"grade_{row.pk}"].initial,
                    disposition=form.fields[f"disposition_{row.pk}"].initial,
                    cause=row.reason,
                )
                for row in form.return_lines
            }
        )
        context["preview"] = services.refund_preview(rma, found)
        context["preview_total"] = sum(context["preview"].values())
    return render(request, "staff/returns/detail.html", context)


def _act(request, return_id, call, done: str, *, form=None, slot=""):
    """Run ``call(rma)``; on a service error the page again with the message (and
    the form as sent); on success back to the return with ``done``."""
    rma = get_object_or_404(Return, pk=return_id)
    if form is not None and not form.is_valid():
        return return_detail(request, return_id, **{slot: form})
    try:
        call(rma)
    except AlreadyRecorded as exc:
        messages.info(request, str(exc))
    except OrderError as exc:
        messages.error(request, str(exc))
        if form is not None:
            return return_detail(request, return_id, **{slot: form})
    else:
        messages.success(request, done)
    return redirect("returns:detail", return_id=rma.pk)


@require_POST
@staff_required("returns.handle_return")
def return_decide(request, return_id):
    form = DecideForm(request.POST)
    approve = request.POST.get("decision") == "approve"
    return _act(
        request,
        return_id,
        lambda rma: services.return_decide(
            rma=rma, actor=request.user, approve=approve, note=form.cleaned_data["note"]
        ),
        _("Approved: the customer has the RMA number and instructions.")
        if approve
        else _("Rejected: the customer is told why."),
        form=form,
        slot="decide_form",
    )


@require_POST
@staff_required("returns.handle_return")
def return_cancel(request, return_id):
    return _act(
        request,
        return_id,
        lambda rma: services.return_cancel(rma=rma, actor=request.user),
        _("Return cancelled."),
    )


@require_POST
@staff_required("returns.receive_return")
def return_receive(request, return_id):
    rma = selectors.return_detail(return_id)
    form = ReceiveForm(request.POST, rma=rma)
    return _act(
        request,
        return_id,
        lambda rma: services.return_receive(
            rma=rma, actor=request.user, arrived=form.arrived()
        ),
        _("Received. Another person inspects it."),
        form=form,
        slot="receive_form",
    )


@require_POST
@staff_required("returns.inspect_return")
def return_inspect(request, return_id):
    rma = selectors.return_detail(return_id)
    form = InspectForm(request.POST, request.FILES, rma=rma)
    return _act(
        request,
        return_id,
        lambda rma: services.return_inspect(
            rma=rma,
            actor=request.user,
            found=form.found(),
            photos=form.cleaned_data["photos"],
        ),
        _("Inspected. Check the amount and refund."),
        form=form,
        slot="inspect_form",
    )


@require_POST
@staff_required("returns.override_return_refund")
def return_amount(request, return_id):
    form = AmountForm(request.POST)
    return _act(
        request,
        return_id,
        lambda rma: services.return_set_amount(
            rma=rma,
            actor=request.user,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
        ),
        _("Refund amount set."),
        form=form,
        slot="amount_form",
    )


@require_POST
@staff_required("returns.inspect_return")
def return_refund(request, return_id):
    return _act(
        request,
        return_id,
        lambda rma: services.return_refund(rma=rma, actor=request.user),
        _("Refund on its way; the customer is emailed when it is made."),
    )


@require_POST
@staff_required("returns.inspect_return")
def return_exchange(request, return_id):
    form = ExchangeForm(request.POST)
    return _act(
        request,
        return_id,
        lambda rma: services.return_exchange(
            rma=rma,
            actor=request.user,
            replacements=form.cleaned_data["replacements"],
        ),
        _(
            "Exchanged: the replacement order is placed and goes through the usual steps."
        ),
        form=form,
        slot="exchange_form",
    )


@require_POST
@staff_required("returns.inspect_return")
def return_keep(request, return_id):
    form = KeepForm(request.POST)
    return _act(
        request,
        return_id,
        lambda rma: services.return_keep(
            rma=rma, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        _("Settled without the parcel: the customer keeps the items. Refund it now."),
        form=form,
        slot="keep_form",
    )


@require_POST
@staff_required("returns.inspect_return")
def return_close(request, return_id):
    return _act(
        request,
        return_id,
        lambda rma: services.return_close(rma=rma, actor=request.user),
        _("Return closed."),
    )


@staff_required("returns.handle_return")
def return_new(request, number):
    """Open a return for the customer of order ``number`` (phone, email, a parcel)."""
    order = get_object_or_404(Order.objects.select_related("customer"), number=number)
    policy = ReturnPolicy.current()
    lines = returnable_lines(order, policy)
    form = StaffRequestForm(
        request.POST or None,
        request.FILES or None,
        returnables=lines,
        outcomes=policy.outcomes(),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        source = Source.PARCEL if data["source"] == Source.PARCEL else Source.STAFF
        try:
            rma = services.return_request(
                order=order,
                asked=data["asked"],
                outcome=data["outcome"],
                actor=request.user,
                source=source,
                note=data["note"],
                wish=data.get("wish", ""),
                photos=data["photos"],
                approve=data["approve"] or source == Source.PARCEL,
                submission_key=data["submission"],
            )
        except AlreadyRecorded as exc:
            messages.info(request, str(exc))
            return redirect("returns:detail", return_id=exc.record.pk)
        except OrderError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("Return %(rma)s opened.") % {"rma": rma.number})
            return redirect("returns:detail", return_id=rma.pk)
    return render(
        request,
        "staff/returns/new.html",
        {
            "order": order,
            "form": form,
            "policy": policy,
            "window_end": window_end(order, policy),
        },
    )


DAY_CHOICES = (30, 90, 180, 365)


@staff_required("returns.read_return_analytics")
def return_analytics(request):
    """Return rates by product, category, reason, channel, warehouse and packer,
    time to refund, totals, grades, feedback and alerts. ``?csv=<table>`` downloads one."""
    try:
        days = int(request.GET.get("days", 90))
    except (TypeError, ValueError):
        days = 90
    if days not in DAY_CHOICES:
        days = 90
    review = analytics.cached_review(days=days)
    wanted = request.GET.get("csv")
    if wanted in analytics.DIMENSIONS:
        return csv_response(
            f"returns-by-{wanted}.csv",
            [
                str(analytics.DIMENSIONS[wanted]),
                "delivered",
                "returned",
                "rate_percent",
            ],
            (
                [r["key"], r["delivered"], r["returned"], r["rate"]]
                for r in review["tables"][wanted]
            ),
        )
    charts = {
        "week": review["weeks"],
        "reason": [(r["key"], r["returned"]) for r in review["tables"]["reason"]],
    }
    return render(
        request,
        "staff/returns/analytics.html",
        {
            "review": review,
            "charts": charts,
            "day_choices": DAY_CHOICES,
            "tables": [
                (key, label, review["tables"][key])
                for key, label in analytics.DIMENSIONS.items()
            ],
        },
    )


@staff_required("returns.receive_return")
def parcel_receive(request, return_id):
    """Receive, in one parcel, this return and the customer's other approved ones."""
    rma = selectors.return_detail(return_id)
    rmas = selectors.awaited_of(rma.order.customer_id)
    form = ParcelForm(request.POST or None, rmas=rmas, chosen=rma.pk)
    if request.method == "POST" and form.is_valid():
        try:
            parcel = services.parcel_receive(
                rmas=form.chosen(),
                actor=request.user,
                arrived=form.arrived(),
                reference=form.cleaned_data["reference"],
            )
        except OrderError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Parcel %(parcel)s received: %(rmas)s.")
                % {
                    "parcel": parcel.number,
                    "rmas": ", ".join(r.number for r in parcel.returns.order_by("pk")),
                },
            )
            return redirect("returns:list")
    return render(
        request,
        "staff/returns/parcel.html",
        {"rma": rma, "customer": rma.order.customer, "form": form},
    )


@staff_required("returns.view_return")
def return_photo(request, return_id, photo_id):
    """One photo of a return, for staff who may see returns."""
    photo = get_object_or_404(ReturnPhoto, pk=photo_id, rma_id=return_id)
    return photo_response(photo)


def photo_response(photo):
    from django.http import FileResponse

    response = FileResponse(
        photo.image.open("rb"),
        content_type={"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}[
            photo.extension
        ],
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response

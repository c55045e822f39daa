"""The delay cases: the queue, one case (explain, see the answer, close), and
promised dates changed from the order page."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.core.models import Order
from orders.delays import compensation, selectors
from orders.delays import services as delays
from orders.delays.models import CompensationOffer, CorrectiveAction, DelayCause
from orders.exceptions import OrderError
from orders.staff.forms import (
    CompensationForm,
    DelayCloseForm,
    DelayExplainForm,
    PromiseForm,
)
from ordersite.exports import csv_response
from ordersite.pagination import CappedPaginator
from ordersite.staff import staff_required


@staff_required("orders.view_order")
def delay_list(request):
    """Open cases by what they wait for (``?show=``), and the orders at risk."""
    show = request.GET.get("show", "to_explain")
    if show not in selectors.SHOWS:
        show = "to_explain"
    page = CappedPaginator(selectors.delay_cases(show=show), 50).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "staff/orders/delays.html",
        {
            "page": page,
            "show": show,
            "shows": [(key, label) for key, (label, _c) in selectors.SHOWS.items()],
            "summary": selectors.delay_summary(),
            "at_risk": selectors.at_risk() if show == "to_explain" else [],
        },
    )


@staff_required("orders.view_order")
def delay_detail(
    request, delay_id, explain_form=None, close_form=None, compensation_form=None
):
    delay = selectors.delay_case(delay_id)
    order = delay.order
    suggested = delays.delay_suggestion(delay, order) if delay.is_open else {}
    if explain_form is None:
        cause = DelayCause.objects.filter(code=suggested.get("cause"), active=True)
        explain_form = DelayExplainForm(
            initial={
                "cause": cause.first() if delay.cause_id is None else delay.cause,
                "details": delay.cause_details or suggested.get("details", ""),
                "new_date": suggested.get("new_date"),
            }
        )
    return render(
        request,
        "staff/orders/delay.html",
        {
            "delay": delay,
            "order": order,
            "explain_form": explain_form,
            "close_form": close_form or DelayCloseForm(),
            "choices": selectors.choices_for(delay, order),
            "offers": list(delay.offers.select_related("product", "offered_by")),
            "suggestions": compensation.compensation_suggestions(delay)
            if delay.is_open
            else [],
            "limit": compensation.limit_of(request.user),
            "compensation_form": compensation_form or CompensationForm(),
        },
    )


def _case_form(request, delay_id, *, form_class, slot: str, service):
    """Post one of the case page's forms to ``service``; on a form or service error
    the page again with the form as it was sent. Returns (delay, form, response)."""
    delay = selectors.delay_case(delay_id)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            service(delay=delay, actor=request.user, **form.cleaned_data)
        except OrderError as exc:
            messages.error(request, str(exc))
        else:
            return delay, form, None
    return delay, form, delay_detail(request, delay_id, **{slot: form})


@require_POST
@staff_required("orders.handle_delays")
def delay_explain(request, delay_id):
    delay, form, failed = _case_form(
        request,
        delay_id,
        form_class=DelayExplainForm,
        slot="explain_form",
        service=delays.delay_explain,
    )
    if failed:
        return failed
    messages.success(
        request,
        _("The customer is told: %(cause)s, new delivery date %(date)s.")
        % {
            "cause": form.cleaned_data["cause"].customer_text,
            "date": form.cleaned_data["new_date"],
        },
    )
    return redirect("orders:delay", delay_id=delay.pk)


@require_POST
@staff_required("orders.handle_delays")
def delay_close(request, delay_id):
    _delay, _form, failed = _case_form(
        request,
        delay_id,
        form_class=DelayCloseForm,
        slot="close_form",
        service=delays.delay_close,
    )
    if failed:
        return failed
    messages.success(request, _("Delay case closed."))
    return redirect("orders:delays")


@require_POST
@staff_required("orders.handle_delays")
def order_promise(request, number):
    """New promised dates from the order page; the customer is emailed the new date."""
    order = get_object_or_404(Order, number=number)
    form = PromiseForm(request.POST, prefix="promise")
    if not form.is_valid():
        messages.error(
            request,
            " ".join(str(e) for errors in form.errors.values() for e in errors),
        )
        return redirect("orders:detail", number=number)
    try:
        delays.order_promise_change(
            order=order, actor=request.user, **form.cleaned_data
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Promise changed; the customer is told the new delivery date %(date)s.")
            % {"date": form.cleaned_data["estimated_delivery"]},
        )
    return redirect("orders:detail", number=number)


@staff_required("orders.review_delays")
def delay_review(request):
    """Why orders were late, for managers: by cause, product, supplier, warehouse,
    carrier and week, with the on-time rate and the corrective actions still open.
    ``?csv=<dimension>`` downloads one table."""
    try:
        weeks = int(request.GET.get("weeks", 12))
    except (TypeError, ValueError):
        weeks = 12
    review = selectors.delay_review(weeks=weeks)
    wanted = request.GET.get("csv")
    if wanted in selectors.DIMENSIONS:
        return csv_response(
            f"delays-by-{wanted}.csv",
            [
                str(selectors.DIMENSIONS[wanted]),
                "cases",
                "average_extra_days",
                "worst_extra_days",
                "compensation",
                "repeat",
            ],
            (
                [
                    r["key"],
                    r["cases"],
                    r["average"],
                    r["worst"],
                    r["cost"],
                    "yes" if r["repeat"] else "",
                ]
                for r in review["tables"][wanted]
            ),
        )
    charts = {
        "week": [(r["key"], r["cases"]) for r in review["tables"]["week"]],
        "cause": [(r["key"], r["cases"]) for r in review["tables"]["cause"]],
    }
    return render(
        request,
        "staff/orders/delay_review.html",
        {
            "review": review,
            "tables": [
                (key, label, review["tables"][key])
                for key, label in selectors.DIMENSIONS.items()
            ],
            "charts": charts,
            "week_choices": (4, 12, 26, 52),
        },
    )


@require_POST
@staff_required("orders.view_order")
def action_done(request, action_id):
    action = get_object_or_404(CorrectiveAction, pk=action_id)
    try:
        delays.corrective_action_done(action=action, actor=request.user)
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Action marked done."))
    return redirect("orders:delay_review")


@require_POST
@staff_required("orders.handle_delays")
def compensation_offer(request, delay_id):
    """An offer by hand, or one the policy suggested (``rule``)."""
    from orders.delays.models import CompensationRule

    delay = selectors.delay_case(delay_id)
    rule = None
    if request.POST.get("rule", "").isdigit():
        rule = CompensationRule.objects.filter(pk=int(request.POST["rule"])).first()
        suggested = [
            s for s in compensation.compensation_suggestions(delay) if s.rule == rule
        ]
        if not suggested:
            messages.error(request, _("That suggestion no longer applies."))
            return redirect("orders:delay", delay_id=delay.pk)
        data = {"kind": suggested[0].kind, "value": suggested[0].value}
        data["product"] = suggested[0].product
    else:
        form = CompensationForm(request.POST)
        if not form.is_valid():
            return delay_detail(request, delay_id, compensation_form=form)
        data = {
            "kind": form.cleaned_data["kind"],
            "value": form.cleaned_data.get("value"),
            "product": form.cleaned_data.get("product"),
        }
    try:
        offer = compensation.compensation_offer(
            delay=delay, actor=request.user, rule=rule, **data
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Offered to the customer on their page.")
            if offer.status == offer.Status.OFFERED
            else _("Above your limit: waiting for a manager's approval."),
        )
    return redirect("orders:delay", delay_id=delay.pk)


@require_POST
@staff_required("orders.approve_compensation")
def compensation_approve(request, offer_id):
    offer = get_object_or_404(
        CompensationOffer.objects.select_related("delay"), pk=offer_id
    )
    try:
        compensation.compensation_approve(offer=offer, actor=request.user)
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Approved: the customer sees the offer."))
    return redirect("orders:delay", delay_id=offer.delay_id)

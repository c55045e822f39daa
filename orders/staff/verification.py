"""The verification checklist: first check item by item, second check, send back."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from orders import moves
from orders.core.selectors import order_detail as order_detail_selector
from orders.core.transitions import available_transitions
from orders.exceptions import OrderError
from orders.staff.common import VERIFICATION_MOVES, stale_page
from orders.staff.forms import SendBackForm
from orders.staff.next_step import attention
from orders.verification.checklist import checklist
from ordersite.staff import staff_required


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
        if stale := stale_page(request, order):
            messages.error(request, stale)
            return redirect("orders:verification", number=number)
        try:
            moves.order_transition(order=order, name=name, actor=request.user, **inputs)
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
    offered = available_transitions(order=order, actor=request.user)
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
            "attention": attention(order),
        },
    )

"""A customer email as it was written, opened from the order's timeline, and sent again."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from orders.core.models import Order
from orders.exceptions import OrderError
from orders.notifications.models import Notification
from orders.notifications.services import notification_resend
from orders.staff.common import last_fact_id
from ordersite.staff import staff_required


def _fact_id(value: str) -> int:
    """The page's newest fact id from the form; anything else counts as none seen
    (so a tampered field can only make the duplicate check stricter)."""
    return int(value) if value.isdigit() and len(value) <= 18 else 0


@staff_required("orders.view_order")
def order_email(request, number, notification_id):
    """GET: the email's words and delivery; POST: send it again (one per page drawn)."""
    order = get_object_or_404(Order, number=number)
    notification = get_object_or_404(
        Notification.objects.select_related("delivery"), pk=notification_id, order=order
    )
    if request.method == "POST":
        try:
            again = notification_resend(
                notification=notification,
                actor=request.user,
                seen_fact=_fact_id(request.POST.get("seen", "")),
            )
        except OrderError as exc:
            messages.error(request, str(exc))
            return redirect(
                "orders:email", number=number, notification_id=notification.pk
            )
        messages.success(
            request,
            _("%(number)s: email “%(subject)s” sent again to %(to)s.")
            % {"number": number, "subject": again.subject, "to": again.to_email},
        )
        return redirect("orders:email", number=number, notification_id=again.pk)
    return render(
        request,
        "staff/orders/email.html",
        {
            "order": order,
            "notification": notification,
            "seen": last_fact_id(order),
        },
    )

"""What the staff order pages share: stale-page checks, error lists, the orders named in a request."""

from django.contrib import messages
from django.utils.translation import gettext as _

from orders.core.selectors import orders_by_number
from orders.exceptions import OrderError

# Verification happens on the checklist page, not with a bare button.
VERIFICATION_MOVES = ("record_first_check", "verify", "send_back")


def stale_page(request, order) -> str:
    """Why the page the person posted from is out of date ("" when it is not).

    Forms carry the status the page was drawn in; the services lock the row and
    check again, this turns the common case into a plain message early.
    """
    expected = request.POST.get("status", "")
    if expected and expected != order.status:
        return _(
            "Order %(number)s changed since you loaded the page (it is now %(status)s); look again."
        ) % {"number": order.number, "status": order.get_status_display().lower()}
    return ""


def last_fact_id(order) -> int:
    """The newest fact of ``order`` now (0 for none): mark it before a move, then
    ``said_since`` tells what the move did."""
    return order.events.order_by("-pk").values_list("pk", flat=True).first() or 0


def said_since(order, after: int) -> str:
    """What happened to ``order`` after fact ``after``, in the timeline's words:
    "ORD-000302: Paid in full. Invoice INV-2026-000202 issued. …" """
    from orders.events.models import OrderEvent
    from orders.events.timeline import timeline

    facts = OrderEvent.objects.filter(order=order, pk__gt=after).order_by("pk")
    words = [
        entry.text.rstrip(".") + "."
        for entry in reversed(timeline(order, events=facts))
    ]
    return f"{order.number}: " + " ".join(words) if words else order.number


def error_list(exc: OrderError) -> list[str]:
    """An error as lines for a form: the headline, then each reason on its own."""
    if getattr(exc, "reasons", None):
        return [exc.headline, *exc.reasons]
    return [str(exc)]


def order_numbers(request) -> list[str]:
    """Order numbers from ``?orders=`` (repeated, or comma- or space-separated)."""
    values = request.GET.getlist("orders") or request.POST.getlist("orders")
    return [n for v in values for n in v.replace(",", " ").split()]


def selected_orders(request):
    orders, unknown = orders_by_number(order_numbers(request))
    for number in unknown:
        messages.warning(request, _("There is no order %(n)s.") % {"n": number})
    return orders

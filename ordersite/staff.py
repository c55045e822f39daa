"""What every staff page shares: sign-in, permission checks, the dashboard."""

from functools import wraps

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils.translation import gettext as _


def staff_required(*perms: str):
    """Signed-in staff holding every one of ``perms``; others get the sign-in page or a 403."""

    def decorate(view):
        @login_required(login_url=reverse_lazy("staff:login"))
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_staff or not request.user.has_perms(perms):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


class StaffLoginView(auth_views.LoginView):
    template_name = "staff/login.html"
    redirect_authenticated_user = True


@staff_required()
def dashboard(request):
    """The staff home: what needs attention now."""
    from urllib.parse import urlencode

    from inventory.selectors import inventory_summary, open_low_stock_alerts
    from orders.core.selectors import work_queues
    from orders.delays.selectors import delay_summary
    from orders.intake.selectors import deliveries_waiting_summary
    from orders.stock.selectors import backorder_summary
    from returns.selectors import queue_counts

    queues, throughput = work_queues()
    # The person's own queue first, counted by the list's own filter.
    from orders.core.selectors import order_list

    queues.insert(
        0,
        {
            "key": "mine",
            "label": _("My open orders"),
            "count": order_list(owner=request.user).count(),
            "oldest": None,
            "params": {"owner": "me"},
        },
    )
    for queue in queues:
        queue["query"] = urlencode(queue["params"])

    return render(
        request,
        "staff/dashboard.html",
        {
            "alerts": open_low_stock_alerts()[:10],
            "inventory": inventory_summary(),
            "backorders": backorder_summary(),
            "deliveries": deliveries_waiting_summary(),
            "delays": delay_summary(),
            "returns": queue_counts()
            if request.user.has_perm("returns.view_return")
            else None,
            "queues": queues,
            "throughput": throughput,
        },
    )

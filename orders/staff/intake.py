"""What the online stores sent: every delivery and what became of it; the ones
that could not be handled are processed again here once the cause is fixed."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.intake.deliveries import delivery_process
from orders.intake.models import Delivery
from ordersite.pagination import CappedPaginator
from ordersite.staff import staff_required


@staff_required("orders.view_order")
def deliveries(request):
    """Store deliveries, newest first; ``?status=open`` those waiting for staff."""
    wanted = request.GET.get("status", "")
    rows = Delivery.objects.select_related("store", "order")
    if wanted == "open":
        rows = rows.filter(
            status__in=[Delivery.Status.FAILED, Delivery.Status.ATTENTION]
        )
    elif wanted in Delivery.Status.values:
        rows = rows.filter(status=wanted)
    page = CappedPaginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "staff/orders/intake.html",
        {"page": page, "status": wanted, "statuses": Delivery.Status.choices},
    )


@require_POST
@staff_required("orders.enter_order")
def delivery_again(request, delivery_id):
    """Process a delivery again (after adding a missing product, say)."""
    delivery = get_object_or_404(Delivery, pk=delivery_id)
    if not delivery.open:
        messages.info(request, _("That delivery was handled already."))
        return redirect("orders:intake")
    delivery = delivery_process(delivery=delivery, actor=request.user)
    if delivery.open:
        messages.error(
            request,
            _("Still not handled: %(problem)s") % {"problem": delivery.problem},
        )
    else:
        messages.success(
            request,
            _("%(store)s %(id)s: %(status)s.")
            % {
                "store": delivery.store.name,
                "id": delivery.external_id,
                "status": delivery.get_status_display(),
            },
        )
    return redirect("orders:intake")

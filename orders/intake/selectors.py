"""What the online stores sent, as staff see it."""

from django.db.models import Count, Min, Q
from django.utils import timezone

from orders.intake.models import STUCK_AFTER, Delivery

WAITING = [Delivery.Status.FAILED, Delivery.Status.ATTENTION]


def deliveries_waiting():
    """Deliveries that could not be handled, need a person, or were interrupted
    while handled (still "received" after ``STUCK_AFTER``)."""
    return Delivery.objects.filter(
        Q(status__in=WAITING)
        | Q(
            status=Delivery.Status.RECEIVED,
            received_at__lt=timezone.now() - STUCK_AFTER,
        )
    )


def deliveries_waiting_summary() -> dict:
    """How many wait for staff and since when (one query, on the status index)."""
    return deliveries_waiting().aggregate(count=Count("pk"), oldest=Min("received_at"))

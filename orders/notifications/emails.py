"""Customer notifications: an outbox row per message, sent by Celery after commit.

``notify_on_commit`` renders the message and writes the ``Notification`` row
(and a timeline event) in the transaction of the change that causes it, so a
rolled-back change leaves no message. After commit a task sends it:
``notification_send`` claims the row with a conditional update and a lease
(two deliveries of one task send once), sends, and marks it sent; temporary
SMTP errors go back to pending for the task to retry with backoff; the last
failure marks it failed, visible to staff, who can resend it. A periodic
sweeper re-dispatches rows left pending or with an expired lease, so a lost
broker message or a dead worker loses nothing.
"""

import smtplib
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order
from orders.notifications.models import Notification

# Errors worth trying again: the mail server or the network, not the message.
TRANSIENT = (smtplib.SMTPException, OSError, TimeoutError)


class Kind:
    RECEIVED = "order_received"
    READ_BACK = "order_read_back"
    VERIFIED = "order_verified"
    BACKORDERED = "order_backordered"
    MOVING_AGAIN = "order_moving_again"
    SPLIT = "order_split"
    PAID = "order_paid"
    SHIPPED = "order_shipped"
    PARTLY_SHIPPED = "order_partly_shipped"
    DELIVERED = "order_delivered"
    COMPLETED = "order_completed"
    CANCELLED = "order_cancelled"
    REFUNDED = "order_refunded"
    BALANCE_DUE = "order_balance_due"
    MESSAGE = "order_message"


@dataclass(frozen=True)
class Template:
    subject: str
    essential: bool = True


# What each message says in its subject; its text is in templates/emails/orders/<kind>.*
TEMPLATES = {
    Kind.RECEIVED: Template(_("We have received your order %(number)s")),
    Kind.READ_BACK: Template(_("Please check your order %(number)s")),
    Kind.VERIFIED: Template(_("Your order %(number)s is confirmed")),
    Kind.BACKORDERED: Template(_("Part of your order %(number)s is on its way to us")),
    Kind.MOVING_AGAIN: Template(_("Your order %(number)s is moving again")),
    Kind.SPLIT: Template(_("Your order %(number)s ships in two parts")),
    Kind.PAID: Template(_("Payment received for order %(number)s")),
    Kind.SHIPPED: Template(_("Your order %(number)s has shipped")),
    Kind.PARTLY_SHIPPED: Template(_("Part of your order %(number)s has shipped")),
    Kind.DELIVERED: Template(
        _("Your order %(number)s was delivered: did you get everything?")
    ),
    Kind.COMPLETED: Template(_("Thank you for your order %(number)s"), essential=False),
    Kind.CANCELLED: Template(_("Your order %(number)s is cancelled")),
    Kind.REFUNDED: Template(_("Refund for order %(number)s")),
    Kind.BALANCE_DUE: Template(_("Payment still due for order %(number)s")),
    Kind.MESSAGE: Template(_("A reply about your order %(number)s")),
}


def status_url(order: Order) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "track:order", args=[order.tracking_token]
    )


def _render(order: Order, kind: str, extra: dict) -> tuple[str, str, str]:
    template = TEMPLATES[kind]
    context = {
        "order": order,
        "customer": order.customer,
        "lines": list(order.lines.order_by("pk")),
        "shipments": list(order.shipments.order_by("pk")),
        "status_url": status_url(order),
        "company": settings.ORDERS_COMPANY,
        **extra,
    }
    subject = str(template.subject) % {"number": order.number}
    text = render_to_string(f"emails/orders/{kind}.txt", context)
    html = render_to_string(f"emails/orders/{kind}.html", context)
    return subject, text, html


def notify_on_commit(
    *, order: Order, kind: str, extra: dict | None = None
) -> Notification:
    """Write the message for ``kind`` now; it is sent once the transaction commits."""
    from orders.events import record as events
    from orders.tasks import send_notification

    subject, text, html = _render(order, kind, extra or {})
    template = TEMPLATES[kind]
    skipped = not template.essential and order.customer.notifications_opt_out
    notification = Notification.objects.create(
        order=order,
        kind=kind,
        essential=template.essential,
        to_email=order.customer.email,
        subject=subject,
        body_text=text,
        body_html=html,
        status=Notification.Status.SKIPPED if skipped else Notification.Status.PENDING,
    )
    events.notification_queued(order=order, notification=notification)
    if not skipped:
        notification_id = notification.pk
        transaction.on_commit(
            lambda: send_notification.delay(notification_id=notification_id)
        )
    return notification


def notification_send(*, notification_id: int) -> Notification:
    """Send one notification if nobody else is; raises a transient error for a retry."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        Q(status=Notification.Status.PENDING)
        | Q(status=Notification.Status.SENDING, lease_until__lt=now),
        pk=notification_id,
    ).update(
        status=Notification.Status.SENDING,
        lease_until=now + timedelta(seconds=settings.ORDERS_NOTIFICATION_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    notification = Notification.objects.get(pk=notification_id)
    if not claimed:
        return notification  # sent already, or in someone else's hands
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        headers={"X-Ordersite-Notification": str(notification.pk)},
    )
    message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send()
    except TRANSIENT as exc:
        Notification.objects.filter(pk=notification.pk).update(
            status=Notification.Status.PENDING,
            lease_until=None,
            last_error=str(exc)[:255],
        )
        raise
    Notification.objects.filter(pk=notification.pk).update(
        status=Notification.Status.SENT,
        sent_at=timezone.now(),
        lease_until=None,
        last_error="",
    )
    notification.refresh_from_db()
    return notification


def notification_give_up(*, notification_id: int, error: str) -> Notification:
    Notification.objects.filter(pk=notification_id).exclude(
        status=Notification.Status.SENT
    ).update(
        status=Notification.Status.FAILED, lease_until=None, last_error=error[:255]
    )
    return Notification.objects.get(pk=notification_id)


def notification_resend(*, notification: Notification) -> Notification:
    """Staff: try a failed notification again."""
    from orders.tasks import send_notification

    updated = Notification.objects.filter(
        pk=notification.pk, status=Notification.Status.FAILED
    ).update(status=Notification.Status.PENDING)
    if updated:
        transaction.on_commit(
            lambda: send_notification.delay(notification_id=notification.pk)
        )
    notification.refresh_from_db()
    return notification


def notifications_sweep(*, older_than: timedelta = timedelta(minutes=3)) -> int:
    """Re-dispatch notifications left pending, or abandoned while sending."""
    from orders.tasks import send_notification

    now = timezone.now()
    stuck = Notification.objects.filter(
        Q(status=Notification.Status.PENDING, created_at__lt=now - older_than)
        | Q(status=Notification.Status.SENDING, lease_until__lt=now)
    ).values_list("pk", flat=True)
    ids = list(stuck)
    for notification_id in ids:
        send_notification.delay(notification_id=notification_id)
    return len(ids)

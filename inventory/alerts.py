"""Low-stock alerts: raised at the reorder point, closed on recovery, emailed once a day."""

import logging
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import AlertDigest, LowStockAlert, StockItem
from ordersite import outbox
from ordersite.models import OutboxMessage

LOW_STOCK_DIGEST = "low_stock_digest"

logger = logging.getLogger(__name__)


def low_stock_refresh() -> tuple[int, int]:
    """Open an alert for every item at or under its reorder point; close recovered ones.

    Returns (opened, closed). Safe to run concurrently: one open alert per item is
    a database constraint.
    """
    low = StockItem.objects.filter(
        reorder_point__gt=0, on_hand__lte=F("allocated") + F("reorder_point")
    )
    open_alerts = LowStockAlert.objects.filter(closed_at__isnull=True)
    closed = open_alerts.exclude(stock_item__in=low).update(closed_at=timezone.now())
    opened = 0
    already = open_alerts.values("stock_item_id")
    for item in low.exclude(pk__in=already).select_related("product"):
        try:
            with transaction.atomic():
                LowStockAlert.objects.create(
                    stock_item=item,
                    available_when_raised=item.available,
                    reorder_point=item.reorder_point,
                )
            opened += 1
        except IntegrityError:
            pass  # another run opened it a moment ago
    return opened, closed


def low_stock_email(*, today=None) -> AlertDigest | None:
    """Queue the day's one email listing open alerts to purchasing; None if not due.

    The digest row for the day (unique per day) and its outbox message are
    written in one transaction: once committed, no other run queues that day's
    email, and the outbox sends it after commit, retrying a mail server that is
    down, failing it visibly when it stays down.
    """
    recipients = list(settings.INVENTORY_PURCHASING_EMAILS)
    today = today or timezone.localdate()
    count = LowStockAlert.objects.filter(closed_at__isnull=True).count()
    if not recipients or not count or AlertDigest.objects.filter(day=today).exists():
        return None
    try:
        with transaction.atomic():
            digest = AlertDigest.objects.create(
                day=today, recipients=", ".join(recipients), alert_count=count
            )
            outbox.enqueue(LOW_STOCK_DIGEST, digest_id=digest.pk)
    except IntegrityError:
        return None  # another run queued today's email
    return digest


def send_low_stock_digest(message: OutboxMessage) -> None:
    """Outbox sender: the day's low-stock email, listing the alerts open when it is sent."""
    digest = AlertDigest.objects.get(pk=message.payload["digest_id"])
    alerts = list(
        LowStockAlert.objects.filter(closed_at__isnull=True)
        .select_related("stock_item__product", "stock_item__warehouse")
        .order_by("stock_item__product__sku", "stock_item__warehouse__code")
    )
    if not alerts:
        return  # everything recovered before it went out: nothing to tell
    new = [a for a in alerts if a.emailed_at is None]
    context = {
        "alerts": alerts,
        "new": new,
        "day": digest.day,
        "site_url": settings.SITE_URL,
    }
    email = EmailMultiAlternatives(
        subject=_("Low stock: %(n)d item(s) at or under their reorder point")
        % {"n": len(alerts)},
        body=render_to_string("emails/inventory/low_stock.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[r.strip() for r in digest.recipients.split(",") if r.strip()],
        headers={"Message-ID": outbox.message_id("low-stock", digest.day.isoformat())},
    )
    email.attach_alternative(
        render_to_string("emails/inventory/low_stock.html", context), "text/html"
    )
    email.send()
    LowStockAlert.objects.filter(pk__in=[a.pk for a in new]).update(
        emailed_at=timezone.now()
    )


def register_kinds() -> None:
    """Tell the outbox how the low-stock email is sent (from ``InventoryConfig.ready``)."""
    outbox.register(
        LOW_STOCK_DIGEST,
        send=send_low_stock_digest,
        transient=(smtplib.SMTPException, OSError, TimeoutError),
    )

"""Emails about orders: customer notifications and staff alerts, written to the outbox.

A customer email is rendered when it is written (plain text and HTML,
``templates/emails/orders/<kind>.*``; it records what was true then) into a
``Notification`` row, in the transaction of the change that causes it, with an
outbox row that sends it after commit (``ordersite.outbox``: claim, lease,
retries with backoff, sweeper). An optional email to a customer who opted out
is kept, marked skipped, never sent. A staff alert carries only ids; its words
are rendered when it is sent, from the rows as they are then.

Only subscribers (``orders.notifications.subscribers``) call these functions:
services record facts and never send anything themselves.
"""

import smtplib
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from orders.core.models import Order
from orders.customer.models import CustomerMessage, OrderIssue
from orders.notifications import facts
from orders.notifications.models import Notification, NotificationKind
from ordersite import outbox
from ordersite.models import OutboxMessage

Kind = NotificationKind
CUSTOMER_EMAIL = "customer_email"
STAFF_ALERT = "staff_alert"
# Errors worth trying again: the mail server or the network, not the message.
TRANSIENT = (smtplib.SMTPException, OSError, TimeoutError)


@dataclass(frozen=True)
class Template:
    subject: str
    essential: bool = True


# What each message says in its subject; its text is in templates/emails/orders/<kind>.*
TEMPLATES = {
    Kind.RECEIVED: Template(_l("We have received your order %(number)s")),
    Kind.READ_BACK: Template(_l("Please check your order %(number)s")),
    Kind.VERIFIED: Template(_l("Your order %(number)s is confirmed")),
    Kind.BACKORDERED: Template(_l("Part of your order %(number)s is on its way to us")),
    Kind.MOVING_AGAIN: Template(_l("Your order %(number)s is moving again")),
    Kind.SPLIT: Template(_l("Your order %(number)s ships in two parts")),
    Kind.PAID: Template(_l("Payment received for order %(number)s")),
    Kind.SHIPPED: Template(_l("Your order %(number)s has shipped")),
    Kind.PARTLY_SHIPPED: Template(_l("Part of your order %(number)s has shipped")),
    Kind.DELIVERED: Template(
        _l("Your order %(number)s was delivered: did you get everything?")
    ),
    Kind.COMPLETED: Template(
        _l("Thank you for your order %(number)s"), essential=False
    ),
    Kind.CANCELLED: Template(_l("Your order %(number)s is cancelled")),
    Kind.REFUNDED: Template(_l("Refund for order %(number)s")),
    Kind.BALANCE_DUE: Template(_l("Payment still due for order %(number)s")),
    Kind.MESSAGE: Template(_l("A reply about your order %(number)s")),
    Kind.DELAYED: Template(_l("Your order %(number)s is delayed: a new date")),
    Kind.STILL_DELAYED: Template(_l("Your order %(number)s is still delayed")),
    Kind.NEW_DATE: Template(_l("A new delivery date for your order %(number)s")),
    Kind.DELAY_UPDATE: Template(_l("News of your delayed order %(number)s")),
    Kind.RETURN_REQUESTED: Template(_l("Your return request for order %(number)s")),
    Kind.RETURN_APPROVED: Template(
        _l("Your return for order %(number)s: how to send it")
    ),
    Kind.RETURN_REJECTED: Template(_l("Your return request for order %(number)s")),
    Kind.RETURN_RECEIVED: Template(
        _l("We have received your return for order %(number)s")
    ),
    Kind.RETURN_EXCHANGED: Template(
        _l("Your exchange for order %(number)s is on its way to you")
    ),
    Kind.RETURN_INSPECTED: Template(_l("Your return for order %(number)s is checked")),
}


def status_url(order: Order) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "track:order", args=[order.tracking_token]
    )


def staff_url(order: Order) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("orders:detail", args=[order.number])


def _render(order: Order, kind: str, extra: dict) -> tuple[str, str, str]:
    context = {
        "order": order,
        "customer": order.customer,
        "lines": order.line_list(),
        "shipments": list(order.shipments.order_by("pk")),
        "status_url": status_url(order),
        "policy_url": settings.SITE_URL.rstrip("/") + reverse("return_policy"),
        "company": settings.ORDERS_COMPANY,
        **extra,
    }
    subject = str(TEMPLATES[kind].subject) % {"number": order.number}
    text = render_to_string(f"emails/orders/{kind}.txt", context)
    html = render_to_string(f"emails/orders/{kind}.html", context)
    return subject, text, html


def email_customer(
    *, order: Order, kind: str, extra: dict | None = None
) -> Notification:
    """Write the customer's email of ``kind`` now; the outbox sends it once the transaction commits."""
    subject, text, html = _render(order, kind, extra or {})
    template = TEMPLATES[kind]
    return _write(
        order=order,
        kind=kind,
        essential=template.essential,
        subject=subject,
        body_text=text,
        body_html=html,
        skipped=not template.essential and order.customer.notifications_opt_out,
    )


def email_again(*, order: Order, original: Notification) -> Notification:
    """The same words as ``original``, as a new email to the customer's address now
    (staff asked for it: sent even where the customer opted out of optional ones)."""
    return _write(
        order=order,
        kind=original.kind,
        essential=original.essential,
        subject=original.subject,
        body_text=original.body_text,
        body_html=original.body_html,
        skipped=False,
        resent_from=original,
    )


def _write(*, order: Order, skipped: bool, **message) -> Notification:
    """The notification row, its outbox row unless skipped, and the queued fact."""
    notification = Notification.objects.create(
        order=order, to_email=order.customer.email, skipped=skipped, **message
    )
    if not skipped:
        notification.delivery = outbox.enqueue(
            CUSTOMER_EMAIL, notification_id=notification.pk
        )
        notification.save(update_fields=["delivery"])
    facts.email_queued(order=order, notification=notification)
    return notification


def send_customer_email(message: OutboxMessage) -> None:
    """Outbox sender: one customer email through Django's email backend."""
    notification = Notification.objects.filter(
        pk=message.payload["notification_id"]
    ).first()
    if notification is None:
        return  # erased (privacy) before it went out: nothing to send
    email = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        headers={
            "X-Ordersite-Notification": str(notification.pk),
            "Message-ID": outbox.message_id("notification", notification.pk),
        },
    )
    email.attach_alternative(notification.body_html, "text/html")
    email.send()


# ------------------------------------------------------------------------------
# Staff alerts
# ------------------------------------------------------------------------------
class Alert:
    CUSTOMER_MESSAGE = "customer_message"
    PROBLEM_REPORTED = "problem_reported"
    READ_BACK_DISPUTED = "read_back_disputed"
    DELAY_ESCALATED = "delay_escalated"
    DELAY_UPDATE_DUE = "delay_update_due"


def _alert_recipients(alert: str) -> list[str]:
    if alert == Alert.DELAY_ESCALATED:
        return list(
            settings.ORDERS_DELAY_ESCALATION_EMAILS
            or settings.ORDERS_STAFF_ALERT_EMAILS
        )
    return list(settings.ORDERS_STAFF_ALERT_EMAILS)


def alert_staff(*, order: Order, alert: str, ref_id: int) -> OutboxMessage | None:
    """Queue an alert to ``ORDERS_STAFF_ALERT_EMAILS`` (an escalation: to
    ``ORDERS_DELAY_ESCALATION_EMAILS``) about ``order``; none configured, none sent."""
    if not _alert_recipients(alert):
        return None
    return outbox.enqueue(STAFF_ALERT, order_id=order.pk, alert=alert, ref_id=ref_id)


def _alert_words(order: Order, alert: str, ref_id: int) -> tuple[str, str]:
    if alert == Alert.DELAY_UPDATE_DUE:
        return (
            _("A delayed order's customer is due an update"),
            _(
                "Write to the customer on the order page before the update is due; "
                "otherwise they get an automatic note that the new date still holds."
            ),
        )
    if alert == Alert.DELAY_ESCALATED:
        return (
            _("Escalated: the new date given to the customer slipped"),
            _(
                "The customer has been told it is late again. Give a new date "
                "and consider compensation."
            ),
        )
    if alert == Alert.PROBLEM_REPORTED:
        issue = OrderIssue.objects.filter(pk=ref_id).first()
        reason = issue.get_reason_display() if issue else ""
        return (
            _("Customer reports a problem: %(r)s") % {"r": reason},
            issue.details if issue else "",
        )
    message = CustomerMessage.objects.filter(pk=ref_id).first()
    body = message.body if message else ""
    if alert == Alert.READ_BACK_DISPUTED:
        return _("The customer flagged a mistake in the read-back"), body
    return _("New message from the customer"), body


def send_staff_alert(message: OutboxMessage) -> None:
    """Outbox sender: render the alert from the rows as they are now and email staff."""
    recipients = _alert_recipients(message.payload["alert"])
    if not recipients:
        return
    order = Order.objects.get(pk=message.payload["order_id"])
    subject, body = _alert_words(
        order, message.payload["alert"], message.payload["ref_id"]
    )
    EmailMessage(
        subject=f"[{order.number}] {subject}",
        body=f"{body}\n\n{staff_url(order)}",
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Message-ID": outbox.message_id("alert", message.pk)},
    ).send()


def send_delay_digest(message: OutboxMessage) -> None:
    """Outbox sender: the team's digest of the delay cases opened in one interval."""
    from datetime import datetime

    from orders.delays.models import Delay

    recipients = list(settings.ORDERS_STAFF_ALERT_EMAILS)
    if not recipients:
        return
    cases = Delay.objects.filter(
        opened_at__lte=datetime.fromisoformat(message.payload["until"])
    ).select_related("order")
    if message.payload["since"]:
        cases = cases.filter(
            opened_at__gt=datetime.fromisoformat(message.payload["since"])
        )
    cases = list(cases.order_by("opened_at", "pk")[:200])
    lines = [f"{case.order.number}  {staff_url(case.order)}" for case in cases]
    EmailMessage(
        subject=_("%(n)d new delay cases to explain") % {"n": len(cases)},
        body=_("Orders found late since the last digest:")
        + "\n\n"
        + "\n".join(lines)
        + "\n\n"
        + settings.SITE_URL.rstrip("/")
        + reverse("orders:delays"),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        headers={"Message-ID": outbox.message_id("delay-digest", message.pk)},
    ).send()


def send_action_reminder(message: OutboxMessage) -> None:
    """Outbox sender: remind the owner of a corrective action that is due."""
    from orders.delays.models import CorrectiveAction

    action = (
        CorrectiveAction.objects.filter(pk=message.payload["action_id"])
        .select_related("owner", "delay__order")
        .first()
    )
    if action is None or action.done_at or not action.owner.email:
        return
    EmailMessage(
        subject=_("Corrective action due %(day)s: %(what)s")
        % {"day": action.due_on, "what": action.description[:60]},
        body=_("Agreed when closing the delay of %(number)s:")
        % {"number": action.delay.order.number}
        + f"\n\n{action.description}\n\n"
        + settings.SITE_URL.rstrip("/")
        + reverse("orders:delay_review"),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[action.owner.email],
        headers={"Message-ID": outbox.message_id("action-reminder", message.pk)},
    ).send()


def register_kinds() -> None:
    """Tell the outbox how emails and alerts are sent (from ``OrdersConfig.ready``)."""
    from orders.delays.models import ACTION_REMINDER, DELAY_DIGEST

    outbox.register(CUSTOMER_EMAIL, send=send_customer_email, transient=TRANSIENT)
    outbox.register(STAFF_ALERT, send=send_staff_alert, transient=TRANSIENT)
    outbox.register(DELAY_DIGEST, send=send_delay_digest, transient=TRANSIENT)
    outbox.register(ACTION_REMINDER, send=send_action_reminder, transient=TRANSIENT)

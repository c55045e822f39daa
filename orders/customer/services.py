"""What customers do on their order-status page, and staff's side of the conversation.

Customers never log in: the order's tracking token is their key. These
services are the only code that writes feedback, problems and messages.
"""

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.core.models import Channel, Order, OrderStatus
from orders.customer.models import Customer, CustomerMessage, OrderFeedback, OrderIssue
from orders.events import record as events
from orders.exceptions import InvalidOrder, OrderError
from orders.fulfilment.services import order_complete
from orders.notifications.emails import Kind, notify_on_commit


def _alert_staff(*, order: Order, subject: str, body: str) -> None:
    """Tell staff after commit (a failed alert must not undo the customer's action)."""
    recipients = list(settings.ORDERS_STAFF_ALERT_EMAILS)
    if not recipients:
        return
    link = settings.SITE_URL.rstrip("/") + reverse("orders:detail", args=[order.number])

    def send():
        send_mail(
            subject=f"[{order.number}] {subject}",
            message=f"{body}\n\n{link}",
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=recipients,
            fail_silently=True,
        )

    transaction.on_commit(send)


def _locked(order: Order) -> Order:
    return (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=order.pk)
    )


def order_confirm_receipt(*, order: Order, rating: int, comment: str = "") -> Order:
    """The customer got everything and is satisfied: feedback, then the order completes."""
    if rating not in range(1, 6):
        raise InvalidOrder(_("Choose a rating from 1 to 5."))
    with transaction.atomic():
        order = _locked(order)
        if order.status != OrderStatus.DELIVERED or hasattr(order, "feedback"):
            raise InvalidOrder(_("This order cannot be confirmed now."))
        OrderFeedback.objects.create(
            order=order, rating=rating, comment=comment.strip()
        )
        return order_complete(
            order=order,
            actor=None,
            message=_("The customer confirmed receipt (%(rating)d/5).")
            % {"rating": rating},
        )


def order_report_problem(*, order: Order, reason: str, details: str = "") -> OrderIssue:
    """The customer says something is wrong; the order stays delivered for staff."""
    if reason not in OrderIssue.Reason.values:
        raise InvalidOrder(_("Tell us what happened."))
    with transaction.atomic():
        order = _locked(order)
        if order.status != OrderStatus.DELIVERED:
            raise InvalidOrder(
                _("A problem can be reported once the order is delivered.")
            )
        issue = OrderIssue.objects.create(
            order=order, reason=reason, details=details.strip()
        )
        events.customer_reported(order=order, issue=issue)
        _alert_staff(
            order=order,
            subject=_("Customer reports a problem: %(r)s")
            % {"r": issue.get_reason_display()},
            body=issue.details,
        )
    return issue


def message_from_customer(*, order: Order, body: str) -> CustomerMessage:
    body = (body or "").strip()
    if not body:
        raise InvalidOrder(_("Write a message first."))
    if len(body) > 4000:
        raise InvalidOrder(_("Please keep a message under 4,000 characters."))
    with transaction.atomic():
        message = CustomerMessage.objects.create(order=order, body=body)
        _alert_staff(order=order, subject=_("New message from the customer"), body=body)
    return message


def message_from_staff(*, order: Order, body: str, actor) -> CustomerMessage:
    """Staff answer; the customer is emailed the reply."""
    body = (body or "").strip()
    if not body:
        raise InvalidOrder(_("Write a message first."))
    with transaction.atomic():
        message = CustomerMessage.objects.create(
            order=order, body=body, from_customer=False, staff_author=actor
        )
        notify_on_commit(order=order, kind=Kind.MESSAGE, extra={"message": body})
    return message


def order_send_read_back(*, order: Order, actor) -> None:
    """Email a phone or email order back to the customer to check items and prices."""
    if order.channel not in (Channel.PHONE, Channel.EMAIL):
        raise InvalidOrder(_("Read-back confirmations are for phone and email orders."))
    if order.status in (OrderStatus.CANCELLED, OrderStatus.COMPLETED):
        raise InvalidOrder(_("This order is closed."))
    with transaction.atomic():
        notify_on_commit(order=order, kind=Kind.READ_BACK)


def order_answer_read_back(*, order: Order, correct: bool, details: str = "") -> None:
    """The customer checked the read-back: all correct, or what is wrong (staff are told)."""
    if not order.notifications.filter(kind=Kind.READ_BACK).exists():
        raise InvalidOrder(_("We have not asked you to check this order."))
    with transaction.atomic():
        if correct:
            events.read_back_answered(order=order, correct=True, details="")
            return
        details = (details or "").strip()
        if not details:
            raise InvalidOrder(_("Tell us what is wrong."))
        CustomerMessage.objects.create(
            order=order, body=_("Read-back: %(d)s") % {"d": details}
        )
        events.read_back_answered(order=order, correct=False, details=details)
        _alert_staff(
            order=order,
            subject=_("The customer flagged a mistake in the read-back"),
            body=details,
        )


def customer_set_optional_emails(*, order: Order, wanted: bool) -> None:
    """The customer's choice, from their page: optional emails or only the essential ones."""
    type(order.customer).objects.filter(pk=order.customer_id).update(
        notifications_opt_out=not wanted
    )


def orders_auto_complete(*, after_days: int | None = None) -> list[str]:
    """Complete orders delivered long enough ago with no problem reported."""
    days = settings.ORDERS_AUTO_COMPLETE_DAYS if after_days is None else after_days
    cutoff = timezone.now() - timedelta(days=days)
    due = Order.objects.filter(
        status=OrderStatus.DELIVERED, delivered_at__lt=cutoff, issues__isnull=True
    ).order_by("pk")
    done = []
    for order in due:
        try:
            order_complete(
                order=order,
                actor=None,
                message=_("Completed automatically %(days)d days after delivery.")
                % {"days": days},
            )
        except OrderError:
            continue
        done.append(order.number)
    return done


def customer_find_or_create(
    *, email: str, name: str = "", phone: str = "", address: str = "", country: str = ""
):
    """The customer with this email, or a new one with these details."""
    found = Customer.objects.filter(email__iexact=email.strip()).order_by("pk").first()
    if found:
        return found
    if not name.strip() or not address.strip() or len(country.strip()) != 2:
        raise InvalidOrder(_("A new customer needs a name, an address and a country."))
    return Customer.objects.create(
        email=email.strip(),
        name=name.strip(),
        phone=phone.strip(),
        shipping_address=address.strip(),
        shipping_country=country.strip().upper(),
    )

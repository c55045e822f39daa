"""What customers do on their order-status page, and staff's side of the conversation.

Customers never log in: the order's tracking token is their key, and what they
do is recorded with the customer as the actor. These services are the only
code that writes feedback, problems and messages; the emails and staff alerts
that follow are subscribers of the facts recorded here.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.core.models import Channel, Order, OrderStatus
from orders.core.transitions import lock_order
from orders.customer import facts
from orders.customer.models import Customer, CustomerMessage, OrderFeedback, OrderIssue
from orders.customer.selectors import open_problems
from orders.events.models import EventType
from orders.exceptions import InvalidOrder, OrderError
from orders.fulfilment.services import order_complete
from orders.permissions import require
from ordersite.actors import CUSTOMER, staff_user

# What a customer may write in one message or problem report.
MESSAGE_MAX = 4000


def _text(value: str, *, missing: str) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidOrder(missing)
    if "\x00" in value:
        raise InvalidOrder(_("The message holds a character that cannot be saved."))
    if len(value) > MESSAGE_MAX:
        raise InvalidOrder(_("Please keep a message under 4,000 characters."))
    return value


def order_confirm_receipt(*, order: Order, rating: int, comment: str = "") -> Order:
    """The customer got everything and is satisfied: feedback, then the order completes."""
    if rating not in range(1, 6):
        raise InvalidOrder(_("Choose a rating from 1 to 5."))
    if len(comment or "") > MESSAGE_MAX:
        raise InvalidOrder(_("Please keep a message under 4,000 characters."))
    with transaction.atomic():
        order = lock_order(order)
        if (
            order.status != OrderStatus.DELIVERED
            or hasattr(order, "feedback")
            or open_problems().filter(order=order).exists()
        ):
            raise InvalidOrder(_("This order cannot be confirmed now."))
        OrderFeedback.objects.create(
            order=order, rating=rating, comment=(comment or "").strip()
        )
        return order_complete(
            order=order, actor=CUSTOMER, rating=rating, authorised=True
        )


def order_report_problem(*, order: Order, reason: str, details: str = "") -> OrderIssue:
    """The customer says something is wrong; the order waits at delivered until staff resolve it."""
    if reason not in OrderIssue.Reason.values:
        raise InvalidOrder(_("Tell us what happened."))
    if len(details or "") > MESSAGE_MAX:
        raise InvalidOrder(_("Please keep a message under 4,000 characters."))
    with transaction.atomic():
        order = lock_order(order)
        if order.status != OrderStatus.DELIVERED:
            raise InvalidOrder(
                _("A problem can be reported once the order is delivered.")
            )
        issue = OrderIssue.objects.create(
            order=order, reason=reason, details=(details or "").strip()
        )
        facts.problem_reported(order=order, actor=CUSTOMER, issue=issue)
    return issue


def order_resolve_problem(
    *, order: Order, issue: OrderIssue, actor, reply: str
) -> CustomerMessage:
    """Staff resolve a reported problem with a reply the customer reads (and is emailed).

    Once no problem is open, the customer can confirm receipt again and the
    order completes by itself after ``ORDERS_AUTO_COMPLETE_DAYS``.
    """
    require(actor, "answer_customer", _("answer customers"))
    reply = _text(reply, missing=_("Write the reply the customer will read."))
    with transaction.atomic():
        order = lock_order(order)
        resolved = OrderIssue.objects.filter(
            pk=issue.pk, order=order, resolved_at__isnull=True
        ).update(resolved_at=timezone.now())
        if not resolved:
            raise InvalidOrder(_("That problem is already resolved."))
        issue.refresh_from_db()
        message = _answer(order, body=reply, actor=actor)
        facts.problem_resolved(order=order, actor=actor, issue=issue, reply=message)
    return message


def message_from_customer(*, order: Order, body: str) -> CustomerMessage:
    """The customer writes to the shop from their page; staff are alerted."""
    body = _text(body, missing=_("Write a message first."))
    with transaction.atomic():
        message = CustomerMessage.objects.create(order=order, body=body)
        facts.customer_message(order=order, actor=CUSTOMER, message=message)
    return message


def message_from_staff(*, order: Order, body: str, actor) -> CustomerMessage:
    """Staff answer; the customer is emailed the reply."""
    require(actor, "answer_customer", _("answer customers"))
    body = _text(body, missing=_("Write a message first."))
    with transaction.atomic():
        message = _answer(order, body=body, actor=actor)
        facts.staff_replied(order=order, actor=actor, message=message)
    return message


def _answer(order: Order, *, body: str, actor) -> CustomerMessage:
    """Staff's message to the customer; what the customer wrote before it is answered."""
    message = CustomerMessage.objects.create(
        order=order, body=body, from_customer=False, staff_author=staff_user(actor)
    )
    CustomerMessage.objects.filter(
        order=order, from_customer=True, answered_at__isnull=True
    ).update(answered_at=message.created_at)
    return message


def order_send_read_back(*, order: Order, actor) -> None:
    """Email a phone or email order back to the customer to check items and prices."""
    require(actor, "enter_order", _("send read-back confirmations"))
    if order.channel not in (Channel.PHONE, Channel.EMAIL):
        raise InvalidOrder(_("Read-back confirmations are for phone and email orders."))
    if order.is_finished:
        raise InvalidOrder(_("This order is closed."))
    with transaction.atomic():
        facts.read_back_sent(order=order, actor=actor)


READ_BACK_ANSWERS = (EventType.READ_BACK_CONFIRMED, EventType.READ_BACK_DISPUTED)


def read_back_awaits_answer(order: Order) -> bool:
    """Whether the customer was sent a read-back they have not answered yet."""
    last = (
        order.events.filter(type__in=[EventType.READ_BACK_SENT, *READ_BACK_ANSWERS])
        .order_by("-created_at", "-pk")
        .values_list("type", flat=True)
        .first()
    )
    return last == EventType.READ_BACK_SENT


def order_answer_read_back(*, order: Order, correct: bool, details: str = "") -> None:
    """The customer checked the read-back: all correct, or what is wrong (staff are told)."""
    with transaction.atomic():
        order = lock_order(order)
        if not read_back_awaits_answer(order):
            raise InvalidOrder(_("There is nothing to check on this order now."))
        if correct:
            facts.read_back_confirmed(order=order, actor=CUSTOMER)
            return
        details = _text(details, missing=_("Tell us what is wrong."))
        message = CustomerMessage.objects.create(
            order=order, body=_("Read-back: %(d)s") % {"d": details}
        )
        facts.read_back_disputed(order=order, actor=CUSTOMER, message=message)


def customer_set_optional_emails(*, order: Order, wanted: bool) -> None:
    """The customer's choice, from their page: optional emails or only the essential ones."""
    with transaction.atomic():
        Customer.objects.filter(pk=order.customer_id).update(
            notifications_opt_out=not wanted
        )
        facts.email_preferences_changed(order=order, actor=CUSTOMER, optional=wanted)


def orders_auto_complete(*, after_days: int | None = None) -> list[str]:
    """Complete orders delivered long enough ago with no problem left open."""
    days = settings.ORDERS_AUTO_COMPLETE_DAYS if after_days is None else after_days
    cutoff = timezone.now() - timedelta(days=days)
    open_problem = open_problems().filter(order=OuterRef("pk"))
    due = (
        Order.objects.filter(status=OrderStatus.DELIVERED, delivered_at__lt=cutoff)
        .exclude(Exists(open_problem))
        .order_by("pk")
    )
    done = []
    for order in due:
        try:
            order_complete(order=order, actor=None, after_days=days)
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

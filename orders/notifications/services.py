"""Staff acting on customer emails: sending one again."""

from django.db import transaction
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from orders.core.transitions import lock_order
from orders.events.models import EventType, OrderEvent
from orders.exceptions import InvalidOrder
from orders.notifications import facts
from orders.notifications.models import Notification
from orders.permissions import require


def notification_resend(
    *, notification: Notification, actor, seen_fact: int
) -> Notification:
    """Send a customer email again, word for word, to the customer's address now.

    A new message with its own outbox row (and Message-ID), recorded on the
    order. ``seen_fact`` is the order's newest fact when the person's page was
    drawn: a second click, or a second tab drawn at the same time, finds this
    email already sent again since then and sends nothing.
    """
    require(actor, "answer_customer", _("send customer emails again"))
    with transaction.atomic():
        order = lock_order(notification.order, same_state=False)
        earlier = (
            OrderEvent.objects.filter(
                order=order,
                type=EventType.EMAIL_RESENT,
                pk__gt=seen_fact,
                data__resent_from=notification.pk,
            )
            .order_by("-pk")
            .first()
        )
        if earlier is not None:
            raise InvalidOrder(
                _("This email was already sent again at %(when)s.")
                % {
                    "when": date_format(
                        localtime(earlier.created_at), "SHORT_DATETIME_FORMAT"
                    )
                }
            )
        if not order.customer.email:
            raise InvalidOrder(_("The customer has no email address."))
        facts.email_resent(order=order, actor=actor, original=notification)
        # Written by the fact's subscriber, in this transaction, under the lock:
        # the newest copy of this email is the one just written.
        again = notification.resends.latest("pk")
    return again

"""Notifications' fact: an email to the customer was queued; recorded and put in words.

See ``orders.events.record`` for what a fact holds and ``events.words`` for the wording.
"""

from django.utils.translation import gettext as _

from orders.core.models import Order
from orders.events.models import EventType as T
from orders.events.models import OrderEvent
from orders.events.record import record
from orders.events.words import (
    Wording,
    data_of,
    label,
    say_all,
)
from orders.notifications.models import NotificationKind


def email_queued(*, order: Order, notification) -> OrderEvent:
    """An email to the customer was written to the outbox (or skipped: they opted out)."""
    return record(
        order=order,
        type=T.EMAIL_QUEUED,
        data={
            "notification_id": notification.pk,
            "kind": notification.kind,
            "skipped": notification.skipped,
        },
    )


def email_resent(*, order: Order, actor, original) -> OrderEvent:
    """Staff asked to send a customer email again (its subscriber writes the new
    email, whose own "queued" fact follows)."""
    return record(
        order=order,
        type=T.EMAIL_RESENT,
        actor=actor,
        data={"resent_from": original.pk, "kind": original.kind},
    )


# ------------------------------------------------------------------------------
# In words
# ------------------------------------------------------------------------------
def _email(e, r):
    what = label(NotificationKind, data_of(e).get("kind"))
    if data_of(e).get("skipped"):
        return _("Email “%(what)s” not sent: the customer opted out.") % {"what": what}
    return _("Email “%(what)s” queued.") % {"what": what}


def _resent(e, r):
    what = label(NotificationKind, data_of(e).get("kind"))
    return _("Email “%(what)s” sent again.") % {"what": what}


say_all(
    {
        T.EMAIL_QUEUED: Wording(_email),
        T.EMAIL_RESENT: Wording(_resent),
    }
)

"""The customer's side: read-backs, messages, problems, email choices; recorded and put in words.

See ``orders.events.record`` for what a fact holds and ``events.words`` for the wording.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from orders.core.models import Order
from orders.customer.models import OrderIssue
from orders.events.models import EventType as T
from orders.events.models import OrderEvent
from orders.events.record import record
from orders.events.words import (
    Wording,
    data_of,
    fixed,
    label,
    say_all,
    text_of,
)


def read_back_sent(*, order: Order, actor) -> OrderEvent:
    return record(order=order, type=T.READ_BACK_SENT, actor=actor)


def read_back_confirmed(*, order: Order, actor) -> OrderEvent:
    return record(order=order, type=T.READ_BACK_CONFIRMED, actor=actor)


def read_back_disputed(*, order: Order, actor, message) -> OrderEvent:
    """The customer says the read-back is wrong; what they wrote is ``message``."""
    return record(
        order=order,
        type=T.READ_BACK_DISPUTED,
        actor=actor,
        data={"message_id": message.pk},
    )


def customer_message(*, order: Order, actor, message) -> OrderEvent:
    return record(
        order=order,
        type=T.CUSTOMER_MESSAGE,
        actor=actor,
        data={"message_id": message.pk},
    )


def staff_replied(*, order: Order, actor, message) -> OrderEvent:
    return record(
        order=order,
        type=T.STAFF_REPLIED,
        actor=actor,
        data={"message_id": message.pk},
    )


def problem_reported(*, order: Order, actor, issue) -> OrderEvent:
    return record(
        order=order,
        type=T.PROBLEM_REPORTED,
        actor=actor,
        data={"issue_id": issue.pk, "reason": issue.reason},
    )


def problem_resolved(*, order: Order, actor, issue, reply) -> OrderEvent:
    """Staff resolved a reported problem; ``reply`` is the message the customer sees."""
    return record(
        order=order,
        type=T.PROBLEM_RESOLVED,
        actor=actor,
        data={"issue_id": issue.pk, "reason": issue.reason, "message_id": reply.pk},
    )


def email_preferences_changed(*, order: Order, actor, optional: bool) -> OrderEvent:
    """The customer chose all emails (``optional``) or only the essential ones."""
    return record(
        order=order,
        type=T.EMAIL_PREFERENCES_CHANGED,
        actor=actor,
        data={"optional": optional},
    )


# ------------------------------------------------------------------------------
# In words
# ------------------------------------------------------------------------------
def _message_text(e, r) -> str:
    return text_of(r.get("message", data_of(e).get("message_id")), "body")


def _reason(e) -> str:
    return label(OrderIssue.Reason, data_of(e).get("reason"))


def _disputed_staff(e, r):
    return _("The customer says the order is not right: %(text)s") % {
        "text": _message_text(e, r) or "…"
    }


def _customer_message(e, r):
    text = _message_text(e, r)
    return (
        _("Message from the customer: %(text)s") % {"text": text[:200]}
        if text
        else _("Message from the customer.")
    )


def _replied(e, r):
    text = _message_text(e, r)
    return (
        _("Reply sent to the customer: %(text)s") % {"text": text[:200]}
        if text
        else _("Reply sent to the customer.")
    )


def _problem_staff(e, r):
    details = text_of(r.get("issue", data_of(e).get("issue_id")), "details")
    return (_("The customer reports: %(reason)s.") % {"reason": _reason(e)}) + (
        f" {details}" if details else ""
    )


def _problem_customer(e, r):
    return _("You told us: %(reason)s.") % {"reason": _reason(e)}


def _resolved_staff(e, r):
    return _("Problem resolved (%(reason)s); the customer has the reply.") % {
        "reason": _reason(e)
    }


def _resolved_customer(e, r):
    return _("We answered your report (%(reason)s).") % {"reason": _reason(e)}


def _preferences(e, r):
    if data_of(e).get("optional"):
        return _("All emails about orders are wanted.")
    return _("Only the emails needed about orders are wanted.")


say_all(
    {
        T.READ_BACK_SENT: Wording(
            fixed(_l("Read-back confirmation emailed to the customer.")),
            fixed(_l("We emailed you the items and prices to check.")),
        ),
        T.READ_BACK_CONFIRMED: Wording(
            fixed(_l("The customer confirmed the items and prices.")),
            fixed(_l("You confirmed the items and prices.")),
        ),
        T.READ_BACK_DISPUTED: Wording(
            _disputed_staff,
            fixed(_l("You told us something is not right; we will correct it.")),
        ),
        T.CUSTOMER_MESSAGE: Wording(_customer_message),
        T.STAFF_REPLIED: Wording(_replied),
        T.PROBLEM_REPORTED: Wording(_problem_staff, _problem_customer),
        T.PROBLEM_RESOLVED: Wording(_resolved_staff, _resolved_customer),
        T.EMAIL_PREFERENCES_CHANGED: Wording(_preferences, _preferences),
    }
)

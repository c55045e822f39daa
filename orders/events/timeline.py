"""The words of the timeline: each fact rendered for staff and, where it concerns them, the customer.

Facts are stored as data (``orders.events.record``); what a person reads is
produced here, when the timeline is shown, in the language active for that
person. A type with customer wording is shown on the customer's status page
(``CUSTOMER_VISIBLE``), one without it is internal. Rows a fact refers to
(a note, a message, a problem report, a payment…) are looked up through the
order's relations, one query per relation at most, and never copied into the
fact: erased personal data simply stops appearing.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.utils.translation import ngettext

from orders.core.models import Channel, Order, OrderStatus
from orders.customer.models import OrderIssue
from orders.events.models import EventType, OrderEvent
from orders.money.models import DiscountKind, Payment, Refund
from orders.notifications.models import NotificationKind
from orders.verification.models import VerificationIssue
from ordersite.actors import ActorKind

T = EventType


class Related:
    """The rows facts refer to, looked up once per relation of the order (prefetched or not)."""

    RELATIONS = {
        "note": "notes",
        "message": "messages",
        "issue": "issues",
        "finding": "verification_issues",
        "payment": "payments",
        "refund": "refunds",
        "discount": "discounts",
    }

    def __init__(self, order: Order):
        self.order = order
        self._cache: dict[str, dict] = {}

    def get(self, what: str, pk):
        if what not in self._cache:
            rows = getattr(self.order, self.RELATIONS[what]).all()
            self._cache[what] = {row.pk: row for row in rows}
        return self._cache[what].get(pk)


Render = Callable[[OrderEvent, Related], str]


@dataclass(frozen=True)
class Wording:
    staff: Render
    customer: Render | None = None


def _d(event: OrderEvent) -> dict:
    return event.data or {}


def _amount(event: OrderEvent, key: str = "amount") -> str:
    value = _d(event).get(key)
    if value is None:
        return ""
    currency = _d(event).get("currency") or event.order.currency
    return f"{Decimal(value):.2f} {currency}"


def _label(choices, value) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def _units(items: list[dict], key: str = "quantity") -> str:
    return ", ".join(f"{i.get(key)} × {i.get('sku')}" for i in items or [])


def _status(value: str) -> str:
    return _label(OrderStatus, value).lower()


def _text(row, attribute: str) -> str:
    return getattr(row, attribute, "") if row is not None else ""


# ------------------------------------------------------------------------------
# The order itself
# ------------------------------------------------------------------------------
def _placed(e, r):
    return _("Order placed via %(channel)s: %(total)s.") % {
        "channel": _label(Channel, _d(e).get("channel")),
        "total": _amount(e, "total"),
    }


def _corrected(e, r):
    d = _d(e)
    changes = [_("%(sku)s %(old)s → %(new)s") % q for q in d.get("quantities") or []]
    changes += [_("removed %(sku)s") % x for x in d.get("removed") or []]
    changes += [_("added %(quantity)s × %(sku)s") % x for x in d.get("added") or []]
    if d.get("address_changed"):
        changes.append(_("shipping address"))
    if d.get("country"):
        changes.append(_("country %s → %s") % tuple(d["country"]))
    text = _("Corrected (%(reason)s): %(changes)s.") % {
        "reason": d.get("reason", ""),
        "changes": "; ".join(changes),
    }
    if d.get("check_reset"):
        text += " " + _("The first check must be made again.")
    return text


def _note(e, r):
    body = _text(r.get("note", _d(e).get("note_id")), "body")
    return (
        _("Internal note: %(body)s") % {"body": body}
        if body
        else _("Internal note added.")
    )


def _held(e, r):
    return _("Put on hold: %(reason)s") % {"reason": _d(e).get("reason", "")}


def _cancelled_staff(e, r):
    text = _("Cancelled: %(reason)s.") % {"reason": _d(e).get("reason", "")}
    if _d(e).get("released"):
        text += " " + _("Allocated stock released: %(units)s.") % {
            "units": _units(_d(e)["released"])
        }
    return text


# ------------------------------------------------------------------------------
# Verification
# ------------------------------------------------------------------------------
def _first_check(e, r):
    text = _("Details, quantities and prices checked; waiting for a second check.")
    differences = _d(e).get("price_differences") or []
    if differences:
        text += " " + _("Accepted price differences: %(list)s.") % {
            "list": "; ".join(
                _("%(sku)s at %(price)s, the rules say %(rules_price)s") % p
                for p in differences
            )
        }
    return text


def _verified_staff(e, r):
    if _d(e).get("second_check_waived"):
        return _("Verified (one check is enough for this order's value).")
    return _("Second check confirmed; the order is verified.")


def _sent_back(e, r):
    finding = r.get("finding", _d(e).get("finding_id"))
    text = _("Sent back to the first checker: %(reason)s.") % {
        "reason": _label(VerificationIssue.Reason, _d(e).get("reason"))
    }
    if note := _text(finding, "note"):
        text += f" {note}"
    return text


# ------------------------------------------------------------------------------
# Stock
# ------------------------------------------------------------------------------
def _allocated_staff(e, r):
    units = ", ".join(
        f"{a.get('quantity')} × {a.get('sku')} @ {a.get('warehouse')}"
        for a in _d(e).get("allocations") or []
    )
    return _("Stock allocated: %(units)s.") % {"units": units}


def _allocated_customer(e, r):
    if e.from_status == OrderStatus.BACKORDERED:
        return _("The missing items arrived; your order is moving again.")
    return _("Your items are reserved for you.")


def _backordered_staff(e, r):
    return _("Waiting for stock: %(units)s.") % {
        "units": _units(_d(e).get("missing"), "missing")
    }


def _split_off(e, r):
    return _("Ships what is in stock now; %(units)s follow as order %(child)s.") % {
        "units": _units(_d(e).get("moved")),
        "child": _d(e).get("child"),
    }


def _split_from(e, r):
    return _(
        "The backordered part of order %(parent)s, to ship when stock arrives."
    ) % {"parent": _d(e).get("parent")}


# ------------------------------------------------------------------------------
# Money
# ------------------------------------------------------------------------------
def _code_applied(e, r):
    return _("Discount code %(code)s applied: −%(amount)s.") % {
        "code": _d(e).get("code"),
        "amount": _amount(e),
    }


def _granted(e, r):
    text = _("Discount of %(amount)s given") % {"amount": _amount(e)}
    if _d(e).get("kind") == DiscountKind.PERCENT:
        text += f" ({Decimal(_d(e)['value']):g} %)"
    reason = _d(e).get("reason") or _text(
        r.get("discount", _d(e).get("discount_id")), "reason"
    )
    return text + (f": {reason}" if reason else ".")


def _discount_removed(e, r):
    what = _d(e).get("code") or _("staff discount of %(value)s") % {
        "value": _d(e).get("value")
    }
    return _("Discount removed: %(what)s.") % {"what": what}


def _method(e) -> str:
    return _label(Payment.Method, _d(e).get("method"))


def _payment_started(e, r):
    return _("%(method)s payment of %(amount)s started.") % {
        "method": _method(e),
        "amount": _amount(e),
    }


def _payment_authorized(e, r):
    text = _("%(method)s payment of %(amount)s authorized") % {
        "method": _method(e),
        "amount": _amount(e),
    }
    if last4 := _d(e).get("card_last4"):
        text += " " + _("(card ending %(last4)s)") % {"last4": last4}
    return text + "."


def _payment_captured(e, r):
    return _("%(amount)s captured (%(method)s).") % {
        "amount": _amount(e, "captured"),
        "method": _method(e).lower(),
    }


def _payment_failed(e, r):
    why = _text(r.get("payment", _d(e).get("payment_id")), "failure_message")
    if not why:
        why = (
            _("the provider did not answer")
            if _d(e).get("code") == "unavailable"
            else _("declined")
        )
    return _("%(method)s payment of %(amount)s failed: %(why)s") % {
        "method": _method(e),
        "amount": _amount(e),
        "why": why,
    }


def _void_requested(e, r):
    return _("Void of the %(method)s payment of %(amount)s requested: %(reason)s") % {
        "method": _method(e).lower(),
        "amount": _amount(e),
        "reason": _d(e).get("reason", ""),
    }


def _voided(e, r):
    return _("%(method)s payment of %(amount)s voided; nothing was taken.") % {
        "method": _method(e),
        "amount": _amount(e),
    }


def _balance_staff(e, r):
    return _("Asked the customer for the remaining %(amount)s.") % {
        "amount": _amount(e)
    }


def _balance_customer(e, r):
    return _("We asked you for the remaining %(amount)s.") % {"amount": _amount(e)}


def _document(e, r):
    what = _("Credit note") if e.type == T.CREDIT_NOTE_ISSUED else _("Invoice")
    return _("%(what)s %(number)s issued over %(total)s.") % {
        "what": what,
        "number": _d(e).get("number"),
        "total": _amount(e, "total"),
    }


def _outcome(e) -> str:
    return _label(Refund.Outcome, _d(e).get("outcome")).lower()


def _refund_requested_staff(e, r):
    text = _("Refund of %(amount)s requested (%(outcome)s)") % {
        "amount": _amount(e),
        "outcome": _outcome(e),
    }
    reason = _text(r.get("refund", _d(e).get("refund_id")), "reason")
    return text + (f": {reason}" if reason else ".")


def _refund_requested_customer(e, r):
    return _("A refund of %(amount)s is on its way (%(outcome)s).") % {
        "amount": _amount(e),
        "outcome": _outcome(e),
    }


def _refunded(e, r):
    return _("%(amount)s refunded (%(outcome)s).") % {
        "amount": _amount(e),
        "outcome": _outcome(e),
    }


def _refund_failed(e, r):
    why = _text(r.get("refund", _d(e).get("refund_id")), "last_error")
    return _("Refund of %(amount)s failed: %(why)s. Retry it from the order.") % {
        "amount": _amount(e),
        "why": why or _("unknown error"),
    }


def _refund_retried(e, r):
    return _("Refund of %(amount)s retried.") % {"amount": _amount(e)}


# ------------------------------------------------------------------------------
# Fulfilment
# ------------------------------------------------------------------------------
def _pack_check(e, r):
    problems = []
    for p in _d(e).get("problems") or []:
        if not p.get("expected"):
            problems.append(_("%(sku)s is not on this order (scanned %(scanned)s)") % p)
        else:
            problems.append(_("%(sku)s: %(scanned)s scanned, %(expected)s to pack") % p)
    return _("Pack check failed: %(problems)s.") % {"problems": "; ".join(problems)}


def _packed_staff(e, r):
    units = sum((_d(e).get("scanned") or {}).values())
    return ngettext(
        "Packed (%(n)d unit scanned).", "Packed (%(n)d units scanned).", units
    ) % {"n": units}


def _parcel(e, r):
    return _("Parcel with %(carrier)s, tracking number %(tracking)s: %(units)s.") % {
        "carrier": _d(e).get("carrier"),
        "tracking": _d(e).get("tracking_number"),
        "units": _units(_d(e).get("contents")),
    }


def _completed_staff(e, r):
    d = _d(e)
    if d.get("how") == "customer":
        return _("The customer confirmed receipt (%(rating)s/5).") % d
    if d.get("how") == "auto":
        return _("Completed automatically %(after_days)s days after delivery.") % d
    return _("Completed.")


def _completed_customer(e, r):
    if _d(e).get("how") == "customer":
        return _("You confirmed receipt. Thank you!")
    return _("Order complete. Thank you!")


# ------------------------------------------------------------------------------
# The customer's side
# ------------------------------------------------------------------------------
def _message_text(e, r) -> str:
    return _text(r.get("message", _d(e).get("message_id")), "body")


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


def _reason(e) -> str:
    return _label(OrderIssue.Reason, _d(e).get("reason"))


def _problem_staff(e, r):
    details = _text(r.get("issue", _d(e).get("issue_id")), "details")
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
    if _d(e).get("optional"):
        return _("All emails about orders are wanted.")
    return _("Only the emails needed about orders are wanted.")


def _email(e, r):
    what = _label(NotificationKind, _d(e).get("kind"))
    if _d(e).get("skipped"):
        return _("Email “%(what)s” not sent: the customer opted out.") % {"what": what}
    return _("Email “%(what)s” queued.") % {"what": what}


def _same(text) -> Render:
    """Fixed words (a lazy translation, rendered in the language active when shown)."""
    return lambda e, r: str(text)


WORDING: dict[str, Wording] = {
    T.PLACED: Wording(_placed, _same(_l("We received your order."))),
    T.CORRECTED: Wording(_corrected),
    T.NOTE_ADDED: Wording(_note),
    T.HELD: Wording(_held),
    T.HOLD_RELEASED: Wording(_same(_l("Hold released."))),
    T.CANCELLED: Wording(_cancelled_staff, _same(_l("Your order was cancelled."))),
    T.FIRST_CHECK_RECORDED: Wording(_first_check),
    T.VERIFIED: Wording(
        _verified_staff, _same(_l("Your order details are confirmed."))
    ),
    T.SENT_BACK: Wording(_sent_back),
    T.ALLOCATED: Wording(_allocated_staff, _allocated_customer),
    T.BACKORDERED: Wording(
        _backordered_staff,
        _same(
            _l(
                "Some items are not in stock yet; we send your order as soon as they arrive."
            )
        ),
    ),
    T.SPLIT_OFF: Wording(_split_off, _split_off),
    T.SPLIT_FROM: Wording(_split_from, _split_from),
    T.DISCOUNT_CODE_APPLIED: Wording(_code_applied),
    T.DISCOUNT_GRANTED: Wording(_granted),
    T.DISCOUNT_REMOVED: Wording(_discount_removed),
    T.PAYMENT_STARTED: Wording(_payment_started),
    T.PAYMENT_AUTHORIZED: Wording(_payment_authorized),
    T.PAYMENT_CAPTURED: Wording(_payment_captured),
    T.PAYMENT_FAILED: Wording(_payment_failed),
    T.PAYMENT_VOID_REQUESTED: Wording(_void_requested),
    T.PAYMENT_VOIDED: Wording(_voided),
    T.BALANCE_REQUESTED: Wording(_balance_staff, _balance_customer),
    T.PAID: Wording(
        _same(_l("Paid: payments cover the total.")), _same(_l("Payment received."))
    ),
    T.INVOICE_ISSUED: Wording(_document, _document),
    T.CREDIT_NOTE_ISSUED: Wording(_document, _document),
    T.REFUND_REQUESTED: Wording(_refund_requested_staff, _refund_requested_customer),
    T.REFUNDED: Wording(_refunded, _refunded),
    T.REFUND_FAILED: Wording(_refund_failed),
    T.REFUND_RETRIED: Wording(_refund_retried),
    T.PICKING_STARTED: Wording(
        _same(_l("Picking started.")), _same(_l("We are preparing your order."))
    ),
    T.PACK_CHECK_FAILED: Wording(_pack_check),
    T.PACKED: Wording(_packed_staff, _same(_l("Your order is packed."))),
    T.PARCEL_SHIPPED: Wording(_parcel, _parcel),
    T.SHIPPED: Wording(
        _same(_l("Shipped: everything has left.")), _same(_l("Your order has shipped."))
    ),
    T.DELIVERED: Wording(_same(_l("Delivered.")), _same(_l("Delivered."))),
    T.COMPLETED: Wording(_completed_staff, _completed_customer),
    T.READ_BACK_SENT: Wording(
        _same(_l("Read-back confirmation emailed to the customer.")),
        _same(_l("We emailed you the items and prices to check.")),
    ),
    T.READ_BACK_CONFIRMED: Wording(
        _same(_l("The customer confirmed the items and prices.")),
        _same(_l("You confirmed the items and prices.")),
    ),
    T.READ_BACK_DISPUTED: Wording(
        _disputed_staff,
        _same(_l("You told us something is not right; we will correct it.")),
    ),
    T.CUSTOMER_MESSAGE: Wording(_customer_message),
    T.STAFF_REPLIED: Wording(_replied),
    T.PROBLEM_REPORTED: Wording(_problem_staff, _problem_customer),
    T.PROBLEM_RESOLVED: Wording(_resolved_staff, _resolved_customer),
    T.EMAIL_PREFERENCES_CHANGED: Wording(_preferences, _preferences),
    T.EMAIL_QUEUED: Wording(_email),
}

# Facts the customer sees on their status page: those with customer wording.
CUSTOMER_VISIBLE = frozenset(t for t, w in WORDING.items() if w.customer is not None)


@dataclass(frozen=True)
class Entry:
    """One line of a timeline as a person reads it."""

    event: OrderEvent
    text: str
    actor: str
    customer_visible: bool

    @property
    def created_at(self):
        return self.event.created_at


def render(event: OrderEvent, *, audience: str, related: Related | None = None) -> str:
    """The words of one fact for ``audience`` (``staff`` or ``customer``)."""
    wording = WORDING[event.type]
    related = related or Related(event.order)
    if audience == "customer":
        if wording.customer is None:
            raise ValueError(f"{event.type} is not shown to customers")
        return wording.customer(event, related)
    return wording.staff(event, related)


def timeline(order: Order, *, audience: str = "staff", events=None) -> list[Entry]:
    """The order's facts, newest first, in the words of ``audience``.

    ``events`` defaults to the order's events (prefetched by the order page's
    selector); the customer's audience sees only customer-visible facts and
    never who acted on the shop's side.
    """
    related = Related(order)
    rows = list(events if events is not None else order.events.all())
    if audience == "customer":
        rows = [e for e in rows if e.type in CUSTOMER_VISIBLE]
    entries = []
    for event in sorted(rows, key=lambda e: (e.created_at, e.pk), reverse=True):
        event.order = order  # rendering needs the order's currency and relations
        entries.append(
            Entry(
                event=event,
                text=render(event, audience=audience, related=related),
                actor=(
                    event.actor_label
                    if audience == "staff"
                    else (_("you") if event.actor_kind == ActorKind.CUSTOMER else "")
                ),
                customer_visible=event.type in CUSTOMER_VISIBLE,
            )
        )
    return entries

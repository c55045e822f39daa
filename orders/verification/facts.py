"""Verification's facts: corrected, first check, verified, sent back; recorded and put in words.

See ``orders.events.record`` for what a fact holds and ``events.words`` for the wording.
"""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from orders.core.models import Order
from orders.events.models import EventType as T
from orders.events.models import OrderEvent
from orders.events.record import moved, record
from orders.events.words import (
    Wording,
    data_of,
    fixed,
    label,
    say_all,
    text_of,
)
from orders.verification.models import VerificationIssue


def order_corrected(
    *,
    order: Order,
    actor,
    reason: str,
    quantities: list[dict],
    added: list[dict],
    removed: list[dict],
    address_changed: bool,
    country: list[str] | None,
    check_reset: bool,
) -> OrderEvent:
    """Lines or address corrected before verification; what changed, never the address itself.

    ``quantities``: ``{"line_id", "sku", "old", "new"}``; ``added`` and
    ``removed``: ``{"line_id", "sku", "quantity"}``; ``country``: ``[old, new]``.
    """
    return record(
        order=order,
        type=T.CORRECTED,
        actor=actor,
        data={
            "reason": reason,
            "quantities": quantities,
            "added": added,
            "removed": removed,
            "address_changed": address_changed,
            "country": country,
            "check_reset": check_reset,
        },
    )


def first_check_recorded(
    *, order: Order, actor, items: int, price_differences: list[dict]
) -> OrderEvent:
    """The first check: how many items were ticked, and the price differences accepted.

    ``price_differences``: ``{"line_id", "sku", "price", "rules_price", "source"}``.
    """
    return record(
        order=order,
        type=T.FIRST_CHECK_RECORDED,
        actor=actor,
        data={"items": items, "price_differences": price_differences},
    )


def order_verified(
    *, order: Order, actor, from_status: str, second_check_waived: bool
) -> OrderEvent:
    return moved(
        order=order,
        type=T.VERIFIED,
        actor=actor,
        from_status=from_status,
        second_check_waived=second_check_waived,
        first_checker_id=order.first_checked_by_id,
    )


def sent_back(*, order: Order, actor, finding) -> OrderEvent:
    """The second checker found a mistake; ``finding`` is the ``VerificationIssue`` row."""
    return record(
        order=order,
        type=T.SENT_BACK,
        actor=actor,
        data={
            "finding_id": finding.pk,
            "reason": finding.reason,
            "first_checker_id": finding.first_checker_id,
        },
    )


# ------------------------------------------------------------------------------
# In words
# ------------------------------------------------------------------------------
def _corrected(e, r):
    d = data_of(e)
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


def _difference(p: dict, r) -> str:
    text = _("%(sku)s at %(price)s, the rules say %(rules_price)s") % {
        "sku": p.get("sku") or _("a line"),
        "price": p.get("price"),
        "rules_price": p.get("rules_price"),
    }
    reason = text_of(r.get("line", p.get("line_id")), "price_reason")
    return f"{text} ({reason})" if reason else text


def _first_check(e, r):
    text = _("Details, quantities and prices checked; waiting for a second check.")
    differences = data_of(e).get("price_differences") or []
    if differences:
        text += " " + _("Accepted price differences: %(list)s.") % {
            "list": "; ".join(_difference(p, r) for p in differences)
        }
    return text


def _verified_staff(e, r):
    if data_of(e).get("second_check_waived"):
        return _("Verified (one check is enough for this order's value).")
    return _("Second check confirmed; the order is verified.")


def _sent_back(e, r):
    finding = r.get("finding", data_of(e).get("finding_id"))
    text = _("Sent back to the first checker: %(reason)s.") % {
        "reason": label(VerificationIssue.Reason, data_of(e).get("reason"))
    }
    if note := text_of(finding, "note"):
        text += f" {note}"
    return text


say_all(
    {
        T.CORRECTED: Wording(_corrected),
        T.FIRST_CHECK_RECORDED: Wording(_first_check),
        T.VERIFIED: Wording(
            _verified_staff, fixed(_l("Your order details are confirmed."))
        ),
        T.SENT_BACK: Wording(_sent_back),
    }
)

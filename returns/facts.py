"""Returns: recorded on the order's timeline, and put in words.

A return's facts are order facts (``orders.events.record``) so that the
order's history, the customer's status page, emails, webhooks and metrics all
read one timeline; each carries the return's id and number, and ids and codes
only (the customer's own words stay on the return's rows).
"""

from decimal import Decimal

from django.utils.translation import gettext as _

from orders.events.models import EventType as T
from orders.events.models import OrderEvent
from orders.events.record import money, record
from orders.events.words import Wording, amount, data_of, label, say_all
from returns.models import Outcome, Return


def _base(rma: Return) -> dict:
    return {"return_id": rma.pk, "rma": rma.number, "status": rma.status}


def _units(rma: Return, attribute: str = "quantity") -> list[dict]:
    return [
        {
            "line_id": line.order_line_id,
            "sku": line.order_line.sku,
            "quantity": getattr(line, attribute) or 0,
        }
        for line in rma.lines.all()
    ]


def return_requested(*, rma: Return, actor) -> OrderEvent:
    data = _base(rma)
    data |= {
        "source": rma.source,
        "outcome": rma.outcome,
        "units": [
            {**u, "reason": line.reason}
            for u, line in zip(_units(rma), rma.lines.all(), strict=True)
        ],
        "review": list(rma.review_reasons),
    }
    return record(order=rma.order, type=T.RETURN_REQUESTED, actor=actor, data=data)


def return_approved(*, rma: Return, actor) -> OrderEvent:
    return record(order=rma.order, type=T.RETURN_APPROVED, actor=actor, data=_base(rma))


def return_rejected(*, rma: Return, actor) -> OrderEvent:
    # The reason given is on the return (the customer's page and email read it there).
    return record(order=rma.order, type=T.RETURN_REJECTED, actor=actor, data=_base(rma))


def return_cancelled(*, rma: Return, actor) -> OrderEvent:
    return record(
        order=rma.order, type=T.RETURN_CANCELLED, actor=actor, data=_base(rma)
    )


def return_received(*, rma: Return, actor) -> OrderEvent:
    data = _base(rma) | {"units": _units(rma, "received_quantity")}
    return record(order=rma.order, type=T.RETURN_RECEIVED, actor=actor, data=data)


def return_inspected(*, rma: Return, actor) -> OrderEvent:
    data = _base(rma) | {
        "lines": [
            {
                "line_id": line.order_line_id,
                "sku": line.order_line.sku,
                "quantity": line.received_quantity or 0,
                "grade": line.grade,
                "cause": line.confirmed_reason,
                "disposition": line.disposition,
                "warehouse_id": line.warehouse_id,
                "refund": money(line.refund_amount or 0),
            }
            for line in rma.lines.all()
        ],
        "refund": money(rma.refund_amount or 0),
    }
    return record(order=rma.order, type=T.RETURN_INSPECTED, actor=actor, data=data)


def return_amount_set(*, rma: Return, actor) -> OrderEvent:
    data = _base(rma) | {
        "amount": money(rma.refund_override),
        "policy_amount": money(rma.refund_amount or 0),
    }
    return record(order=rma.order, type=T.RETURN_AMOUNT_SET, actor=actor, data=data)


def return_refunded(*, rma: Return, actor, refund_ids: list[int]) -> OrderEvent:
    data = _base(rma) | {
        "amount": money(rma.refund_due or 0),
        "outcome": rma.outcome,
        "refund_ids": refund_ids,
    }
    return record(order=rma.order, type=T.RETURN_REFUNDED, actor=actor, data=data)


def return_exchanged(
    *, rma: Return, actor, covered, refunded, to_pay, refund_ids: list[int]
) -> OrderEvent:
    data = _base(rma) | {
        "replacement_order": rma.replacement_order.number,
        "replacement_order_id": rma.replacement_order_id,
        "covered": money(covered),
        "refunded": money(refunded),
        "to_pay": money(to_pay),
        "refund_ids": refund_ids,
    }
    return record(order=rma.order, type=T.RETURN_EXCHANGED, actor=actor, data=data)


def return_closed(*, rma: Return, actor) -> OrderEvent:
    return record(order=rma.order, type=T.RETURN_CLOSED, actor=actor, data=_base(rma))


def return_feedback(*, rma: Return) -> OrderEvent:
    from ordersite.actors import CUSTOMER

    data = _base(rma) | {"easy": rma.feedback_easy, "resolved": rma.feedback_resolved}
    return record(order=rma.order, type=T.RETURN_FEEDBACK, actor=CUSTOMER, data=data)


# ------------------------------------------------------------------------------
# In words
# ------------------------------------------------------------------------------
def _rma(e) -> str:
    return data_of(e).get("rma") or "RMA"


def _count(e, key: str = "units") -> int:
    return sum(int(u.get("quantity") or 0) for u in data_of(e).get(key) or [])


def _requested_staff(e, r):
    data = data_of(e)
    words = _("%(rma)s requested: %(n)s item(s), %(outcome)s.") % {
        "rma": _rma(e),
        "n": _count(e),
        "outcome": label(Outcome, data.get("outcome")).lower(),
    }
    if data.get("review"):
        words += " " + _("Outside the policy: waits for a person.")
    return words


def _requested_customer(e, r):
    if data_of(e).get("review"):
        return _(
            "You asked to return %(n)s item(s) (%(rma)s). A person will look at "
            "it and answer you."
        ) % {"n": _count(e), "rma": _rma(e)}
    return _("You asked to return %(n)s item(s) (%(rma)s).") % {
        "n": _count(e),
        "rma": _rma(e),
    }


def _approved_staff(e, r):
    return _("%(rma)s approved.") % {"rma": _rma(e)}


def _approved_customer(e, r):
    return _("Return %(rma)s approved: see how to send it below.") % {"rma": _rma(e)}


def _rejected_staff(e, r):
    return _("%(rma)s rejected.") % {"rma": _rma(e)}


def _rejected_customer(e, r):
    return _("We could not accept return %(rma)s; the reason is below.") % {
        "rma": _rma(e)
    }


def _cancelled(e, r):
    return _("Return %(rma)s cancelled.") % {"rma": _rma(e)}


def _received_staff(e, r):
    return _("%(rma)s received: %(n)s item(s) arrived.") % {
        "rma": _rma(e),
        "n": _count(e),
    }


def _received_customer(e, r):
    return _("Your return %(rma)s arrived: %(n)s item(s). We are checking it.") % {
        "rma": _rma(e),
        "n": _count(e),
    }


def _inspected_staff(e, r):
    from returns.models import Disposition, Grade

    lines = data_of(e).get("lines") or []
    if lines and all(x.get("disposition") == Disposition.KEPT for x in lines):
        return _(
            "%(rma)s settled without the parcel (the customer keeps it): "
            "refund %(amount)s."
        ) % {"rma": _rma(e), "amount": amount(e, "refund")}
    grades = ", ".join(
        f"{line.get('quantity')} × {line.get('sku')} "
        f"{label(Grade, line.get('grade')).split(' ')[0]}"
        for line in data_of(e).get("lines") or []
    )
    return _("%(rma)s inspected (%(grades)s): refund %(amount)s.") % {
        "rma": _rma(e),
        "grades": grades,
        "amount": amount(e, "refund"),
    }


def _inspected_customer(e, r):
    return _("We checked your return %(rma)s: %(amount)s will be refunded.") % {
        "rma": _rma(e),
        "amount": amount(e, "refund"),
    }


def _amount_set(e, r):
    rma = r.get("return", data_of(e).get("return_id"))
    why = f" {rma.override_reason}" if rma is not None else ""
    return (
        _("%(rma)s: refund set to %(amount)s (the policy said %(policy)s).")
        % {
            "rma": _rma(e),
            "amount": amount(e, "amount"),
            "policy": amount(e, "policy_amount"),
        }
        + why
    )


def _refunded_staff(e, r):
    return _("%(rma)s refunded: %(amount)s, %(outcome)s.") % {
        "rma": _rma(e),
        "amount": amount(e, "amount"),
        "outcome": label(Outcome, data_of(e).get("outcome")).lower(),
    }


def _refunded_customer(e, r):
    return _("Return %(rma)s: we are refunding %(amount)s (%(outcome)s).") % {
        "rma": _rma(e),
        "amount": amount(e, "amount"),
        "outcome": label(Outcome, data_of(e).get("outcome")).lower(),
    }


def _closed(e, r):
    return _("Return %(rma)s closed.") % {"rma": _rma(e)}


def _exchanged_staff(e, r):
    data = data_of(e)
    return _(
        "%(rma)s exchanged: replacement %(order)s, %(covered)s of it covered by the "
        "return, %(to_pay)s left to pay, %(refunded)s refunded."
    ) % {
        "rma": _rma(e),
        "order": data.get("replacement_order"),
        "covered": amount(e, "covered"),
        "to_pay": amount(e, "to_pay"),
        "refunded": amount(e, "refunded"),
    }


def _exchanged_customer(e, r):
    data = data_of(e)
    words = _("Return %(rma)s: we are sending you %(order)s in exchange.") % {
        "rma": _rma(e),
        "order": data.get("replacement_order"),
    }
    if Decimal(data.get("to_pay") or 0) > 0:
        words += " " + _("%(amount)s is left to pay on it.") % {
            "amount": amount(e, "to_pay")
        }
    if Decimal(data.get("refunded") or 0) > 0:
        words += " " + _("We refund the difference, %(amount)s.") % {
            "amount": amount(e, "refunded")
        }
    return words


def _yes_no(value) -> str:
    return _("yes") if value else _("no")


def _feedback_staff(e, r):
    data = data_of(e)
    return _(
        "%(rma)s: the customer found it easy: %(easy)s; resolved: %(resolved)s."
    ) % {
        "rma": _rma(e),
        "easy": _yes_no(data.get("easy")),
        "resolved": _yes_no(data.get("resolved")),
    }


def _feedback_customer(e, r):
    return _("You told us how return %(rma)s went. Thank you.") % {"rma": _rma(e)}


say_all(
    {
        T.RETURN_REQUESTED: Wording(_requested_staff, _requested_customer),
        T.RETURN_APPROVED: Wording(_approved_staff, _approved_customer),
        T.RETURN_REJECTED: Wording(_rejected_staff, _rejected_customer),
        T.RETURN_CANCELLED: Wording(_cancelled, _cancelled),
        T.RETURN_RECEIVED: Wording(_received_staff, _received_customer),
        T.RETURN_INSPECTED: Wording(_inspected_staff, _inspected_customer),
        T.RETURN_AMOUNT_SET: Wording(_amount_set),
        T.RETURN_REFUNDED: Wording(_refunded_staff, _refunded_customer),
        T.RETURN_CLOSED: Wording(_closed, _closed),
        T.RETURN_EXCHANGED: Wording(_exchanged_staff, _exchanged_customer),
        T.RETURN_FEEDBACK: Wording(_feedback_staff, _feedback_customer),
    }
)

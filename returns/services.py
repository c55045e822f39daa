"""Returns: the only code that changes a return.

Each service locks the order's row first and then the return's (the order
serializes everything that counts units or money of one order: two requests
for the same units, a refund and a compensation), runs the transition, writes
the lines, moves stock only through ``inventory.services`` and money only
through ``orders.money.refunds.payment_refund``, and records a fact, in one
transaction. Emails and webhooks follow the facts (``returns.subscribers``).
"""

import logging
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Warehouse
from inventory.services import stock_restock_return
from orders.core.transitions import lock_order
from orders.exceptions import AlreadyRecorded, InvalidOrder, TransitionForbidden
from orders.money.models import Refund
from orders.money.position import money_position
from orders.money.refunds import payment_refund
from ordersite.actors import Actor, ActorKind, staff_user
from ordersite.limits import MONEY_CEILING
from ordersite.money import format_money
from ordersite.submissions import submission
from returns import facts
from returns import policy as rules
from returns.models import (
    RS,
    Disposition,
    Grade,
    Outcome,
    Reason,
    Return,
    ReturnLine,
    ReturnParcel,
    ReturnPhoto,
    ReturnPolicy,
    Source,
)

Asked = rules.Asked
logger = logging.getLogger(__name__)


class ReturnRefused(InvalidOrder):
    """The request does not meet the policy; ``reasons`` says why, each in a sentence."""

    def __init__(self, reasons: list[str]):
        self.reasons = reasons
        super().__init__(" ".join(reasons))


def _require(actor, codename: str, what: str) -> None:
    """Staff need ``returns.<codename>``; the system may; customers and
    integrations only where the calling service lets them (it does not call this)."""
    if not Actor.of(actor).may(f"returns.{codename}"):
        raise TransitionForbidden(_("You may not %(what)s.") % {"what": what})


def _lock(rma: Return) -> Return:
    """Lock the order, then the return; the fresh return (with its order and lines)."""
    lock_order(rma.order, same_state=False)
    return (
        Return.objects.select_for_update(of=("self",))
        .select_related("order__customer")
        .get(pk=rma.pk)
    )


def _expect(rma: Return, *states: str, doing: str) -> None:
    if rma.status not in states:
        raise InvalidOrder(
            _("%(rma)s is %(status)s: it cannot be %(doing)s now.")
            % {
                "rma": rma.number,
                "status": rma.get_status_display().lower(),
                "doing": doing,
            }
        )


# ------------------------------------------------------------------------------
# Asking
# ------------------------------------------------------------------------------
def return_request(
    *,
    order,
    asked: list[Asked],
    outcome: str,
    actor,
    source: str = Source.CUSTOMER,
    note: str = "",
    approve: bool = False,
    submission_key: str = "",
    wish: str = "",
    photos: list | None = None,
) -> Return:
    """Open a return of units of ``order`` and check it against the policy.

    Refused outright (``ReturnRefused``) when it cannot be: not delivered, more
    than is left to return, long past the window. Inside the policy it is
    approved at once; outside it (late, a product not taken back) it waits for
    a person, unless staff with ``handle_return`` open it with ``approve``.
    A ``submission_key`` makes a double submit return the first return.
    """
    who = Actor.of(actor)
    if who.kind == ActorKind.STAFF:
        _require(actor, "handle_return", _("open returns"))
    if len(note) > 2000:
        raise InvalidOrder(_("Keep the note under 2,000 characters."))
    wish = (wish or "").strip()
    if outcome == Outcome.EXCHANGE and not wish:
        raise ReturnRefused([_("Tell us what you would like instead.")])
    if len(wish) > 500:
        raise InvalidOrder(_("Keep what you would like instead under 500 characters."))
    key = submission(submission_key)
    with transaction.atomic():
        order = lock_order(order, same_state=False)
        if key and (earlier := Return.objects.filter(submission_key=key).first()):
            raise AlreadyRecorded(
                _("This return was already sent as %(rma)s.") % {"rma": earlier.number},
                earlier,
            )
        policy = ReturnPolicy.current()
        verdict = rules.check(order=order, policy=policy, asked=asked, outcome=outcome)
        if verdict.refused:
            raise ReturnRefused(verdict.refusals)
        rma = Return.objects.create(
            order=order,
            source=source,
            outcome=outcome,
            customer_note=note.strip(),
            exchange_wish=wish if outcome == Outcome.EXCHANGE else "",
            review_reasons=verdict.review,
            shop_pays_shipping=policy.shop_pays_shipping([a.reason for a in asked]),
            submission_key=key,
            opened_by=staff_user(actor),
        )
        rma.number = f"RMA-{rma.pk:06d}"
        rma.save(update_fields=["number"])
        ReturnLine.objects.bulk_create(
            ReturnLine(
                rma=rma,
                order_line_id=a.line_id,
                quantity=a.quantity,
                reason=a.reason,
                reason_text=a.reason_text.strip()[:500],
            )
            for a in asked
        )
        _add_photos(rma, photos or [], actor=actor)
        rma = Return.objects.prefetch_related("lines__order_line").get(pk=rma.pk)
        facts.return_requested(rma=rma, actor=actor)
        if not verdict.review:
            _approve(rma, actor=None)  # the policy approved it
        elif approve and who.kind == ActorKind.STAFF:
            _approve(rma, actor=actor)
    return rma


def _add_photos(rma: Return, photos: list, *, actor) -> None:
    """Store photos checked by ``returns.photos.checked`` (the forms' field)."""
    for upload in photos:
        extension = getattr(upload, "photo_extension", None)
        if extension is None:
            raise InvalidOrder(_("Only checked photos can be kept."))
        ReturnPhoto.objects.create(
            rma=rma,
            image=upload,
            extension=extension,
            by_customer=Actor.of(actor).kind == ActorKind.CUSTOMER,
            uploaded_by=staff_user(actor),
        )


def _approve(rma: Return, *, actor, note: str = "") -> None:
    rma.approve()
    rma.decided_by, rma.decision_note = staff_user(actor), note
    rma.save()
    facts.return_approved(rma=rma, actor=actor)


def return_decide(*, rma: Return, actor, approve: bool, note: str = "") -> Return:
    """A person approves a request the policy left to them, or rejects it with why."""
    _require(actor, "handle_return", _("approve or reject returns"))
    note = (note or "").strip()
    if not approve and not note:
        raise InvalidOrder(_("Tell the customer why the return is not accepted."))
    with transaction.atomic():
        rma = _lock(rma)
        _expect(rma, RS.REQUESTED, doing=_("approved or rejected"))
        if approve:
            _approve(rma, actor=actor, note=note)
        else:
            rma.reject()
            rma.decided_by, rma.decision_note = staff_user(actor), note[:2000]
            rma.save()
            facts.return_rejected(rma=rma, actor=actor)
    return rma


def return_cancel(*, rma: Return, actor) -> Return:
    """The customer (or staff for them) withdraws a return before the parcel arrives."""
    if Actor.of(actor).kind == ActorKind.STAFF:
        _require(actor, "handle_return", _("cancel returns"))
    with transaction.atomic():
        rma = _lock(rma)
        _expect(rma, RS.REQUESTED, RS.APPROVED, doing=_("cancelled"))
        rma.cancel()
        rma.save()
        facts.return_cancelled(rma=rma, actor=actor)
    return rma


def return_set_label(*, rma: Return, reference: str) -> Return:
    """The customer notes the return label's or parcel's reference (until it arrives)."""
    reference = (reference or "").strip()
    if not reference or len(reference) > 100:
        raise InvalidOrder(_("Give the label's reference (up to 100 characters)."))
    with transaction.atomic():
        rma = _lock(rma)
        _expect(rma, RS.APPROVED, doing=_("changed"))
        rma.label_reference = reference
        rma.save(update_fields=["label_reference", "updated_at"])
        # Not a fact (nothing changed state), but the status page shows it: its
        # cached copy is keyed on the order's version, which this moves on.
        type(rma.order).objects.filter(pk=rma.order_id).update(
            updated_at=timezone.now()
        )
    return rma


# ------------------------------------------------------------------------------
# Receiving and inspection
# ------------------------------------------------------------------------------
def return_receive(*, rma: Return, actor, arrived: dict[int, int]) -> Return:
    """Record what arrived, per return line id (0: missing from the parcel)."""
    _require(actor, "receive_return", _("receive returns"))
    with transaction.atomic():
        rma = _lock(rma)
        rma = _receive(rma, actor=actor, arrived=arrived)
    return rma


def _receive(rma: Return, *, actor, arrived: dict[int, int], parcel=None) -> Return:
    """Receive one locked return: its lines' quantities from ``arrived``."""
    _expect(rma, RS.APPROVED, doing=_("received"))
    lines = list(rma.lines.select_related("order_line"))
    if not {line.pk for line in lines} <= set(arrived):
        raise InvalidOrder(_("The page is out of date; open the return again."))
    for line in lines:
        quantity = arrived[line.pk]
        if not isinstance(quantity, int) or not 0 <= quantity <= line.quantity:
            raise InvalidOrder(
                _("%(sku)s: between 0 and %(n)s arrived.")
                % {"sku": line.order_line.sku, "n": line.quantity}
            )
        line.received_quantity = quantity
    if not any(line.received_quantity for line in lines):
        raise InvalidOrder(
            _("Nothing of %(rma)s arrived: record it when it does.")
            % {"rma": rma.number}
        )
    ReturnLine.objects.bulk_update(lines, ["received_quantity"])
    rma.receive()
    rma.received_by, rma.parcel = staff_user(actor), parcel
    rma.save()
    rma = Return.objects.prefetch_related("lines__order_line").get(pk=rma.pk)
    facts.return_received(rma=rma, actor=actor)
    return rma


def parcel_receive(
    *, rmas: list[Return], actor, arrived: dict[int, int], reference: str = ""
) -> ReturnParcel:
    """One parcel brought back returns of several orders of one customer: receive
    them together (per return line id, as ``return_receive``), all or none."""
    _require(actor, "receive_return", _("receive returns"))
    if not rmas:
        raise InvalidOrder(_("Tick the returns that are in the parcel."))
    if len({rma.order.customer_id for rma in rmas}) != 1:
        raise InvalidOrder(_("One parcel holds returns of one customer."))
    with transaction.atomic():
        # Orders first, in primary-key order (as every order lock), then returns.
        for order in sorted({rma.order for rma in rmas}, key=lambda o: o.pk):
            lock_order(order, same_state=False)
        locked = list(
            Return.objects.select_for_update(of=("self",))
            .select_related("order__customer")
            .filter(pk__in=[rma.pk for rma in rmas])
            .order_by("pk")
        )
        parcel = ReturnParcel.objects.create(
            customer_id=locked[0].order.customer_id,
            reference=(reference or "").strip()[:100],
            received_by=staff_user(actor),
        )
        parcel.number = f"PCL-{parcel.pk:06d}"
        parcel.save(update_fields=["number"])
        for rma in locked:
            _receive(rma, actor=actor, arrived=arrived, parcel=parcel)
    return parcel


@dataclass
class Inspection:
    """What the inspector found of one return line."""

    grade: str
    disposition: str
    cause: str = ""
    warehouse: Warehouse | None = None
    note: str = ""


def _refunded_before(line: ReturnLine) -> int:
    """Units of the same order line that earlier returns settled (arrived, or kept
    by the customer)."""
    earlier = ReturnLine.objects.filter(
        order_line=line.order_line_id,
        rma__status__in=[RS.INSPECTED, RS.REFUNDED, RS.CLOSED],
    ).exclude(rma=line.rma_id)
    counted = earlier.aggregate(
        arrived=Sum("received_quantity"),
        kept=Sum("quantity", filter=Q(disposition=Disposition.KEPT)),
    )
    return (counted["arrived"] or 0) + (counted["kept"] or 0)


def refund_preview(rma: Return, found: dict[int, Inspection]) -> dict[int, Decimal]:
    """What each line would refund with these findings (nothing is written)."""
    policy = ReturnPolicy.current()
    amounts = {}
    for line in rma.lines.select_related("order_line"):
        seen = found.get(line.pk)
        if seen is None or not line.received_quantity:
            amounts[line.pk] = Decimal("0.00")
            continue
        paid = rules.units_paid(
            line.order_line, line.received_quantity, before=_refunded_before(line)
        )
        amounts[line.pk] = rules.refund_for(
            policy=policy,
            paid=paid,
            grade=seen.grade,
            our_fault=rules.is_our_fault(seen.cause or line.reason),
        )
    return amounts


def return_inspect(
    *, rma: Return, actor, found: dict[int, Inspection], photos: list | None = None
) -> Return:
    """Grade what arrived, send each line where it goes, and work out the refund.

    Restocked units go back on the shelf through the inventory ledger (a
    backorder waiting for them may then fill); the refund follows the policy
    and the grades and is paid by ``return_refund``.
    """
    _require(actor, "inspect_return", _("inspect returns"))
    with transaction.atomic():
        rma = _lock(rma)
        _expect(rma, RS.RECEIVED, doing=_("inspected"))
        policy = ReturnPolicy.current()
        if (
            policy.four_eyes
            and rma.received_by_id
            and (rma.received_by_id == getattr(staff_user(actor), "pk", None))
        ):
            raise TransitionForbidden(
                _("You received this return: another person inspects it.")
            )
        lines = [
            line
            for line in rma.lines.select_related("order_line__product")
            if line.received_quantity
        ]
        if set(found) != {line.pk for line in lines}:
            raise InvalidOrder(_("The page is out of date; open the return again."))
        amounts = refund_preview(rma, found)
        for line in lines:
            seen = found[line.pk]
            _check_finding(line, seen)
            line.grade, line.disposition = seen.grade, seen.disposition
            line.confirmed_reason = seen.cause or line.reason
            line.warehouse = (
                seen.warehouse if seen.disposition == Disposition.RESTOCK else None
            )
            line.inspection_note = (seen.note or "").strip()[:1000]
            line.refund_amount = amounts[line.pk]
            if line.disposition == Disposition.RESTOCK:
                stock_restock_return(
                    product=line.order_line.product,
                    warehouse=line.warehouse,
                    quantity=line.received_quantity,
                    actor=staff_user(actor),
                    reference=rma.number,
                )
        ReturnLine.objects.bulk_update(
            lines,
            [
                "grade",
                "disposition",
                "confirmed_reason",
                "warehouse",
                "inspection_note",
                "refund_amount",
            ],
        )
        rma.refund_amount = sum((line.refund_amount for line in lines), Decimal("0"))
        _add_photos(rma, photos or [], actor=actor)
        rma.inspect()
        rma.inspected_by = staff_user(actor)
        rma.save()
        rma = Return.objects.prefetch_related("lines__order_line").get(pk=rma.pk)
        facts.return_inspected(rma=rma, actor=actor)
    return rma


def _check_finding(line: ReturnLine, seen: Inspection) -> None:
    sku = line.order_line.sku
    if seen.grade not in Grade.values:
        raise InvalidOrder(_("%(sku)s: choose its condition.") % {"sku": sku})
    if seen.disposition not in Disposition.values:
        raise InvalidOrder(_("%(sku)s: choose where it goes.") % {"sku": sku})
    if seen.cause and seen.cause not in Reason.values:
        raise InvalidOrder(_("%(sku)s: choose the cause from the list.") % {"sku": sku})
    if seen.disposition == Disposition.RESTOCK:
        if seen.grade in (Grade.C, Grade.SCRAP):
            raise InvalidOrder(
                _("%(sku)s: damaged or scrap units cannot go back on the shelf.")
                % {"sku": sku}
            )
        if seen.warehouse is None or not seen.warehouse.active:
            raise InvalidOrder(
                _("%(sku)s: choose the warehouse it goes back to.") % {"sku": sku}
            )


def return_keep(*, rma: Return, actor, reason: str) -> Return:
    """Refund without a return: the items are not worth sending back (a cheap item
    broken in transit), so the customer keeps them and the return is settled as
    inspected, in full, with why; ``return_refund`` then pays it."""
    _require(actor, "inspect_return", _("settle returns without the parcel"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder(_("Say why the items need not come back."))
    with transaction.atomic():
        rma = _lock(rma)
        _expect(rma, RS.APPROVED, doing=_("settled without the parcel"))
        lines = list(rma.lines.select_related("order_line"))
        for line in lines:
            line.disposition = Disposition.KEPT
            line.confirmed_reason = line.reason
            line.refund_amount = rules.units_paid(
                line.order_line, line.quantity, before=_refunded_before(line)
            )
        ReturnLine.objects.bulk_update(
            lines, ["disposition", "confirmed_reason", "refund_amount"]
        )
        rma.refund_amount = sum((line.refund_amount for line in lines), Decimal("0"))
        rma.kept_reason = reason[:255]
        rma.waive_parcel()
        rma.inspected_by = staff_user(actor)
        rma.save()
        rma = Return.objects.prefetch_related("lines__order_line").get(pk=rma.pk)
        facts.return_inspected(rma=rma, actor=actor)
    return rma


def return_feedback(
    *, rma: Return, easy: bool, resolved: bool, comment: str = ""
) -> Return:
    """The customer's two answers after the return is over, once."""
    if len(comment or "") > 2000:
        raise InvalidOrder(_("Keep the comment under 2,000 characters."))
    with transaction.atomic():
        rma = _lock(rma)
        if rma.feedback_at is not None:
            raise AlreadyRecorded(_("Thank you, we already have your answer."), rma)
        if not rma.asks_feedback:
            raise InvalidOrder(_("You can tell us how it went once it is over."))
        rma.feedback_easy, rma.feedback_resolved = bool(easy), bool(resolved)
        rma.feedback_comment, rma.feedback_at = (comment or "").strip(), timezone.now()
        rma.save()
        facts.return_feedback(rma=rma)
    return rma


def return_set_amount(*, rma: Return, actor, amount, reason: str) -> Return:
    """A manager sets the refund to another amount than the policy's, with why."""
    _require(actor, "override_return_refund", _("change a return's refund"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidOrder(_("Say why the refund differs from the policy."))
    try:
        amount = Decimal(str(amount)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError) as exc:
        raise InvalidOrder(_("Enter the amount as a number.")) from exc
    if not amount.is_finite() or not Decimal(0) <= amount <= MONEY_CEILING:
        raise InvalidOrder(_("Enter an amount of zero or more."))
    with transaction.atomic():
        rma = _lock(rma)
        _expect(rma, RS.INSPECTED, doing=_("given another amount"))
        available = money_position(rma.order).refundable
        if amount > available:
            raise InvalidOrder(
                _("Only %(available)s can still be refunded on this order.")
                % {"available": format_money(available, rma.order.currency)}
            )
        rma.refund_override, rma.override_reason = amount, reason[:255]
        rma.override_by = staff_user(actor)
        rma.save()
        facts.return_amount_set(rma=rma, actor=actor)
    return rma


# ------------------------------------------------------------------------------
# Refund
# ------------------------------------------------------------------------------
def return_refund(*, rma: Return, actor) -> Return:
    """Pay the return's refund (to the original payment or as store credit) and
    finish it; with nothing to refund, close it.

    The refund is asked for in this transaction under the key ``return:<id>``
    and carried out after commit by the outbox (retried; a failure shows on
    the order's payments). A second submit, or a second tab, waits for the
    first on the order's lock and finds the return refunded.
    """
    _require(actor, "inspect_return", _("refund returns"))
    with transaction.atomic():
        rma = _lock(rma)
        if rma.status in (RS.REFUNDED, RS.CLOSED):
            raise AlreadyRecorded(
                _("%(rma)s was already settled; nothing was refunded twice.")
                % {"rma": rma.number},
                rma,
            )
        _expect(rma, RS.INSPECTED, doing=_("refunded"))
        amount = rma.refund_due or Decimal("0")
        if amount <= 0:
            rma.close()
            rma.save()
            facts.return_closed(rma=rma, actor=actor)
            return rma
        refunds = payment_refund(
            order=rma.order,
            amount=amount,
            reason=_("Return %(rma)s") % {"rma": rma.number},
            idempotency_key=f"return:{rma.pk}",
            actor=actor,
            outcome=Refund.Outcome.STORE_CREDIT
            if rma.outcome == Outcome.STORE_CREDIT
            else Refund.Outcome.ORIGINAL_METHOD,
        )
        rma.settle()
        rma.save()
        facts.return_refunded(rma=rma, actor=actor, refund_ids=[r.pk for r in refunds])
    return rma


def return_close(*, rma: Return, actor) -> Return:
    """Finish an inspected return that refunds nothing."""
    _require(actor, "inspect_return", _("close returns"))
    with transaction.atomic():
        rma = _lock(rma)
        _expect(rma, RS.INSPECTED, doing=_("closed"))
        if (rma.refund_due or 0) > 0:
            raise InvalidOrder(
                _(
                    "This return refunds %(amount)s: refund it, or have a manager "
                    "set the amount to zero with a reason."
                )
                % {"amount": format_money(rma.refund_due, rma.order.currency)}
            )
        rma.close()
        rma.save()
        facts.return_closed(rma=rma, actor=actor)
    return rma


# ------------------------------------------------------------------------------
# Exchange
# ------------------------------------------------------------------------------
@dataclass
class Replacement:
    """A product and quantity the customer gets in exchange."""

    product: object
    quantity: int


def return_exchange(*, rma: Return, actor, replacements: list[Replacement]) -> Return:
    """Settle an inspected return with a replacement order linked to it.

    The replacement is placed as a new order of the customer (verified, allocated
    and shipped like any other). What the return is worth pays for it: that much
    goes back from the original order as store credit (key ``exchange:<id>``),
    which pays the replacement as soon as the refund is carried out
    (``returns.subscribers``). Equal values cost the customer nothing; a dearer
    replacement leaves the difference to pay on it; a cheaper one refunds the
    rest to the original payment (key ``return:<id>``).
    """
    from orders.core.services import order_place
    from orders.money.pricing import LineInput

    _require(actor, "inspect_return", _("exchange returns"))
    if not replacements:
        raise InvalidOrder(_("Choose what the customer gets in exchange."))
    for r in replacements:
        if not getattr(r.product, "active", False):
            raise InvalidOrder(_("A replacement product is not on sale."))
        if not isinstance(r.quantity, int) or not 1 <= r.quantity <= 1000:
            raise InvalidOrder(_("Give a quantity between 1 and 1,000."))
    with transaction.atomic():
        rma = _lock(rma)
        _expect(rma, RS.INSPECTED, doing=_("exchanged"))
        credit = rma.refund_due or Decimal("0")
        original = rma.order
        replacement = order_place(
            customer=original.customer,
            channel=original.channel,
            channel_reference=rma.number,
            lines=[LineInput(r.product, r.quantity) for r in replacements],
            shipping_address=original.shipping_address,
            shipping_country=original.shipping_country,
        )
        covered = min(credit, replacement.total)
        refunds = []
        if covered > 0:
            refunds += payment_refund(
                order=original,
                amount=covered,
                reason=_("Return %(rma)s: credit for the replacement %(order)s")
                % {"rma": rma.number, "order": replacement.number},
                idempotency_key=f"exchange:{rma.pk}",
                actor=actor,
                outcome=Refund.Outcome.STORE_CREDIT,
                carried=True,
            )
        if credit > covered:
            refunds += payment_refund(
                order=original,
                amount=credit - covered,
                reason=_("Return %(rma)s: the exchange costs less")
                % {"rma": rma.number},
                idempotency_key=f"return:{rma.pk}",
                actor=actor,
            )
        rma.replacement_order = replacement
        rma.exchange()
        rma.save()
        facts.return_exchanged(
            rma=rma,
            actor=actor,
            covered=covered,
            refunded=credit - covered,
            to_pay=replacement.total - covered,
            refund_ids=[r.pk for r in refunds],
        )
    return rma


def exchange_credit_spend(*, refund: Refund) -> None:
    """Pay the replacement order with the credit its return moved (once)."""
    from orders.money.models import Payment
    from orders.money.payments import payment_pay_with_store_credit

    prefix, _sep, pk = refund.idempotency_key.partition(":")
    if prefix != "exchange" or not pk.isdigit():
        return
    rma = Return.objects.filter(pk=int(pk)).select_related("replacement_order").first()
    if rma is None or rma.replacement_order is None:
        return
    key = f"exchange-{rma.pk}"
    replacement = rma.replacement_order
    if Payment.objects.filter(order=replacement, submission_key=key).exists():
        return
    # This runs inside the refund's own recording: it must never fail it. A
    # replacement cancelled meanwhile (or owing less) takes what it still owes;
    # the rest of the credit stays on the customer's account, to spend later.
    owed = (
        Decimal("0") if replacement.is_finished else money_position(replacement).payable
    )
    amount = min(refund.amount, owed)
    if amount <= 0:
        return
    try:
        with transaction.atomic():
            payment_pay_with_store_credit(
                order=replacement, amount=amount, actor=None, submission_key=key
            )
    except InvalidOrder:
        logger.warning("Exchange credit of %s left on the account", rma.number)

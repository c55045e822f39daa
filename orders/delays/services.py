"""Promises and delays: setting and changing promised dates, finding late orders,
and the delay case from detection to the customer's choice and the root cause.

Like every order service: the order row is locked first, the change and its fact
are one transaction, and emails and alerts follow the facts by subscription.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory import selectors as stock
from orders.core.models import Order, OrderStatus
from orders.core.services import order_cancel, require_reason
from orders.core.transitions import lock_order
from orders.delays import facts
from orders.delays.calendar import Calendar
from orders.delays.models import (
    ACTION_REMINDER,
    DELAY_DIGEST,
    CorrectiveAction,
    Delay,
    DelayCause,
    DelayDigest,
    DelaySlip,
    StepTarget,
)
from orders.delays.promise import promise_for, set_promise, ship_by_for_delivery
from orders.delays.selectors import choices_for
from orders.events.models import EventType as T
from orders.exceptions import InvalidOrder, TransitionNotAllowed
from orders.permissions import require
from orders.stock.services import order_split_backorder
from ordersite import outbox
from ordersite.actors import CUSTOMER, Actor

S = OrderStatus
# States an order is still on its way to the customer in: what a delay is about.
STILL_COMING = S.NOT_SHIPPED + (S.SHIPPED,)
# How far ahead anyone may promise or move a date.
MAX_PROMISE_DAYS = 365
DETAILS_LENGTH = Delay._meta.get_field("cause_details").max_length
ROOT_CAUSE_LENGTH = 2000
ACTION_LENGTH = CorrectiveAction._meta.get_field("description").max_length


# ------------------------------------------------------------------------------
# Promises
# ------------------------------------------------------------------------------
def _check_date(value, *, today: date, what: str) -> date:
    if not isinstance(value, date):
        raise InvalidOrder(_("Give %(what)s.") % {"what": what})
    if value < today:
        raise InvalidOrder(_("%(what)s cannot be in the past.") % {"what": what})
    if value > today + timedelta(days=MAX_PROMISE_DAYS):
        raise InvalidOrder(
            _("%(what)s cannot be more than a year ahead.") % {"what": what}
        )
    return value


def order_promise_change(
    *, order: Order, actor, ship_by: date | None, estimated_delivery: date, reason: str
) -> Order:
    """Staff promise other dates, with a reason; the customer is told.

    Before shipment both dates may move; once shipped only the delivery date.
    The same dates again change nothing and record nothing.
    """
    require(actor, "handle_delays", _("change promised dates"))
    reason = require_reason(reason, _("change the promise"))
    today = Calendar.load().local_date(timezone.now())
    delivery = _check_date(estimated_delivery, today=today, what=_("The delivery date"))
    with transaction.atomic():
        order = lock_order(order, same_state=False)
        if order.status in S.NOT_SHIPPED:
            ship_by = _check_date(ship_by, today=today, what=_("The ship-by date"))
            if ship_by > delivery:
                raise InvalidOrder(
                    _("The delivery date cannot be before the ship-by date.")
                )
        elif order.status == S.SHIPPED:
            ship_by = order.ship_by
        else:
            raise TransitionNotAllowed(
                _("Order %(number)s is %(status)s: its dates can no longer change.")
                % {
                    "number": order.number,
                    "status": order.get_status_display().lower(),
                }
            )
        if (ship_by, delivery) == (order.ship_by, order.estimated_delivery):
            return order
        set_promise(
            order=order,
            actor=actor,
            ship_by=ship_by,
            estimated_delivery=delivery,
            because="staff",
            reason=reason,
        )
    return order


# ------------------------------------------------------------------------------
# Detection
# ------------------------------------------------------------------------------
@dataclass
class Slip:
    order_id: int
    kind: str
    deadline: datetime
    status: str = ""
    # what the deadline was worked out from (the promised date, or the time the
    # order entered its state), compared again under the lock
    basis: object = None


@dataclass
class ScanResult:
    opened: list[int] = field(default_factory=list)
    escalated: list[int] = field(default_factory=list)
    slips: int = 0
    digest: int | None = None
    reminded: int = 0
    updates: int = 0


def detection_queries(*, today, now, targets: dict[str, int]) -> dict:
    """The scan's three reads: orders not shipped past their ship-by date, shipped
    past their delivery date, and in a targeted state longer than its target in
    wall-clock hours (a superset of business hours). Each reads a partial index of
    the orders still open in that respect, so its cost follows the late orders,
    not the table (bench/delays.py prints their plans at a million orders)."""
    queries = {
        "ship_by": Order.objects.filter(ship_by__lt=today, status__in=S.NOT_SHIPPED)
        .order_by()
        .values_list("pk", "ship_by"),
        "delivery": Order.objects.filter(estimated_delivery__lt=today, status=S.SHIPPED)
        .order_by()
        .values_list("pk", "estimated_delivery"),
    }
    if targets:
        waiting = Q()
        for status, hours in targets.items():
            waiting |= Q(
                status=status, status_changed_at__lt=now - timedelta(hours=hours)
            )
        queries["steps"] = (
            Order.objects.filter(waiting)
            .order_by()
            .values_list("pk", "status", "status_changed_at")
        )
    return queries


def late_orders(*, now: datetime, calendar: Calendar) -> list[Slip]:
    """Every deadline missed now that has no slip recorded yet."""
    today = calendar.local_date(now)
    targets = {t.status: t.hours for t in StepTarget.objects.all()}
    queries = detection_queries(today=today, now=now, targets=targets)
    found: list[Slip] = []
    for pk, ship_by in queries["ship_by"]:
        found.append(
            Slip(pk, DelaySlip.Kind.SHIP_BY, calendar.end_of(ship_by), basis=ship_by)
        )
    for pk, delivery in queries["delivery"]:
        found.append(
            Slip(pk, DelaySlip.Kind.DELIVERY, calendar.end_of(delivery), basis=delivery)
        )
    for pk, status, since in queries.get("steps", []):
        deadline = calendar.add_business_hours(since, targets[status])
        if deadline <= now:
            found.append(Slip(pk, DelaySlip.Kind.STEP, deadline, status, basis=since))
    if not found:
        return []
    known = set(
        DelaySlip.objects.filter(order_id__in={s.order_id for s in found}).values_list(
            "order_id", "kind", "deadline"
        )
    )
    return [s for s in found if (s.order_id, s.kind, s.deadline) not in known]


def delays_scan(*, now: datetime | None = None) -> ScanResult:
    """Open a delay case for each late order, add each new missed deadline to it,
    escalate a case whose new date slipped again, and queue the team's digest.

    Idempotent: a slip is recorded once (unique per order, kind and deadline; the
    order row is locked while it is written), so repeated and concurrent scans
    open nothing twice.
    """
    now = now or timezone.now()
    calendar = Calendar.load()
    result = ScanResult()
    for slip in late_orders(now=now, calendar=calendar):
        outcome = _record_slip(slip, now=now)
        if outcome is None:
            continue
        result.slips += 1
        kind, delay_id = outcome
        if kind == "opened":
            result.opened.append(delay_id)
        elif kind == "escalated":
            result.escalated.append(delay_id)
    result.updates = _keep_line_open(now=now)
    result.digest = _queue_digest(now=now)
    result.reminded = actions_remind(now=now)
    return result


def _still_late(order: Order, slip: Slip) -> bool:
    """The slip read before the lock still holds for the order as it is now (staff
    may have moved the promise, or the order its state, in between)."""
    if slip.kind == DelaySlip.Kind.SHIP_BY:
        return order.status in S.NOT_SHIPPED and order.ship_by == slip.basis
    if slip.kind == DelaySlip.Kind.DELIVERY:
        return order.status == S.SHIPPED and order.estimated_delivery == slip.basis
    return order.status == slip.status and order.status_changed_at == slip.basis


def _record_slip(slip: Slip, *, now: datetime) -> tuple[str, int] | None:
    with transaction.atomic():
        order = Order.objects.select_for_update(of=("self",)).get(pk=slip.order_id)
        if (
            not _still_late(order, slip)
            or DelaySlip.objects.filter(
                order=order, kind=slip.kind, deadline=slip.deadline
            ).exists()
        ):
            return None  # moved on meanwhile, or another scan recorded it
        delay = (
            Delay.objects.select_for_update()
            .filter(order=order, status=Delay.Status.OPEN)
            .first()
        )
        opened = delay is None
        if opened:
            delay = Delay.objects.create(
                order=order, deadline=slip.deadline, opened_at=now
            )
        try:
            with transaction.atomic():
                row = DelaySlip.objects.create(
                    delay=delay,
                    order=order,
                    kind=slip.kind,
                    status=slip.status,
                    deadline=slip.deadline,
                    detected_at=now,
                )
        except IntegrityError:
            return None
        if opened:
            facts.delay_opened(order=order, delay=delay, slip=row)
            return "opened", delay.pk
        delay.slips += 1
        delay.deadline = max(delay.deadline, slip.deadline)
        changed = ["slips", "deadline"]
        # A promise that slips after the customer was given a new date: escalate,
        # and the case waits for a new explanation (and a new choice).
        escalate = delay.explained_at is not None and slip.kind != DelaySlip.Kind.STEP
        if escalate:
            delay.escalated_at = now
            delay.explained_at = None
            delay.choice, delay.chosen_at = "", None
            changed += ["escalated_at", "explained_at", "choice", "chosen_at"]
        delay.save(update_fields=changed)
        if escalate:
            facts.delay_escalated(order=order, delay=delay, slip=row)
            return "escalated", delay.pk
        return "added", delay.pk


def _update_interval() -> timedelta:
    return timedelta(days=max(settings.ORDERS_DELAY_UPDATE_DAYS, 1))


def _keep_line_open(*, now: datetime) -> int:
    """While a case is open the customer hears from us at least every interval:
    staff are reminded before an update is due (once per due time); when it is
    due and nobody wrote to the customer since, they get a short "still on track"
    note. Reads the partial index of open cases by due time."""
    interval = _update_interval()
    remind = timedelta(hours=settings.ORDERS_DELAY_UPDATE_REMIND_HOURS)
    for pk in list(
        Delay.objects.filter(
            status=Delay.Status.OPEN,
            next_update_at__gt=now,
            next_update_at__lte=now + remind,
        )
        .exclude(update_reminded_for=F("next_update_at"))
        .values_list("pk", flat=True)[:500]
    ):
        with transaction.atomic():
            case = (
                Delay.objects.select_for_update(of=("self",))
                .select_related("order")
                .get(pk=pk)
            )
            if case.update_reminded_for == case.next_update_at:
                continue  # another scan reminded
            case.update_reminded_for = case.next_update_at
            case.save(update_fields=["update_reminded_for"])
            facts.delay_update_due(order=case.order, delay=case)
    sent = 0
    for pk in list(
        Delay.objects.filter(
            status=Delay.Status.OPEN, next_update_at__lte=now
        ).values_list("pk", flat=True)[:500]
    ):
        with transaction.atomic():
            order_id = Delay.objects.filter(pk=pk).values_list("order_id", flat=True)[0]
            # the order's row first, as every order service locks
            order = Order.objects.select_for_update(of=("self",)).get(pk=order_id)
            case = Delay.objects.select_for_update().get(pk=pk)
            if (
                not case.is_open
                or case.next_update_at is None
                or case.next_update_at > now
            ):
                continue  # another scan sent it, or the case moved on
            if case.explained_at is None or order.status not in STILL_COMING:
                # escalated (staff owe a new date first), or the order arrived or
                # was cancelled: nothing more to say until the case is closed
                case.next_update_at = None
                case.save(update_fields=["next_update_at"])
                continue
            wrote = (
                order.events.filter(type=T.STAFF_REPLIED)
                .order_by("-created_at")
                .values_list("created_at", flat=True)
                .first()
            )
            last = max(t for t in (wrote, case.last_update_at, case.explained_at) if t)
            if last + interval > now:
                case.next_update_at = last + interval  # someone wrote meanwhile
                case.save(update_fields=["next_update_at"])
                continue
            case.last_update_at, case.next_update_at = now, now + interval
            case.save(update_fields=["last_update_at", "next_update_at"])
            facts.delay_update_sent(order=order, delay=case)
            sent += 1
    return sent


def _queue_digest(*, now: datetime) -> int | None:
    """At most one digest per interval, of the cases opened since the last one."""
    interval = timedelta(minutes=max(settings.ORDERS_DELAY_DIGEST_MINUTES, 1))
    last = DelayDigest.objects.order_by("-period").first()
    if last is not None and now - last.created_at < interval:
        return None
    since = last.created_at if last else None
    new = Delay.objects.filter(opened_at__lte=now)
    if since is not None:
        new = new.filter(opened_at__gt=since)
    count = new.count()
    if not count:
        return None
    # The period is the interval the digest belongs to: two scans at once
    # write one (unique), the second finds nothing to do.
    epoch = int(now.timestamp() // interval.total_seconds() * interval.total_seconds())
    period = datetime.fromtimestamp(epoch, tz=timezone.get_current_timezone())
    try:
        with transaction.atomic():
            digest = DelayDigest.objects.create(period=period, cases=count)
            outbox.enqueue(
                DELAY_DIGEST,
                digest_id=digest.pk,
                since=since.isoformat() if since else "",
                until=now.isoformat(),
            )
    except IntegrityError:
        return None
    return digest.pk


# ------------------------------------------------------------------------------
# The case
# ------------------------------------------------------------------------------
def _lock_case(delay: Delay) -> tuple[Order, Delay]:
    order = lock_order(delay.order, same_state=False)
    delay = (
        Delay.objects.select_for_update(of=("self",))
        .select_related("cause")
        .get(pk=delay.pk)
    )
    return order, delay


def delay_explain(
    *, delay: Delay, actor, cause: DelayCause, new_date: date, details: str = ""
) -> Delay:
    """Record why the order is late and the new delivery date; the customer is told
    (notice and status page) and asked how to go on. The promise moves to the new date."""
    require(actor, "handle_delays", _("explain delays to customers"))
    if cause is None or not cause.active:
        raise InvalidOrder(_("Choose the cause from the list."))
    details = (details or "").strip()
    if cause.needs_details and not details:
        raise InvalidOrder(_("Say what happened: this cause needs a description."))
    if len(details) > DETAILS_LENGTH:
        raise InvalidOrder(
            _("Keep the description under %(n)d characters.") % {"n": DETAILS_LENGTH}
        )
    calendar = Calendar.load()
    today = calendar.local_date(timezone.now())
    new_date = _check_date(new_date, today=today, what=_("The new delivery date"))
    with transaction.atomic():
        order, delay = _lock_case(delay)
        if not delay.is_open:
            raise InvalidOrder(_("This delay case is closed."))
        if order.status not in STILL_COMING:
            raise TransitionNotAllowed(
                _("Order %(number)s is %(status)s: there is no delay to explain.")
                % {
                    "number": order.number,
                    "status": order.get_status_display().lower(),
                }
            )
        if delay.explained_at is not None and (
            delay.cause_id,
            delay.cause_details,
            delay.new_date,
        ) == (cause.pk, details, new_date):
            return delay  # the same form sent twice: told once
        ship_by = order.ship_by
        if order.status in S.NOT_SHIPPED:
            ship_by = ship_by_for_delivery(new_date, today=today, calendar=calendar)
        set_promise(
            order=order,
            actor=actor,
            ship_by=ship_by,
            estimated_delivery=new_date,
            because="delay",
            reason="",
        )
        delay.cause, delay.cause_details, delay.new_date = cause, details, new_date
        delay.explained_at, delay.explained_by = timezone.now(), actor
        delay.next_update_at = delay.explained_at + _update_interval()
        delay.save(
            update_fields=[
                "cause",
                "cause_details",
                "new_date",
                "explained_at",
                "explained_by",
                "next_update_at",
            ]
        )
        facts.delay_explained(order=order, actor=actor, delay=delay)
    return delay


def delay_choose(*, delay: Delay, choice: str) -> Delay:
    """The customer's answer from the status page: wait, ship what is in stock now
    (the missing units move to a second order), or cancel with a full refund.

    Answered once: a second answer (another tab, a double click) changes nothing.
    """
    with transaction.atomic():
        order, delay = _lock_case(delay)
        if delay.choice:
            if delay.choice == choice:
                return delay
            raise InvalidOrder(
                _("You have already answered; write to us to change it.")
            )
        if choice not in choices_for(delay, order):
            raise InvalidOrder(_("That choice is not possible for this order now."))
        delay.choice, delay.chosen_at = choice, timezone.now()
        delay.save(update_fields=["choice", "chosen_at"])
        outcome = {}
        if choice == Delay.Choice.PARTIAL:
            waiting = [
                line.pk for line in order.lines.all() if line.backordered_quantity
            ]
            child = order_split_backorder(
                order=order, actor=CUSTOMER, line_ids=waiting, authorised=True
            )
            outcome["split_order_id"] = child.pk
        elif choice == Delay.Choice.CANCEL:
            order_cancel(
                order=order,
                actor=CUSTOMER,
                reason=_("The customer chose to cancel after a delay"),
                authorised=True,
            )
        facts.delay_answered(order=order, actor=CUSTOMER, delay=delay, **outcome)
    return delay


def delay_close(
    *,
    delay: Delay,
    actor,
    root_cause: str,
    action: str = "",
    owner=None,
    due_on: date | None = None,
) -> Delay:
    """Close the case with what caused it, for the review, and optionally a
    corrective action with an owner and a due date."""
    require(actor, "handle_delays", _("close delay cases"))
    root_cause = (root_cause or "").strip()
    if len(root_cause) < 10:
        raise InvalidOrder(
            _("Write the root cause in a sentence: what made this order late?")
        )
    if len(root_cause) > ROOT_CAUSE_LENGTH:
        raise InvalidOrder(
            _("Keep the root cause under %(n)d characters.") % {"n": ROOT_CAUSE_LENGTH}
        )
    action = (action or "").strip()
    if action:
        if len(action) > ACTION_LENGTH:
            raise InvalidOrder(
                _("Keep the action under %(n)d characters.") % {"n": ACTION_LENGTH}
            )
        if owner is None or not (owner.is_active and owner.is_staff):
            raise InvalidOrder(_("A corrective action needs an owner on the staff."))
        today = Calendar.load().local_date(timezone.now())
        due_on = _check_date(due_on, today=today, what=_("The action's due date"))
    with transaction.atomic():
        order, delay = _lock_case(delay)
        if not delay.is_open:
            return delay  # closed already (a second tab)
        delay.status, delay.closed_at, delay.closed_by = (
            Delay.Status.CLOSED,
            timezone.now(),
            actor,
        )
        delay.root_cause = root_cause
        delay.save(update_fields=["status", "closed_at", "closed_by", "root_cause"])
        if action:
            CorrectiveAction.objects.create(
                delay=delay, description=action, owner=owner, due_on=due_on
            )
        facts.delay_closed(order=order, actor=actor, delay=delay)
    return delay


def corrective_action_done(*, action: CorrectiveAction, actor) -> CorrectiveAction:
    """Its owner or a manager marks an action done (once)."""
    if Actor.of(actor).staff_user != action.owner:
        require(actor, "review_delays", _("mark other people's actions done"))
    # conditional: a second click or tab changes nothing
    CorrectiveAction.objects.filter(pk=action.pk, done_at__isnull=True).update(
        done_at=timezone.now(), done_by=actor
    )
    action.refresh_from_db()
    return action


def actions_remind(*, now: datetime) -> int:
    """Email each owner of an action due today or overdue, once a day (outbox)."""
    today = Calendar.load().local_date(now)
    due = CorrectiveAction.objects.filter(
        done_at__isnull=True, due_on__lte=today
    ).exclude(reminded_on=today)
    reminded = 0
    for pk in list(due.values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            # conditional: two scans at once remind once
            if (
                CorrectiveAction.objects.filter(pk=pk)
                .exclude(reminded_on=today)
                .update(reminded_on=today)
            ):
                outbox.enqueue(ACTION_REMINDER, action_id=pk)
                reminded += 1
    return reminded


def delay_suggestion(delay: Delay, order: Order) -> dict:
    """What the system already knows about why the order is late, to pre-fill the
    case's form: the cause's code, a description and a new delivery date."""
    calendar = Calendar.load()
    now = timezone.now()
    today = calendar.local_date(now)
    slipped = {s.kind for s in delay.slip_rows.all()}
    if order.status == S.BACKORDERED:
        waiting = [line for line in order.lines.all() if line.backordered_quantity]
        arrivals = stock.expected_arrivals(
            product_ids=[line.product_id for line in waiting]
        )
        words = "; ".join(
            _("%(sku)s: %(n)d missing, expected %(when)s")
            % {
                "sku": line.sku,
                "n": line.backordered_quantity,
                "when": arrivals.get(line.product_id) or _("no date yet"),
            }
            for line in waiting
        )
        known = [
            arrivals[line.product_id] for line in waiting if line.product_id in arrivals
        ]
        overdue = any(day < today for day in known)
        ready = max(known) if len(known) == len(waiting) and known else None
        promise = promise_for(
            placed_at=now,
            ready_on=max(ready, today) if ready else None,
            calendar=calendar,
        )
        return {
            "cause": "supplier_late" if overdue else "stock_shortage",
            "details": words[:500],
            "new_date": promise.estimated_delivery,
        }
    if "delivery" in slipped and order.status == S.SHIPPED:
        return {
            "cause": "carrier_delay",
            "details": "",
            "new_date": calendar.add_business_days(today, 2),
        }
    cause = {
        S.PLACED: "verification_hold",
        S.ON_HOLD: "verification_hold",
        S.ALLOCATED: "payment_problem",
    }.get(order.status, "")
    return {
        "cause": cause,
        "details": "",
        "new_date": promise_for(placed_at=now, calendar=calendar).estimated_delivery,
    }

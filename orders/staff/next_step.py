"""The one next step of an order, for the person looking at it.

Each state has one step that moves the order on, a team that takes it and a
moment the order has been waiting since. The order page shows that step as its
one prominent action when this person may take it; otherwise it says who is
next and since when ("Waiting for the warehouse to start picking — paid 2 hours
ago"). Rare or destructive moves (hold, cancel) are never the next step: the
page keeps them apart.
"""

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import reverse
from django.utils.timesince import timesince
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orders.core.models import Order, OrderStatus
from orders.permissions import perm

S = OrderStatus

# Moves that are never "the next step": they stop or end the order.
APART = ("hold", "cancel")


@dataclass(frozen=True)
class Step:
    """What moves the order on from one state."""

    label: str  # the button: "Run the inventory check"
    waiting: str  # for those who may not: "Waiting for the warehouse to …"
    since: str  # what happened when it started waiting: "verified"
    move: str = ""  # the transition the button runs, if it is a plain button
    page: str = ""  # or the page (URL name) where the step is taken
    permission: str = ""  # for a page step: who may take it


@dataclass(frozen=True)
class NextStep:
    label: str
    waiting: str
    since_text: str  # "verified 2 hours ago"
    since: datetime | None
    may: bool  # this person may take it now
    move: str = ""
    url: str = ""


STEPS = {
    "first_check": Step(
        label=gettext_lazy("Open the verification checklist"),
        waiting=gettext_lazy("Waiting for a first check by a clerk or verifier"),
        since=gettext_lazy("placed"),
        page="orders:verification",
        permission="check_order",
    ),
    "second_check": Step(
        label=gettext_lazy("Open the verification checklist"),
        waiting=gettext_lazy(
            "Waiting for the second check by a verifier other than %(first)s"
        ),
        since=gettext_lazy("first check"),
        page="orders:verification",
        permission="verify_order",
    ),
    S.VERIFIED: Step(
        label=gettext_lazy("Run the inventory check"),
        waiting=gettext_lazy("Waiting for the warehouse to run the inventory check"),
        since=gettext_lazy("verified"),
        move="allocate",
    ),
    S.BACKORDERED: Step(
        label="",
        waiting=gettext_lazy(
            "Waiting for stock: it is allocated by itself when goods arrive"
        ),
        since=gettext_lazy("backordered"),
    ),
    S.ALLOCATED: Step(
        label=gettext_lazy("Record a payment"),
        waiting=gettext_lazy("Waiting for the customer's payment"),
        since=gettext_lazy("stock allocated"),
        page="orders:payment",
        permission="record_payment",
    ),
    S.PAID: Step(
        label=gettext_lazy("Start picking"),
        waiting=gettext_lazy("Waiting for the warehouse to start picking"),
        since=gettext_lazy("paid"),
        move="start_picking",
    ),
    S.PICKING: Step(
        label=gettext_lazy("Pack: scan the units"),
        waiting=gettext_lazy("Waiting for the warehouse to pack"),
        since=gettext_lazy("picking started"),
        page="orders:pack",
        permission="fulfil_order",
    ),
    S.PACKED: Step(
        label=gettext_lazy("Ship a parcel"),
        waiting=gettext_lazy("Waiting for the warehouse to ship"),
        since=gettext_lazy("packed"),
        page="orders:ship",
        permission="ship_order",
    ),
    S.SHIPPED: Step(
        label=gettext_lazy("Mark delivered"),
        waiting=gettext_lazy("Waiting for the carrier to deliver"),
        since=gettext_lazy("shipped"),
        move="mark_delivered",
    ),
    S.DELIVERED: Step(
        label=gettext_lazy("Complete"),
        waiting=gettext_lazy(
            "Waiting for the customer to confirm receipt (completed by itself after %(days)s days)"
        ),
        since=gettext_lazy("delivered"),
        move="complete",
    ),
    S.ON_HOLD: Step(
        label=gettext_lazy("Release the hold"),
        waiting=gettext_lazy("On hold until someone who may hold orders releases it"),
        since=gettext_lazy("held"),
        move="release_hold",
    ),
}


def _step_key(order: Order) -> str | None:
    if order.status == S.PLACED:
        return "second_check" if order.first_checked_by_id else "first_check"
    return order.status if order.status in STEPS else None


def _since(order: Order, key: str) -> datetime | None:
    if key == "first_check":
        return order.placed_at
    if key == "second_check":
        return order.first_checked_at
    return order.status_changed_at


def next_step(order: Order, *, user, moves: list[str]) -> NextStep | None:
    """The step that moves ``order`` on, and whether ``user`` may take it now.

    ``moves`` are the transitions ``user`` may run now (``available_transitions``);
    ``None`` for a finished order.
    """
    key = _step_key(order)
    if key is None:
        return None
    step = STEPS[key]
    if step.move:
        may = step.move in moves
        url = reverse("orders:transition", args=[order.number, step.move])
    elif step.page:
        may = user.has_perm(perm(step.permission))
        if key == "second_check":
            may = may and user.pk != order.first_checked_by_id
        url = reverse(step.page, args=[order.number])
    else:
        may, url = False, ""
    since = _since(order, key)
    waiting = str(step.waiting) % {
        "first": order.first_checked_by.get_username()
        if order.first_checked_by_id
        else "",
        "days": settings.ORDERS_AUTO_COMPLETE_DAYS,
    }
    return NextStep(
        label=str(step.label),
        waiting=waiting,
        since=since,
        since_text=(
            _("%(what)s %(ago)s ago")
            % {"what": step.since, "ago": timesince(since).split(",")[0]}
            if since
            else ""
        ),
        may=may,
        move=step.move if may else "",
        url=url if may else "",
    )


def attention(order: Order) -> list[str]:
    """What a person must see before acting: the customer flagged the read-back as
    wrong, reported a problem, or wrote and waits for an answer. Reads the order's
    events, problems and messages (prefetched on the order page)."""
    from orders.events.models import EventType as T

    notes = []
    messages = {m.pk: m for m in order.messages.all()}
    read_back = [
        e
        for e in order.events.all()
        if e.type in (T.READ_BACK_SENT, T.READ_BACK_CONFIRMED, T.READ_BACK_DISPUTED)
    ]
    latest = max(read_back, key=lambda e: (e.created_at, e.pk), default=None)
    disputed = None
    if (
        latest is not None
        and latest.type == T.READ_BACK_DISPUTED
        and not order.is_finished
    ):
        disputed = messages.get(latest.data.get("message_id"))
        notes.append(
            _(
                "The customer says the read-back is wrong: “%(words)s”. Correct the order and send a new read-back."
            )
            % {"words": disputed.body if disputed else "…"}
        )
    for issue in order.issues.all():
        if issue.resolved_at is None:
            notes.append(
                _("The customer reports a problem: %(reason)s. %(details)s")
                % {"reason": issue.get_reason_display(), "details": issue.details}
            )
    waiting = [
        m
        for m in messages.values()
        if m.from_customer and m.answered_at is None and m is not disputed
    ]
    if waiting:
        notes.append(
            _("The customer wrote and waits for an answer: “%(words)s”")
            % {"words": min(waiting, key=lambda m: m.created_at).body}
        )
    return notes

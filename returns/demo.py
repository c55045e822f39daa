"""Demo returns: delivered orders of the demo with returns in every state, made
through the services (so every fact, email and ledger row is real)."""

import random
from datetime import timedelta

from django.utils import timezone

from inventory.models import Warehouse
from orders.core.models import Order, OrderStatus
from orders.permissions import Role
from ordersite.actors import CUSTOMER
from returns import services
from returns.models import RS, Grade, Reason

# How many returns end in each state (approved, received… and refunded are
# walked through every earlier step).
PLAN = [
    (RS.REFUNDED, 6),
    (RS.EXCHANGED, 2),
    (RS.INSPECTED, 3),
    (RS.RECEIVED, 3),
    (RS.APPROVED, 4),
    (RS.REQUESTED, 3),
    (RS.REJECTED, 2),
    (RS.CANCELLED, 2),
    (RS.CLOSED, 2),
]
REASONS = [
    Reason.NO_LONGER_NEEDED,
    Reason.NO_LONGER_NEEDED,
    Reason.DAMAGED,
    Reason.DEFECTIVE,
    Reason.WRONG_ITEM,
    Reason.NOT_AS_DESCRIBED,
]


def seed_returns(*, staff: dict, rng: random.Random) -> dict[str, int]:
    """Open and walk the demo's returns; returns how many end in each state."""
    orders = list(
        Order.objects.filter(
            status__in=[OrderStatus.DELIVERED, OrderStatus.COMPLETED],
            delivered_at__isnull=False,
        )
        .select_related("customer")
        .order_by("pk")
    )
    rng.shuffle(orders)
    warehouse = Warehouse.objects.get(is_default=True)
    made: dict[str, int] = {}
    for target, count in PLAN:
        for _n in range(count):
            if not orders:
                return made
            order = orders.pop()
            # Inside the window, except requests a person must decide (late).
            days = rng.randint(35, 40) if target == RS.REQUESTED else rng.randint(2, 20)
            Order.objects.filter(pk=order.pk).update(
                delivered_at=timezone.now() - timedelta(days=days)
            )
            order.refresh_from_db()
            _walk(order, target, staff=staff, rng=rng, warehouse=warehouse)
            made[target] = made.get(target, 0) + 1
    return made


def _walk(order, target, *, staff, rng, warehouse) -> None:
    lines = list(order.lines.order_by("pk"))
    chosen = rng.sample(lines, k=min(len(lines), rng.choice([1, 1, 2])))
    late = target in (RS.REQUESTED, RS.REJECTED)
    if late:
        Order.objects.filter(pk=order.pk).update(
            delivered_at=timezone.now() - timedelta(days=36)
        )
        order.refresh_from_db()
    asked = [
        services.Asked(
            line_id=line.pk,
            quantity=rng.randint(1, line.quantity),
            reason=rng.choice(REASONS),
        )
        for line in chosen
    ]
    by_staff = rng.random() < 0.25
    exchanging = target == RS.EXCHANGED
    rma = services.return_request(
        order=order,
        asked=asked,
        outcome="exchange"
        if exchanging
        else ("store_credit" if rng.random() < 0.2 else "refund"),
        wish="The next size up, please." if exchanging else "",
        actor=staff[Role.CLERK] if by_staff else CUSTOMER,
        source="staff" if by_staff else "customer",
        note="" if rng.random() < 0.7 else "The box was opened before I got it.",
    )
    if target == RS.REQUESTED:
        return
    if target == RS.REJECTED:
        services.return_decide(
            rma=rma,
            actor=staff[Role.RETURNS],
            approve=False,
            note="The item was used for several weeks; we can only take back "
            "unused items this late.",
        )
        return
    if target == RS.CANCELLED:
        services.return_cancel(rma=rma, actor=CUSTOMER)
        return
    if target == RS.APPROVED:
        return
    rma = services.return_receive(
        rma=rma,
        actor=staff[Role.WAREHOUSE],
        arrived={line.pk: line.quantity for line in rma.lines.all()},
    )
    if target == RS.RECEIVED:
        return
    closing = target == RS.CLOSED
    found = {}
    for line in rma.lines.all():
        grade = (
            Grade.SCRAP if closing else rng.choice([Grade.A, Grade.A, Grade.B, Grade.C])
        )
        found[line.pk] = services.Inspection(
            grade=grade,
            cause=Reason.NO_LONGER_NEEDED if closing else line.reason,
            disposition="restock" if grade in (Grade.A, Grade.B) else "write_off",
            warehouse=warehouse,
            note="" if grade == Grade.A else "Scuffed corners.",
        )
    rma = services.return_inspect(rma=rma, actor=staff[Role.RETURNS], found=found)
    if target == RS.INSPECTED:
        return
    if closing and rma.refund_due:
        services.return_set_amount(
            rma=rma,
            actor=staff[Role.MANAGER],
            amount="0",
            reason="Worn out by use; nothing refunded.",
        )
        rma.refresh_from_db()
    if closing:
        services.return_close(rma=rma, actor=staff[Role.RETURNS])
    elif exchanging:
        from inventory.models import Product

        swap = rng.choice(list(Product.objects.filter(active=True).order_by("pk")[:20]))
        services.return_exchange(
            rma=rma,
            actor=staff[Role.RETURNS],
            replacements=[services.Replacement(product=swap, quantity=1)],
        )
    else:
        services.return_refund(rma=rma, actor=staff[Role.RETURNS])

"""The machinery every order service shares: lock, check, transition.

Every order service starts with ``lock_order``: the order's row is locked and
compared with the state the caller saw, so the second of two people acting at
once gets ``OrderChanged``. ``transition_check`` says why a move is refused
(state, unmet conditions, permission); ``fire`` runs a transition on a locked
order and saves it; the service then records its fact
(``orders.events.record``).
"""

from collections.abc import Callable

from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from orders import conditions
from orders.core.models import Order, OrderLine
from orders.exceptions import OrderChanged, TransitionForbidden, TransitionNotAllowed
from ordersite.actors import Actor


def lock_order(order: Order, *, same_state: bool = True, lines: bool = False) -> Order:
    """Lock the order's row and make sure it is still in the state the caller saw.

    Returns the locked, fresh order (with its customer); the instance passed in
    is not changed. Every service that changes an order calls this first.
    ``same_state=False`` is for changes that do not depend on the lifecycle
    state (a refund depends on the money held, read again under the lock).
    ``lines=True`` reads the lines (with their products) once, for a service
    that does not add, remove or reprice them: its conditions, checklist, facts
    and emails then use them without another query (``Order.carry_lines``).
    """
    query = Order.objects.select_for_update(of=("self",)).select_related("customer")
    if lines:
        query = query.prefetch_related(
            Prefetch("lines", queryset=OrderLine.objects.select_related("product"))
        )
    fresh = query.get(pk=order.pk)
    if same_state and fresh.status != order.status:
        raise OrderChanged(
            number=fresh.number, expected=order.status, actual=fresh.status
        )
    return fresh


def transition_check(
    *,
    order: Order,
    name: str,
    actor,
    check_conditions: bool = True,
    authorised: bool = False,
) -> None:
    """Raise unless ``actor`` may run transition ``name`` on ``order`` as it is now.

    The system may make any move; staff need the transition's permission; the
    customer or an integration only where the calling service has
    ``authorised`` them (the customer confirming receipt with their token).
    """
    method = getattr(order, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionNotAllowed(
            _("Order %(number)s is %(status)s; “%(move)s” is not possible from there.")
            % {
                "number": order.number,
                "status": order.get_status_display().lower(),
                "move": Order.transition_label(name).lower(),
            }
        )
    reasons = conditions.unmet(order, method, before_input=not check_conditions)
    if reasons:
        raise TransitionNotAllowed(
            _("Order %(number)s cannot %(move)s yet:")
            % {"number": order.number, "move": Order.transition_label(name).lower()},
            reasons,
        )
    who = Actor.of(actor)
    if who.is_system or authorised:
        return
    transition = method._django_fsm.get_transition(order.status)
    if who.staff_user is None or not transition.has_perm(order, who.staff_user):
        raise TransitionForbidden(
            _("You may not “%(move)s” on order %(number)s.")
            % {"move": Order.transition_label(name).lower(), "number": order.number}
            + (
                _(
                    " The second check must be made by someone other than the first checker."
                )
                if name == "verify"
                and who.staff_user is not None
                and who.staff_user.pk == order.first_checked_by_id
                else ""
            )
        )


def fire(order: Order, name: str, *, actor, authorised: bool = False, **kwargs) -> str:
    """Check and run transition ``name`` on a locked order and save it; returns the state it left."""
    transition_check(order=order, name=name, actor=actor, authorised=authorised)
    source = order.status
    getattr(order, name)(**kwargs)
    try:
        order.save()
    except ConcurrentTransition as exc:
        # Only reachable if the row lock was bypassed; the conditional update still
        # guarantees one winner.
        raise OrderChanged(
            number=order.number, expected=source, actual="changed"
        ) from exc
    return source


def run_transition(
    order: Order, name: str, *, actor, record: Callable, **facts
) -> Order:
    """Lock the order, run one transition and record its fact with ``record``."""
    with transaction.atomic():
        order = lock_order(order)
        source = fire(order, name, actor=actor)
        record(order=order, actor=actor, from_status=source, **facts)
    return order


def available_transitions(*, order: Order, actor) -> list[str]:
    """Names of the transitions ``actor`` may run on ``order`` now (for buttons and the admin).

    A move whose only unmet conditions are met by what the person enters (the
    tracking number to ship) is offered; the service checks them again.
    """
    names = []
    who = Actor.of(actor)
    for name in sorted({t.name for t in order.get_all_status_transitions()}):
        method = getattr(order, name)
        transition = method._django_fsm.get_transition(order.status)
        if transition is None or not can_proceed(method, check_conditions=False):
            continue
        if conditions.unmet(order, method, before_input=True):
            continue
        if who.is_system or (
            who.staff_user is not None and transition.has_perm(order, who.staff_user)
        ):
            names.append(name)
    return names

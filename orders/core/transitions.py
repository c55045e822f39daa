"""The machinery every order service shares: lock, check, transition, record.

Every order service starts with ``lock_order``: the order's row is locked and
compared with the state the caller saw, so the second of two people acting at
once gets ``OrderChanged``. ``transition_check`` says why a move is refused
(state, unmet conditions, permission); ``fire`` runs a transition on a locked
order, saves it and records the fact.
"""

from django.db import transaction
from django.utils.translation import gettext as _
from django_fsm import ConcurrentTransition, can_proceed

from orders import conditions
from orders.core.models import Order
from orders.events import record as events
from orders.events.models import OrderEvent
from orders.exceptions import OrderChanged, TransitionForbidden, TransitionNotAllowed
from orders.notifications.emails import notify_on_commit


def lock_order(order: Order) -> Order:
    """Lock the order's row and make sure it is still in the state the caller saw."""
    fresh = (
        Order.objects.select_for_update(of=("self",))
        .select_related("customer")
        .get(pk=order.pk)
    )
    if fresh.status != order.status:
        raise OrderChanged(
            number=fresh.number, expected=order.status, actual=fresh.status
        )
    return fresh


def transition_label(order: Order, name: str) -> str:
    transition = getattr(order, name)._django_fsm.get_transition(order.status)
    if transition is not None:
        return str(transition.custom.get("label", name)).lower()
    return name.replace("_", " ")


def transition_check(
    *, order: Order, name: str, actor, check_conditions: bool = True
) -> None:
    """Raise unless ``actor`` may run transition ``name`` on ``order`` as it is now."""
    method = getattr(order, name)
    if not can_proceed(method, check_conditions=False):
        raise TransitionNotAllowed(
            _("Order %(number)s is %(status)s; “%(move)s” is not possible from there.")
            % {
                "number": order.number,
                "status": order.get_status_display().lower(),
                "move": name.replace("_", " "),
            }
        )
    reasons = conditions.unmet(order, method, before_input=not check_conditions)
    if reasons:
        raise TransitionNotAllowed(
            _("Order %(number)s cannot %(move)s yet:")
            % {"number": order.number, "move": transition_label(order, name)},
            reasons,
        )
    if actor is not None:
        transition = method._django_fsm.get_transition(order.status)
        if not transition.has_perm(order, actor):
            raise TransitionForbidden(
                _("You may not “%(move)s” on order %(number)s.")
                % {"move": transition_label(order, name), "number": order.number}
                + (
                    _(
                        " The second check must be made by someone other than the first checker."
                    )
                    if name == "verify" and actor.pk == order.first_checked_by_id
                    else ""
                )
            )


def fire(
    order: Order,
    name: str,
    *,
    actor,
    message: str = "",
    data: dict | None = None,
    customer_visible: bool = True,
    notify: str | None = None,
    **kwargs,
) -> OrderEvent:
    """Run transition ``name`` on a locked order, save it and write the event."""
    transition_check(order=order, name=name, actor=actor)
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
    event = events.status_changed(
        order=order,
        actor=actor,
        from_status=source,
        message=message,
        data=data,
        customer_visible=customer_visible,
    )
    if notify:
        notify_on_commit(order=order, kind=notify)
    return event


def run_transition(order: Order, name: str, *, actor, **fire_args) -> Order:
    """Lock the order and run one transition that has no side effects of its own."""
    with transaction.atomic():
        order = lock_order(order)
        fire(order, name, actor=actor, **fire_args)
    return order


def available_transitions(*, order: Order, actor) -> list[str]:
    """Names of the transitions ``actor`` may run on ``order`` now (for buttons and the admin).

    A move whose only unmet conditions are met by what the person enters (the
    tracking number to ship) is offered; the service checks them again.
    """
    names = []
    for name in sorted({t.name for t in order.get_all_status_transitions()}):
        method = getattr(order, name)
        transition = method._django_fsm.get_transition(order.status)
        if transition is None or not can_proceed(method, check_conditions=False):
            continue
        if conditions.unmet(order, method, before_input=True):
            continue
        if actor is None or transition.has_perm(order, actor):
            names.append(name)
    return names

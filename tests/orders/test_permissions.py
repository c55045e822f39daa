"""Which staff group may run which transition, and the four-eyes rule of verification."""

import pytest
from django.test import override_settings

from orders import moves
from orders.core import services, transitions
from orders.exceptions import TransitionForbidden, TransitionNotAllowed
from orders.models import Order, OrderStatus
from orders.permissions import TRANSITION_PERMISSIONS, Role
from orders.verification import services as verification
from orders.verification.checklist import checklist_keys
from tests.conftest import covered
from tests.orders.inputs import inputs_for

S = OrderStatus

# transition -> (state to prepare the order in, permission that guards it)
CASES = {
    "record_first_check": (S.PLACED, "check_order"),
    "verify": ("checked", "verify_order"),
    "send_back": ("checked", "verify_order"),
    "allocate": (S.VERIFIED, "allocate_order"),
    "mark_paid": ("allocated+payment", "record_payment"),
    "start_picking": (S.PAID, "fulfil_order"),
    "pack": (S.PICKING, "fulfil_order"),
    "ship": (S.PACKED, "ship_order"),
    "mark_delivered": (S.SHIPPED, "ship_order"),
    "complete": (S.DELIVERED, "complete_order"),
    "hold": (S.PAID, "hold_order"),
    "release_hold": ("held", "hold_order"),
    "cancel": (S.ALLOCATED, "cancel_order"),
}
TABLE = [(name, role) for name in CASES for role in Role.ALL]


def test_every_transition_is_covered_by_the_table():
    assert set(CASES) | {"backorder"} == set(moves.TRANSITION_SERVICES)
    assert {perm for _state, perm in CASES.values()} == set(TRANSITION_PERMISSIONS)


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "role"), TABLE, ids=[f"{n}-{r}" for n, r in TABLE])
def test_transition_permission_per_group(order_in, crew, staff, name, role):
    # given an order ready for the transition
    state, codename = CASES[name]
    if state == "allocated+payment":
        order = order_in(S.ALLOCATED)
        covered(order)
    elif state == "held":
        order = services.order_hold(
            order=order_in(S.PAID), actor=crew.clerk, reason="Wait"
        )
    else:
        order = order_in(state)
    before = order.status
    allowed = role == Role.MANAGER or role in TRANSITION_PERMISSIONS[codename][1]
    actor = staff[role]

    # when a member of the group tries it
    if allowed:
        result = moves.order_transition(
            order=order, name=name, actor=actor, **inputs_for(name, order)
        )
        # then it happens
        assert result.status != before or name in ("record_first_check", "send_back")
        # and the fact it records names who did it (what follows is the system's)
        recorded = result.events.exclude(actor_kind="system")
        assert recorded.latest("pk").actor == actor
    else:
        with pytest.raises(TransitionForbidden, match="You may not"):
            moves.order_transition(
                order=order, name=name, actor=actor, **inputs_for(name, order)
            )
        # then nothing changes
        fresh = Order.objects.get(pk=order.pk)
        assert fresh.status == before
        assert not order.shipments.exists() or name != "ship"


@pytest.mark.django_db
def test_only_the_roles_transitions_are_offered(order_in, staff):
    order = order_in(S.PACKED)
    # shipping is offered: the tracking number it needs is asked for on the way
    assert set(
        transitions.available_transitions(order=order, actor=staff[Role.WAREHOUSE])
    ) == {"hold", "ship"}
    assert set(
        transitions.available_transitions(order=order, actor=staff[Role.CLERK])
    ) == {
        "hold",
        "cancel",
    }
    assert (
        transitions.available_transitions(order=order, actor=staff[Role.RETURNS]) == []
    )


class TestFourEyes:
    @pytest.mark.django_db
    def test_the_first_checker_cannot_confirm_their_own_check(self, place, staff):
        order = place()
        verifier = staff[Role.VERIFIER]
        order = verification.order_record_first_check(
            order=order, actor=verifier, checked=checklist_keys(order)
        )
        with pytest.raises(
            TransitionForbidden, match="someone other than the first checker"
        ):
            verification.order_verify(order=order, actor=verifier)
        assert Order.objects.get(pk=order.pk).status == S.PLACED

    @pytest.mark.django_db
    def test_a_second_person_confirms(self, place, staff):
        placed = place()
        order = verification.order_record_first_check(
            order=placed, actor=staff[Role.CLERK], checked=checklist_keys(placed)
        )
        order = verification.order_verify(order=order, actor=staff[Role.VERIFIER])
        assert order.status == S.VERIFIED
        assert (order.first_checked_by, order.verified_by) == (
            staff[Role.CLERK],
            staff[Role.VERIFIER],
        )

    @pytest.mark.django_db
    def test_verification_needs_a_first_check(self, place, staff):
        with pytest.raises(TransitionNotAllowed, match="first check"):
            verification.order_verify(order=place(), actor=staff[Role.VERIFIER])

    @pytest.mark.django_db
    def test_the_first_check_is_recorded_once(self, place, staff):
        placed = place()
        order = verification.order_record_first_check(
            order=placed, actor=staff[Role.CLERK], checked=checklist_keys(placed)
        )
        with pytest.raises(TransitionNotAllowed, match="already had its first check"):
            verification.order_record_first_check(
                order=order, actor=staff["clerk2"], checked=checklist_keys(order)
            )

    @pytest.mark.django_db
    @override_settings(ORDERS_SECOND_CHECK_WAIVED_BELOW="50.00")
    def test_small_orders_may_be_verified_by_one_person(self, place, staff):
        from tests.factories.inventory import ProductFactory

        small = place([(ProductFactory(unit_price="10.00"), 2)])
        assert small.total < 50
        order = verification.order_verify(order=small, actor=staff[Role.VERIFIER])
        assert order.status == S.VERIFIED
        assert order.events.get(type="verified").data == {
            "second_check_waived": True,
            "first_checker_id": None,
        }

    @pytest.mark.django_db
    @override_settings(ORDERS_SECOND_CHECK_WAIVED_BELOW="50.00")
    def test_orders_at_or_above_the_threshold_still_need_two(self, place, staff):
        from tests.factories.inventory import ProductFactory

        big = place([(ProductFactory(unit_price="25.00"), 2)])
        assert big.total >= 50
        with pytest.raises(TransitionNotAllowed, match="first check"):
            verification.order_verify(order=big, actor=staff[Role.VERIFIER])
        order = verification.order_record_first_check(
            order=big, actor=staff[Role.VERIFIER], checked=checklist_keys(big)
        )
        with pytest.raises(TransitionForbidden):
            verification.order_verify(order=order, actor=staff[Role.VERIFIER])


@pytest.mark.django_db
@pytest.mark.parametrize("role", Role.ALL)
def test_discounts_need_the_discount_permission_for_every_role(order_in, staff, role):
    """Codes, staff discounts and their removal: only roles granted ``grant_discount``."""
    from decimal import Decimal

    from orders.exceptions import TransitionForbidden
    from orders.money import discounts
    from tests.factories.orders import DiscountCodeFactory

    DiscountCodeFactory(code="ROLE10", kind="percent", value=Decimal("10"))
    order = order_in(S.PLACED)
    actor = staff[role]
    allowed = role in (Role.CLERK, Role.MANAGER)
    if allowed:
        applied = discounts.discount_code_apply(order=order, code="ROLE10", actor=actor)
        discounts.discount_remove(discount=applied, actor=actor)
        discounts.discount_staff_grant(
            order=order, kind="fixed", value=Decimal("1.00"), reason="Late", actor=actor
        )
        assert order.discounts.count() == 1
    else:
        with pytest.raises(TransitionForbidden):
            discounts.discount_code_apply(order=order, code="ROLE10", actor=actor)
        with pytest.raises(TransitionForbidden):
            discounts.discount_staff_grant(
                order=order,
                kind="fixed",
                value=Decimal("1.00"),
                reason="Late",
                actor=actor,
            )
        assert not order.discounts.exists()
        assert Order.objects.get(pk=order.pk).discount_total == 0

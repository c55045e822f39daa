"""Store webhook deliveries: kept as received, then handled; never lost.

``delivery_receive`` keeps the delivery (its signature already checked by the
view) in its own transaction, then ``delivery_process`` turns it into an order,
a cancellation or a payment. Whatever goes wrong while processing is written on
the delivery (failed, or needing staff) and staff process it again once the
cause is fixed (a missing SKU added, a tax rate configured).
"""

import dataclasses
import json
import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.models import Product
from orders.core.models import Order, OrderStatus
from orders.core.services import order_cancel, order_hold
from orders.exceptions import OrderError, TransitionNotAllowed
from orders.intake import stores
from orders.intake.models import Delivery, Store
from orders.intake.services import IntakeRefused, order_receive, store_payment
from orders.money.models import Payment
from orders.money.position import money_position
from ordersite.actors import Actor

logger = logging.getLogger(__name__)
S = Delivery.Status
CENT = Decimal("0.01")


def delivery_receive(*, store: Store, topic: str, body: bytes, headers) -> Delivery:
    """Keep a signed delivery, then handle it; returns the delivery as it ends."""
    delivery = Delivery.objects.create(
        store=store,
        topic=topic[:60],
        delivery_id=str(headers.get(stores.DELIVERY_HEADER[store.platform], ""))[:100],
        body=body.decode("utf-8", errors="replace"),
    )
    return delivery_process(delivery=delivery)


def delivery_process(*, delivery: Delivery, actor=None) -> Delivery:
    """Handle (again) one delivery; the outcome and any problem are written on it.

    ``actor`` is the staff member processing it again, else the store acts.
    """
    store = delivery.store
    who = actor or Actor.for_integration(store.name)
    try:
        status, order, problem = _handle(delivery, store, who)
    except IntakeRefused as exc:
        status, order, problem = (
            S.FAILED,
            None,
            "\n".join(
                f"{p.field}: {p.detail}" if p.field else p.detail for p in exc.problems
            ),
        )
    except OrderError as exc:
        status, order, problem = S.FAILED, None, str(exc)
    except Exception:  # noqa: BLE001 - kept and shown; never lost with a 500
        logger.exception("Store delivery %s could not be handled", delivery.pk)
        status, order, problem = (
            S.FAILED,
            None,
            _("An unexpected error; the delivery is kept and can be processed again."),
        )
    Delivery.objects.filter(pk=delivery.pk).update(
        status=status,
        order=order,
        problem=problem,
        attempts=delivery.attempts + 1,
        handled_at=timezone.now(),
    )
    delivery.refresh_from_db()
    return delivery


delivery_process.alters_data = True


def _handle(delivery: Delivery, store: Store, actor):
    try:
        payload = json.loads(delivery.body, parse_float=Decimal)
    except ValueError:
        return S.FAILED, None, _("The body is not JSON.")
    if not isinstance(payload, dict):
        return S.FAILED, None, _("The body is not an order.")
    skus = {
        str(item.get("sku") or "").strip()
        for item in payload.get("line_items") or []
        if isinstance(item, dict)
    }
    known = set(Product.objects.filter(sku__in=skus).values_list("sku", flat=True))
    mapped = stores.MAPPERS[store.platform](store, payload, known)
    incoming = mapped.incoming
    Delivery.objects.filter(pk=delivery.pk).update(
        external_id=incoming.external_id[:100]
    )
    if not incoming.external_id:
        return S.FAILED, None, _("The delivery carries no order id.")
    if mapped.test and not store.accept_test_orders:
        return S.IGNORED, None, _("A test order (the store is not set to accept them).")
    existing = Order.objects.filter(
        source=incoming.source, external_id=incoming.external_id
    ).first()
    if delivery.topic in stores.CANCELS or (existing and mapped.cancelled):
        return _cancel(existing, store, actor)
    if existing:
        if delivery.topic in stores.CREATES:
            return S.DUPLICATE, existing, ""
        return _update(existing, mapped, actor)
    if delivery.topic not in stores.CREATES | stores.UPDATES:
        return S.IGNORED, None, _("Topic %(t)s is not handled.") % {"t": delivery.topic}
    if mapped.cancelled:
        return S.IGNORED, None, _("Cancelled in the store before it reached us.")
    return _create(mapped, store, actor)


def _create(mapped, store, actor):
    incoming = mapped.incoming
    if not incoming.lines:
        return (
            S.FAILED,
            None,
            _(
                "No line has a SKU we sell: %(lines)s. Add the products, then process again."
            )
            % {"lines": "; ".join(mapped.unknown) or "-"},
        )
    problems = []
    with transaction.atomic():
        # The store's payment is recorded here, not by order_receive: an order
        # with lines left out, or worked out differently here, is kept and held
        # rather than refused.
        received = order_receive(
            incoming=dataclasses.replace(incoming, paid=None), actor=actor
        )
        order = received.order
        if not received.created:
            return S.DUPLICATE, order, ""
        if mapped.unknown:
            problems.append(
                _("Lines we do not sell: %(lines)s.")
                % {"lines": "; ".join(mapped.unknown)}
            )
        elif mapped.total is not None and abs(mapped.total - order.total) > CENT:
            # The store worked out tax or shipping otherwise (or our rules price
            # differently): the verifier decides before anything is charged here.
            problems.append(
                _(
                    "The store charged %(store)s %(cur)s (tax %(tax)s); our rules "
                    "give %(ours)s (tax %(our_tax)s)."
                )
                % {
                    "store": mapped.total,
                    "cur": incoming.currency,
                    "tax": mapped.tax,
                    "ours": order.total,
                    "our_tax": order.tax_total,
                }
            )
        paid = incoming.paid or Decimal("0")
        owed = money_position(order).payable
        if paid and (mapped.unknown or paid > owed):
            problems.append(
                _("The store took %(paid)s %(cur)s; the order comes to %(owed)s here.")
                % {"paid": paid, "cur": incoming.currency, "owed": owed}
            )
            paid = min(paid, owed) if not mapped.unknown else Decimal("0")
        if paid > 0:
            store_payment(order=order, amount=paid, actor=actor, incoming=incoming)
        if problems:
            # Not dropped: the order waits, held, with the problem named.
            reason = _("From %(store)s: %(problems)s") % {
                "store": store.name,
                "problems": " ".join(problems),
            }
            order_hold(order=order, actor=None, reason=reason[:500])
            return S.HELD, order, reason
    return S.PLACED, order, ""


def _cancel(order, store, actor):
    if order is None:
        return S.IGNORED, None, _("Cancelled in the store; it never reached us.")
    if order.status == OrderStatus.CANCELLED:
        return S.DUPLICATE, order, ""
    try:
        order = order_cancel(
            order=order,
            actor=actor,
            reason=_("Cancelled in %(store)s.") % {"store": store.name},
            authorised=True,
        )
    except TransitionNotAllowed as exc:
        return (
            S.ATTENTION,
            order,
            _("Cancelled in the store, but it cannot be cancelled here: %(why)s")
            % {"why": exc},
        )
    return S.CANCELLED, order, ""


def _update(order, mapped, actor):
    """News about an order we have: the store took the money since."""
    if mapped.paid and mapped.incoming.paid:
        if not order.payments.filter(method=Payment.Method.ONLINE_STORE).exists():
            store_payment(
                order=order,
                amount=mapped.incoming.paid,
                actor=actor,
                incoming=mapped.incoming,
            )
            return S.UPDATED, order, ""
    return S.DUPLICATE, order, ""

"""The orders endpoints: create (idempotent), read, changes since a cursor, cancel."""

from datetime import timedelta

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from orders.api import serializers as s
from orders.core.models import Order
from orders.core.services import order_cancel
from orders.events.models import OrderEvent
from orders.events.timeline import timeline
from orders.exceptions import OrderError, TransitionForbidden, TransitionNotAllowed
from orders.intake.services import (
    IncomingLine,
    IncomingOrder,
    IntakeRefused,
    order_receive,
)
from orders.money.position import money_position
from ordersite.api.auth import caller
from ordersite.api.idempotency import key_of, key_parameter, key_reused
from ordersite.api.models import Scope
from ordersite.api.problems import Problem
from ordersite.api.services import KeyReused, body_hash, idempotent

# Changes become visible to the feed this long after they are recorded, so one
# committed a moment later than a newer one is not skipped by a cursor.
SETTLE = timedelta(seconds=5)
CHANGES_PER_PAGE = 100


def refused(exc: IntakeRefused) -> Problem:
    return Problem(
        status_code=422,
        code=exc.problems[0].code if len(exc.problems) == 1 else "invalid_order",
        detail=_("The order was not accepted; nothing was written."),
        errors=[
            {"field": p.field or "/", "code": p.code, "detail": p.detail}
            for p in exc.problems
        ],
    )


def order_out(order: Order, request) -> dict:
    """An order as the API shows it (lines, payments, shipments and tracking links,
    and what the customer sees of its history)."""
    carriers = settings.ORDERS_CARRIER_TRACKING_URLS
    return {
        "number": order.number,
        "external_id": order.external_id,
        "channel": order.channel,
        "status": order.status,
        "payment_status": money_position(order).status,
        "placed_at": order.placed_at,
        "ship_by": order.ship_by,
        "estimated_delivery": order.estimated_delivery,
        "currency": order.currency,
        "subtotal": order.subtotal,
        "discount_total": order.discount_total,
        "shipping_total": order.shipping_total,
        "tax_total": order.tax_total,
        "total": order.total,
        "status_page": request.build_absolute_uri(
            reverse("track:order", args=[order.tracking_token])
        ),
        "lines": [
            {
                "sku": line.sku,
                "name": line.name,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "line_total": line.line_total,
                "price_source": line.price_source,
            }
            for line in order.lines.order_by("pk")
        ],
        "payments": [
            {
                "method": p.method,
                "amount": p.amount,
                "status": p.status,
                "created_at": p.created_at,
            }
            for p in order.payments.order_by("pk")
        ],
        "shipments": [
            {
                "carrier": sh.carrier,
                "tracking_number": sh.tracking_number,
                "tracking_url": carriers.get(sh.carrier, "").format(
                    number=sh.tracking_number
                )
                or None,
                "shipped_at": sh.created_at,
            }
            for sh in order.shipments.order_by("pk")
        ],
        "events": [
            {"at": e.created_at, "type": e.event.type, "text": e.text}
            for e in timeline(order, audience="customer")
        ],
    }


class Orders(APIView):
    scopes = {"POST": Scope.ORDERS_WRITE, "GET": Scope.ORDERS_READ}

    @extend_schema(
        request=s.OrderIn,
        responses={201: s.OrderOut, 200: s.OrderOut},
        parameters=[key_parameter("order")],
        summary=_("Create an order"),
        operation_id="orders_create",
    )
    def post(self, request):
        form = s.OrderIn(data=request.data)
        form.is_valid(raise_exception=True)
        d = form.validated_data
        key = key_of(request)
        incoming = IncomingOrder(
            source=f"api:{request.auth.name}",
            external_id=d["reference"],
            email=d["customer"]["email"],
            name=d["customer"]["name"],
            phone=d["customer"]["phone"],
            shipping_address=d["shipping"]["address"],
            shipping_country=d["shipping"]["country"].upper(),
            billing_address=(d["billing"] or {}).get("address", ""),
            lines=[
                IncomingLine(
                    sku=x["sku"], quantity=x["quantity"], unit_price=x["unit_price"]
                )
                for x in d["lines"]
            ],
            shipping_total=d["shipping_total"],
            currency=d["currency"],
            paid=(d["payment"] or {}).get("amount") or None,
            payment_reference=(d["payment"] or {}).get("reference", ""),
            price_mismatch=settings.API_PRICE_MISMATCH,
        )
        actor = caller(request)

        def receive():
            received = order_receive(incoming=incoming, actor=actor)
            return received.order, received.created

        try:
            if key:
                (order, created), replayed = idempotent(
                    api_key=request.auth,
                    key=key,
                    digest=body_hash(request.data),
                    make=lambda: _as_reference(receive()),
                    find=_from_reference,
                )
                created = created and not replayed
            else:
                order, created = receive()
        except IntakeRefused as exc:
            raise refused(exc) from exc
        except KeyReused:
            raise key_reused("order") from None
        response = Response(
            s.OrderOut(order_out(order, request)).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
        response["Location"] = reverse("api:order", args=[order.number])
        if not created:
            response["Idempotent-Replayed"] = "true"
        return response

    @extend_schema(
        responses=s.OrderChanges,
        parameters=[
            OpenApiParameter(
                "changed_since",
                str,
                description=_(
                    "The cursor of the previous answer; empty: from the start."
                ),
            )
        ],
        summary=_("Orders changed since a cursor"),
        operation_id="orders_changed",
    )
    def get(self, request):
        raw = request.query_params.get("changed_since", "") or "0"
        if not raw.isdigit() or len(raw) > 18:
            raise Problem(
                status_code=422,
                code="invalid_cursor",
                detail=_("changed_since is the cursor of an earlier answer."),
            )
        cursor = int(raw)
        settled = timezone.now() - SETTLE
        # Read the facts after the cursor in their order (the primary key), a
        # bounded number at a time; an order changed several times is listed once.
        facts = list(
            OrderEvent.objects.filter(pk__gt=cursor, created_at__lte=settled)
            .order_by("pk")
            .values_list("pk", "order_id", "created_at")[: CHANGES_PER_PAGE * 5]
        )
        latest: dict[int, tuple] = {}
        for pk, order_id, at in facts:
            latest.pop(order_id, None)
            latest[order_id] = (pk, at)
            if len(latest) == CHANGES_PER_PAGE:
                cursor_after = pk
                break
        else:
            cursor_after = facts[-1][0] if facts else cursor
        statuses = dict(Order.objects.filter(pk__in=latest).values_list("pk", "number"))
        state = dict(Order.objects.filter(pk__in=latest).values_list("pk", "status"))
        orders = [
            {"number": statuses[oid], "status": state[oid], "changed_at": at}
            for oid, (_pk, at) in latest.items()
            if oid in statuses
        ]
        more = OrderEvent.objects.filter(
            pk__gt=cursor_after, created_at__lte=settled
        ).exists()
        return Response(
            s.OrderChanges(
                {"orders": orders, "cursor": str(cursor_after), "more": more}
            ).data
        )


def _as_reference(result) -> str:
    order, created = result
    return f"order:{order.number}:{int(created)}"


def _from_reference(reference: str):
    _kind, number, created = reference.split(":")
    return Order.objects.get(number=number), created == "1"


class OrderDetail(APIView):
    scopes = {"GET": Scope.ORDERS_READ}

    @extend_schema(
        responses=s.OrderOut, summary=_("Read an order"), operation_id="orders_read"
    )
    def get(self, request, number):
        order = get_object_or_404(Order, number=number[:20])
        return Response(s.OrderOut(order_out(order, request)).data)


class OrderCancel(APIView):
    scopes = {"POST": Scope.ORDERS_WRITE}

    @extend_schema(
        request=s.CancelIn, responses=s.OrderOut, summary=_("Cancel an order")
    )
    def post(self, request, number):
        order = get_object_or_404(Order, number=number[:20])
        form = s.CancelIn(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            order = order_cancel(
                order=order,
                actor=caller(request),
                reason=form.validated_data["reason"],
                authorised=True,
            )
        except TransitionNotAllowed as exc:
            raise Problem(
                status_code=409, code="not_cancellable", detail=str(exc)
            ) from exc
        except TransitionForbidden as exc:
            raise Problem(status_code=403, code="forbidden", detail=str(exc)) from exc
        except OrderError as exc:
            raise Problem(
                status_code=422, code="invalid_order", detail=str(exc)
            ) from exc
        return Response(s.OrderOut(order_out(order, request)).data)

"""Typed facts and the outbox, step 2: convert the existing rows.

- Every ``OrderEvent`` becomes a typed fact: one type per fact, structured data
  (ids, amounts, codes), the actor's kind, and no prose; the words come from
  ``orders.events.timeline`` when shown. Pairs the old code wrote for one fact
  (stock allocated + status changed, backordered + status changed, stock
  released + cancelled) become one row. Read-backs sent and the message thread,
  which had no rows of their own, get them at their original times.
- Every ``Notification`` gets its delivery as an outbox row with the state,
  attempts and last error it had; a skipped one is marked ``skipped``.
- A refund still waiting for the provider gets an outbox row, so the outbox
  carries it out; finished refunds keep their history without one.

The code is frozen here (it must not follow later changes of the app).
"""

import re
from decimal import Decimal, InvalidOperation

from django.db import migrations

STAFF, SYSTEM, CUSTOMER = "staff", "system", "customer"


def _money(value) -> str:
    try:
        return f"{Decimal(str(value)):.2f}"
    except (InvalidOperation, ValueError, TypeError):
        return "0.00"


def _number(text: str):
    match = re.search(r"-?\d+(?:\.\d+)?", text or "")
    return match.group(0) if match else None


# ------------------------------------------------------------------------------
# Old prose lists turned back into data
# ------------------------------------------------------------------------------
PACK_NOT_ON = re.compile(r"^(?P<sku>\S+) is not on this order \(scanned (?P<n>\d+)\)")
PACK_SHORT = re.compile(r"^(?P<sku>\S+): (?P<got>\d+) of (?P<need>\d+) scanned")
PACK_OVER = re.compile(r"^(?P<sku>\S+): (?P<got>\d+) scanned, the order needs (?P<need>\d+)")


def _pack_problems(problems) -> list[dict]:
    out = []
    for text in problems or []:
        if m := PACK_NOT_ON.match(text):
            out.append({"sku": m["sku"], "scanned": int(m["n"]), "expected": 0})
        elif m := PACK_SHORT.match(text) or PACK_OVER.match(text):
            out.append(
                {"sku": m["sku"], "scanned": int(m["got"]), "expected": int(m["need"])}
            )
    return out


CORR_QTY = re.compile(r"^(?P<sku>\S+) (?P<old>\d+) → (?P<new>\d+)$")
CORR_REMOVED = re.compile(r"^removed (?P<sku>\S+)$")
CORR_ADDED = re.compile(r"^added (?P<qty>\d+) × (?P<sku>\S+)$")
CORR_COUNTRY = re.compile(r"^country (?P<c>[A-Z]{2})$")


def _correction(data) -> dict:
    quantities, added, removed = [], [], []
    address_changed, country = False, None
    for text in data.get("changes") or []:
        if m := CORR_QTY.match(text):
            quantities.append(
                {"line_id": None, "sku": m["sku"], "old": int(m["old"]), "new": int(m["new"])}
            )
        elif m := CORR_REMOVED.match(text):
            removed.append({"line_id": None, "sku": m["sku"], "quantity": None})
        elif m := CORR_ADDED.match(text):
            added.append({"line_id": None, "sku": m["sku"], "quantity": int(m["qty"])})
        elif m := CORR_COUNTRY.match(text):
            country = ["", m["c"]]
        elif text == "shipping address":
            address_changed = True
    return {
        "reason": data.get("reason", ""),
        "quantities": quantities,
        "added": added,
        "removed": removed,
        "address_changed": address_changed,
        "country": country,
        "check_reset": bool(data.get("check_reset")),
    }


PRICE_WARNING = re.compile(r"The pricing rules say (?P<rules>[\d.]+); this line has (?P<price>[\d.]+)")


def _price_differences(warnings) -> list[dict]:
    out = []
    for text in warnings or []:
        if m := PRICE_WARNING.search(text):
            out.append(
                {
                    "line_id": None,
                    "sku": "",
                    "price": m["price"],
                    "rules_price": m["rules"],
                    "source": "",
                }
            )
    return out


# ------------------------------------------------------------------------------
# One old row → the new type and data
# ------------------------------------------------------------------------------
class Converter:
    def __init__(self, apps, order):
        self.apps, self.order = apps, order
        self.stash = {}

    def model(self, name):
        return self.apps.get_model("orders", name)

    def allocations(self, data) -> list[dict]:
        StockItem = self.apps.get_model("inventory", "StockItem")
        rows = data.get("allocations") or []
        items = {
            i.pk: i
            for i in StockItem.objects.filter(
                pk__in=[a.get("stock_item_id") for a in rows]
            ).select_related("product", "warehouse")
        }
        out = []
        for a in rows:
            item = items.get(a.get("stock_item_id"))
            out.append(
                {
                    "line_id": a.get("line_id"),
                    "sku": item.product.sku if item else "",
                    "stock_item_id": a.get("stock_item_id"),
                    "warehouse": item.warehouse.code if item else "",
                    "quantity": a.get("quantity"),
                }
            )
        return out

    def status_changed(self, event) -> tuple[str, dict]:
        d, to, frm = event.data or {}, event.to_status, event.from_status
        message = event.message or ""
        if to == "cancelled":
            return "cancelled", {
                "reason": d.get("reason") or message.removeprefix("Order cancelled: "),
                "released": self.stash.pop("released", []),
            }
        if to == "on_hold":
            return "held", {"reason": d.get("reason") or message.removeprefix("Put on hold: ")}
        if frm == "on_hold":
            return "hold_released", {}
        if to == "placed":
            Finding = self.model("VerificationIssue")
            finding = (
                Finding.objects.filter(order_id=event.order_id, reason=d.get("reason"))
                .order_by("created_at")
                .first()
            )
            return "sent_back", {
                "finding_id": finding.pk if finding else None,
                "reason": d.get("reason", "other"),
                "first_checker_id": finding.first_checker_id if finding else None,
            }
        if to == "verified":
            return "verified", {
                "second_check_waived": bool(d.get("second_check_waived")),
                "first_checker_id": self.order.first_checked_by_id,
            }
        if to == "allocated":
            return "allocated", {"allocations": self.stash.pop("allocations", [])}
        if to == "backordered":
            return "backordered", {"missing": self.stash.pop("missing", [])}
        if to == "paid":
            return "paid", {"total": _money(self.order.total)}
        if to == "picking":
            return "picking_started", {}
        if to == "packed":
            return "packed", {"scanned": d.get("scanned") or {}}
        if to == "shipped":
            return "shipped", {"shipment_id": d.get("shipment_id")}
        if to == "delivered":
            return "delivered", {}
        if m := re.search(r"confirmed receipt \((\d)/5\)", message):
            self.actor_kind = CUSTOMER
            return "completed", {"how": "customer", "rating": int(m[1]), "after_days": None}
        if m := re.search(r"automatically (\d+) days", message):
            return "completed", {"how": "auto", "rating": None, "after_days": int(m[1])}
        return "completed", {"how": "staff", "rating": None, "after_days": None}

    def payment(self, event) -> tuple[str, dict]:
        d, message = event.data or {}, event.message or ""
        if "balance_requested" in d:
            return "balance_requested", {
                "amount": _money(d["balance_requested"]),
                "currency": self.order.currency,
            }
        base = {
            "payment_id": d.get("payment_id"),
            "method": d.get("method", ""),
            "provider": d.get("provider", ""),
            "amount": _money(d.get("amount")),
        }
        status = d.get("status")
        if status == "pending":
            return "payment_started", base
        if status == "authorized":
            return "payment_authorized", {**base, "card_last4": ""}
        if status == "failed":
            code = "unavailable" if "Nothing was taken" in message else "declined"
            return "payment_failed", {**base, "code": code}
        if status == "voided":
            return "payment_voided", base
        return "payment_captured", {**base, "captured": _money(d.get("captured"))}

    def refund(self, event) -> tuple[str, dict]:
        d = event.data or {}
        base = {
            "refund_id": d.get("refund_id"),
            "payment_id": d.get("payment_id"),
            "amount": _money(d.get("amount")),
            "outcome": d.get("outcome", ""),
        }
        status = d.get("status")
        if status == "succeeded":
            return "refunded", base
        if status == "failed":
            return "refund_failed", base
        if (event.message or "").startswith("Refund retried"):
            return "refund_retried", base
        return "refund_requested", base

    def discount(self, event) -> tuple[str, dict]:
        d = event.data or {}
        OrderDiscount = self.model("OrderDiscount")
        if "removed" in d:
            DiscountCode = self.model("DiscountCode")
            is_code = DiscountCode.objects.filter(code=d["removed"]).exists()
            return "discount_removed", {
                "discount_id": None,
                "code": d["removed"] if is_code else "",
                "kind": "",
                "value": "",
            }
        if "code" in d:
            found = OrderDiscount.objects.filter(
                order_id=event.order_id, code__code=d["code"]
            ).first()
            return "discount_code_applied", {
                "discount_id": found.pk if found else None,
                "code": d["code"],
                "amount": _money(d.get("amount")),
            }
        found = OrderDiscount.objects.filter(
            order_id=event.order_id, code__isnull=True, kind=d.get("kind")
        ).first()
        return "discount_granted", {
            "discount_id": found.pk if found else None,
            "kind": d.get("kind", ""),
            "value": _money(d.get("value")),
            "amount": _money(d.get("amount")),
        }

    def document(self, event) -> tuple[str, dict]:
        d = event.data or {}
        Invoice = self.model("Invoice")
        doc = Invoice.objects.filter(pk=d.get("invoice_id")).first()
        kind = "credit_note_issued" if d.get("kind") == "credit_note" else "invoice_issued"
        return kind, {
            "invoice_id": d.get("invoice_id"),
            "number": d.get("number", ""),
            "total": _money(doc.total if doc else _number(event.message)),
            "currency": doc.currency if doc else self.order.currency,
            "refund_id": doc.refund_id if doc else None,
        }

    def convert(self, event) -> tuple[str, dict] | None:
        """The new (type, data) of an old row; None when it merges into the next one."""
        t, d = event.type, event.data or {}
        self.actor_kind = STAFF if event.actor_id else SYSTEM
        if t == "placed":
            return "placed", {
                "channel": d.get("channel", self.order.channel),
                "total": _money(d.get("total", self.order.total)),
                "currency": d.get("currency", self.order.currency),
            }
        if t == "checked":
            return "first_check_recorded", {
                "items": len(d.get("checked") or []),
                "price_differences": _price_differences(d.get("price_warnings")),
            }
        if t == "stock_allocated":
            self.stash["allocations"] = self.allocations(d)
            return None
        if t == "stock_released":
            self.stash["released"] = self.allocations(d)
            return None
        if t == "backordered":
            self.stash["missing"] = d.get("missing") or []
            return None
        if t == "status_changed":
            return self.status_changed(event)
        if t == "payment":
            return self.payment(event)
        if t == "refund":
            return self.refund(event)
        if t == "discount":
            return self.discount(event)
        if t == "invoice":
            return self.document(event)
        if t == "shipment_created":
            shipped = self.model("OrderEvent").objects.filter(
                order_id=event.order_id,
                type="status_changed",
                to_status="shipped",
                data__shipment_id=d.get("shipment_id"),
            )
            return "parcel_shipped", {
                "shipment_id": d.get("shipment_id"),
                "carrier": d.get("carrier", ""),
                "tracking_number": d.get("tracking_number", ""),
                "contents": [
                    {"line_id": None, "sku": c.get("sku"), "quantity": c.get("quantity")}
                    for c in d.get("contents") or []
                ],
                "complete": shipped.exists(),
            }
        if t == "split":
            Order = self.model("Order")
            if "child" in d:
                child = Order.objects.filter(number=d["child"]).first()
                return "split_off", {
                    "child_id": child.pk if child else None,
                    "child": d["child"],
                    "moved": d.get("moved") or [],
                }
            parent = Order.objects.filter(number=d.get("parent")).first()
            return "split_from", {
                "parent_id": parent.pk if parent else None,
                "parent": d.get("parent", ""),
            }
        if t == "note_added":
            return "note_added", {"note_id": d.get("note_id")}
        if t == "notification_queued":
            return "email_queued", {
                "notification_id": d.get("notification_id"),
                "kind": d.get("kind", ""),
                "skipped": "opted out" in (event.message or ""),
            }
        if t == "customer_issue":
            self.actor_kind = CUSTOMER
            return "problem_reported", {
                "issue_id": d.get("issue_id"),
                "reason": d.get("reason", "other"),
            }
        if t == "read_back":
            self.actor_kind = CUSTOMER
            if d.get("read_back") == "correct":
                return "read_back_confirmed", {}
            message = (
                self.model("CustomerMessage")
                .objects.filter(order_id=event.order_id, body__startswith="Read-back:")
                .order_by("created_at")
                .first()
            )
            return "read_back_disputed", {"message_id": message.pk if message else None}
        if t == "pack_check":
            return "pack_check_failed", {
                "scanned": d.get("scanned") or {},
                "problems": _pack_problems(d.get("problems")),
            }
        if t == "corrected":
            return "corrected", _correction(d)
        return None


# What the customer sees, frozen as of this migration (the timeline's customer wording).
CUSTOMER_VISIBLE = {
    "placed", "cancelled", "verified", "allocated", "backordered", "split_off",
    "split_from", "balance_requested", "paid", "invoice_issued", "credit_note_issued",
    "refund_requested", "refunded", "picking_started", "packed", "parcel_shipped",
    "shipped", "delivered", "completed", "read_back_sent", "read_back_confirmed",
    "read_back_disputed", "problem_reported", "problem_resolved",
    "email_preferences_changed",
}  # fmt: skip


def convert_events(apps, schema_editor):
    Order = apps.get_model("orders", "Order")
    OrderEvent = apps.get_model("orders", "OrderEvent")
    Notification = apps.get_model("orders", "Notification")
    CustomerMessage = apps.get_model("orders", "CustomerMessage")
    order_ids = OrderEvent.objects.values_list("order_id", flat=True).distinct()
    for order in Order.objects.filter(pk__in=order_ids).iterator(chunk_size=500):
        converter = Converter(apps, order)
        for event in OrderEvent.objects.filter(order=order).order_by("created_at", "pk"):
            result = converter.convert(event)
            if result is None:
                event.delete()  # merged into the row that follows it
                continue
            new_type, data = result
            OrderEvent.objects.filter(pk=event.pk).update(
                type=new_type,
                data=data,
                actor_kind=converter.actor_kind,
                actor=event.actor_id if converter.actor_kind == STAFF else None,
                customer_visible=new_type in CUSTOMER_VISIBLE,
            )
        # Facts that had no row of their own: read-backs sent, the message thread.
        new = []
        for n in Notification.objects.filter(order=order, kind="order_read_back"):
            new.append(
                OrderEvent(
                    order=order, type="read_back_sent", actor_kind=SYSTEM,
                    data={}, customer_visible=True, created_at=n.created_at,
                )
            )  # fmt: skip
        for m in CustomerMessage.objects.filter(order=order).exclude(
            body__startswith="Read-back:"
        ):
            new.append(
                OrderEvent(
                    order=order,
                    type="customer_message" if m.from_customer else "staff_replied",
                    actor_kind=(
                        CUSTOMER
                        if m.from_customer
                        else STAFF if m.staff_author_id else SYSTEM
                    ),
                    actor_id=None if m.from_customer else m.staff_author_id,
                    data={"message_id": m.pk},
                    customer_visible=False,
                    created_at=m.created_at,
                )
            )
        OrderEvent.objects.bulk_create(new)


def convert_notifications(apps, schema_editor):
    Notification = apps.get_model("orders", "Notification")
    OutboxMessage = apps.get_model("ordersite", "OutboxMessage")
    for n in Notification.objects.order_by("pk").iterator(chunk_size=500):
        if n.status == "skipped":
            Notification.objects.filter(pk=n.pk).update(skipped=True)
            continue
        status = n.status if n.status in ("pending", "sending", "sent", "failed") else "pending"
        delivery = OutboxMessage.objects.create(
            kind="customer_email",
            payload={"notification_id": n.pk},
            status=status,
            attempts=n.attempts,
            next_attempt_at=n.created_at,
            lease_until=n.lease_until,
            last_error=n.last_error,
            created_at=n.created_at,
            sent_at=n.sent_at,
        )
        Notification.objects.filter(pk=n.pk).update(delivery=delivery)


def convert_refunds(apps, schema_editor):
    Refund = apps.get_model("orders", "Refund")
    OutboxMessage = apps.get_model("ordersite", "OutboxMessage")
    for refund in Refund.objects.filter(status__in=["pending", "processing"]):
        delivery = OutboxMessage.objects.create(
            kind="refund",
            payload={"refund_id": refund.pk},
            attempts=refund.attempts,
            last_error=refund.last_error,
            created_at=refund.created_at,
        )
        Refund.objects.filter(pk=refund.pk).update(delivery=delivery)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0014_typed_facts_fields"),
        ("inventory", "0004_stock_item_location"),
    ]

    operations = [
        migrations.RunPython(convert_notifications, migrations.RunPython.noop),
        migrations.RunPython(convert_refunds, migrations.RunPython.noop),
        migrations.RunPython(convert_events, migrations.RunPython.noop),
    ]

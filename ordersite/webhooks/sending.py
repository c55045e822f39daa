"""Publishing an event to the endpoints that want it, and delivering it.

``webhook_publish`` writes one outbox row per subscribed endpoint, in the
transaction of the fact (so a rolled-back change sends nothing). The outbox
delivers after commit, retries with backoff, and fails a message after
``MAX_ATTEMPTS``; every attempt is a ``WebhookAttempt`` row. Delivery is at
least once: a retry carries the same ``webhook-id``, so receivers deduplicate.
Events of one order reach an endpoint in the order they happened: a message
waits while an earlier one for the same order and endpoint is still on its way.
An endpoint whose deliveries are given up ``DISABLE_AFTER`` times in a row is
disabled and its owner told.
"""

import base64
import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
import uuid

from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ordersite import outbox
from ordersite.models import OutboxMessage
from ordersite.webhooks.models import WebhookAttempt, WebhookEndpoint

logger = logging.getLogger(__name__)
KIND = "webhook"
MAX_ATTEMPTS = 10
DISABLE_AFTER = 5
TIMEOUT_SECONDS = 10
_CACHE_KEY = "webhooks:endpoints:v1"


def sign(secret: str, webhook_id: str, timestamp: int, body: str) -> str:
    """The ``webhook-signature`` value: ``v1,`` and base64 HMAC-SHA256 of
    ``id.timestamp.body`` with the secret's bytes (Standard Webhooks)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{webhook_id}.{timestamp}.{body}".encode()
    return (
        "v1,"
        + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    )


def _subscribed() -> list[tuple[int, list[str]]]:
    """Active endpoints and their events, cached until an endpoint changes (read
    from the database when the cache does not answer: never an error for the
    change that published)."""
    try:
        found = cache.get(_CACHE_KEY)
    except Exception:  # noqa: BLE001 - a cache outage degrades to a query
        logger.warning("Webhook endpoint cache unavailable", exc_info=True)
        found, cached = None, False
    else:
        cached = True
    if found is None:
        found = list(
            WebhookEndpoint.objects.filter(active=True).values_list("pk", "events")
        )
        if cached:
            try:
                cache.set(_CACHE_KEY, found, 300)
            except Exception:  # noqa: BLE001
                logger.warning("Webhook endpoint cache unavailable", exc_info=True)
    return found


def endpoints_changed(**_kwargs) -> None:
    try:
        cache.delete(_CACHE_KEY)
    except Exception:  # noqa: BLE001 - the entry expires on its own within 5 minutes
        logger.warning("Could not clear the webhook endpoint cache", exc_info=True)


def webhook_publish(*, event: str, data: dict, ordering_key: str = "") -> int:
    """Queue ``event`` for every active endpoint that wants it; how many."""
    count = 0
    for endpoint_id, events in _subscribed():
        if event in events:
            outbox.enqueue(
                KIND,
                endpoint_id=endpoint_id,
                webhook_id=f"msg_{uuid.uuid4().hex}",
                event=event,
                timestamp=int(time.time()),
                ordering_key=ordering_key,
                data=data,
            )
            count += 1
    return count


def _earlier_waiting(message: OutboxMessage) -> bool:
    p = message.payload
    if not p.get("ordering_key"):
        return False
    return OutboxMessage.objects.filter(
        kind=KIND,
        pk__lt=message.pk,
        status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING],
        payload__endpoint_id=p["endpoint_id"],
        payload__ordering_key=p["ordering_key"],
    ).exists()


def send_webhook(message: OutboxMessage) -> None:
    """Outbox sender: POST the signed event; anything but 2xx is tried again."""
    p = message.payload
    endpoint = WebhookEndpoint.objects.filter(pk=p["endpoint_id"]).first()
    if endpoint is None or not endpoint.active:
        raise outbox.GiveUp("The endpoint is disabled or gone.")
    if _earlier_waiting(message):
        raise outbox.Retry("Waiting for an earlier event of the same order.")
    body = json.dumps(
        {"type": p["event"], "timestamp": p["timestamp"], "data": p["data"]},
        separators=(",", ":"),
        sort_keys=True,
    )
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "ordersite-webhooks/1",
        "webhook-id": p["webhook_id"],
        "webhook-timestamp": str(p["timestamp"]),
        "webhook-signature": sign(
            endpoint.secret, p["webhook_id"], p["timestamp"], body
        ),
    }
    request = urllib.request.Request(
        endpoint.url, data=body.encode(), headers=headers, method="POST"
    )
    started = time.monotonic()
    status, text, error = None, "", ""
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310 - admins register http(s) URLs
            status, text = response.status, response.read(2000).decode(errors="replace")
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read(2000).decode(errors="replace")
    except (urllib.error.URLError, OSError, ValueError) as exc:
        error = str(getattr(exc, "reason", exc))[:255]
    WebhookAttempt.objects.create(
        message=message,
        endpoint=endpoint,
        webhook_id=p["webhook_id"],
        event=p["event"],
        status_code=status,
        response=text,
        error=error,
        milliseconds=int((time.monotonic() - started) * 1000),
    )
    if status is not None and 200 <= status < 300:
        if endpoint.failures_in_a_row:
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failures_in_a_row=0)
        return
    if status == 410:  # the receiver says it is gone for good
        _disable(endpoint, "The receiver answered 410 Gone.")
        raise outbox.GiveUp("410 Gone: endpoint disabled.")
    raise outbox.Retry(error or f"HTTP {status}")


def gave_up(message: OutboxMessage, error: str) -> None:
    """A delivery given up: count it; at the limit, disable the endpoint."""
    endpoint_id = message.payload.get("endpoint_id")
    WebhookEndpoint.objects.filter(pk=endpoint_id).update(
        failures_in_a_row=F("failures_in_a_row") + 1
    )
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint and endpoint.active and endpoint.failures_in_a_row >= DISABLE_AFTER:
        _disable(
            endpoint,
            f"{endpoint.failures_in_a_row} deliveries in a row failed; last: {error}",
        )


def _disable(endpoint: WebhookEndpoint, reason: str) -> None:
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=False, disabled_reason=reason[:255]
    )
    endpoints_changed()
    if endpoint.owner_email:
        transaction.on_commit(
            lambda: send_mail(
                f"Webhook endpoint disabled: {endpoint.name}",
                f"Deliveries to {endpoint.url} are stopped: {reason}\n"
                "Fix the receiver, then switch the endpoint on again in the admin "
                "and send the failed deliveries again.",
                None,
                [endpoint.owner_email],
                fail_silently=True,
            ),
            robust=True,
        )


def register_kind() -> None:
    outbox.register(KIND, send=send_webhook, gave_up=gave_up, max_attempts=MAX_ATTEMPTS)


def redeliver(message: OutboxMessage) -> bool:
    """Send a delivered or failed webhook again, with the same id (staff asked)."""
    updated = (
        OutboxMessage.objects.filter(pk=message.pk, kind=KIND)
        .exclude(
            status__in=[OutboxMessage.Status.PENDING, OutboxMessage.Status.SENDING]
        )
        .update(
            status=OutboxMessage.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
        )
    )
    if updated:
        message_id = message.pk
        transaction.on_commit(lambda: outbox.dispatch(message_id), robust=True)
    return bool(updated)

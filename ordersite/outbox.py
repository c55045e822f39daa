"""The one outbox: claim, lease, retry with exponential backoff and jitter, give up, sweep.

Every side effect that leaves the database (a customer email, a staff alert, a
refund or a void at the payment provider, filling backorders after a stock
arrival, and next the webhook deliveries) is an ``OutboxMessage`` of a *kind*,
written by a subscriber in the transaction of the change that causes it.
Each kind registers a sender (``register``); this module does the rest:

- After commit, ``deliver`` runs as a Celery task. It *claims* the row with a
  conditional update (pending and due, or sending with an expired lease) and a
  lease, so two deliveries of one message send it once, and a worker that died
  mid-send leaves a row that becomes claimable again when its lease runs out.
- A temporary failure (the kind's ``transient`` errors, ``Retry``, or anything
  unexpected) puts the row back to pending with the next attempt due after an
  exponential backoff with jitter (capped at ten minutes, far below the
  broker's visibility timeout); after ``max_attempts`` the row is *failed*
  (``GiveUp`` fails it at once) and the kind's ``gave_up`` hook records why.
- ``sweep`` (beat, every two minutes) re-dispatches rows that are due but were
  never picked up (a lost broker message, Redis down at commit time) or whose
  lease ran out (a killed worker).

Queuing the task after commit never raises: if the broker is down the row
waits for the sweeper, and the change the person made stays saved.
"""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from ordersite.models import OutboxMessage

logger = logging.getLogger(__name__)
Status = OutboxMessage.Status


class Retry(Exception):
    """A temporary failure: the message is tried again later."""


class GiveUp(Exception):
    """A permanent failure: the message is failed at once, with this as the reason."""


@dataclass(frozen=True)
class Kind:
    """How one kind of message is delivered."""

    name: str
    send: Callable[[OutboxMessage], None]
    transient: tuple[type[BaseException], ...] = ()
    gave_up: Callable[[OutboxMessage, str], None] | None = None
    max_attempts: int = 7


_kinds: dict[str, Kind] = {}


def register(
    name: str,
    *,
    send: Callable[[OutboxMessage], None],
    transient: tuple[type[BaseException], ...] = (),
    gave_up: Callable[[OutboxMessage, str], None] | None = None,
    max_attempts: int = 7,
) -> Kind:
    """Declare a kind of message and its sender (from an app's ``ready()``)."""
    kind = Kind(name, send, transient, gave_up, max_attempts)
    _kinds[name] = kind
    return kind


def kinds() -> list[str]:
    return sorted(_kinds)


def enqueue(kind: str, **payload) -> OutboxMessage:
    """Write a message of ``kind`` now; it is delivered once the transaction commits."""
    if kind not in _kinds:
        raise LookupError(f"No outbox kind {kind!r} is registered.")
    message = OutboxMessage.objects.create(kind=kind, payload=payload)
    message_id = message.pk
    # robust: a broker that is down must not turn the committed change into an
    # error for the person who made it; the sweeper sends the row later.
    transaction.on_commit(lambda: dispatch(message_id), robust=True)
    return message


# After the broker failed, this process stops trying for a while: the pages
# staff and customers wait for answer at once, and the sweeper sends what
# waited once the broker is back.
BROKER_PAUSE_SECONDS = 30.0
_broker_down_until = 0.0


def dispatch(message_id: int, *, countdown: float = 0) -> None:
    """Queue the delivery task; a failure to queue is logged and left to the sweeper."""
    global _broker_down_until
    if time.monotonic() < _broker_down_until:
        return  # the broker was down a moment ago; the sweeper will send it
    try:
        # No retries against a broker that is down: the person waiting for the
        # page gets it at once, and the sweeper sends the message later.
        deliver_task.apply_async(
            kwargs={"message_id": message_id}, countdown=countdown or None, retry=False
        )
    except Exception:
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "Could not queue outbox message %s; the sweeper will send it.",
            message_id,
            exc_info=True,
        )


def message_id(kind: str, key) -> str:
    """A stable ``Message-ID`` for an email sent through the outbox.

    Delivery is at least once: a worker that dies after the mail server took a
    message and before it was marked sent sends it again when its lease runs
    out. The same id on both copies lets mail clients and servers see they are
    one message.
    """
    domain = urlsplit(settings.SITE_URL).hostname or "ordersite.local"
    return f"<{kind}-{key}@{domain}>"


def backoff_seconds(attempts: int) -> float:
    """Exponential backoff with jitter after ``attempts`` tries: base × 2^n, at most ten minutes."""
    base = settings.OUTBOX_RETRY_BACKOFF_SECONDS
    return min(600.0, base * 2**attempts) + random.uniform(0, base)


def deliver(
    message_id: int, *, backoff: bool = True
) -> tuple[OutboxMessage, float | None]:
    """Try to deliver one message; returns it and, when it is to be tried again, in how long.

    ``backoff=False`` (tasks run eagerly, without a broker) makes a retry due at once.
    """
    now = timezone.now()
    claimed = OutboxMessage.objects.filter(
        Q(status=Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Status.SENDING, lease_until__lt=now),
        pk=message_id,
    ).update(
        status=Status.SENDING,
        lease_until=now + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
        attempts=F("attempts") + 1,
    )
    message = OutboxMessage.objects.get(pk=message_id)
    if not claimed:
        return message, None  # sent already, not due yet, or in someone else's hands
    kind = _kinds.get(message.kind)
    if kind is None:
        return _give_up(message, f"No sender for kind {message.kind!r}."), None
    try:
        kind.send(message)
    except GiveUp as exc:
        return _give_up(message, str(exc) or "refused"), None
    except Exception as exc:  # noqa: BLE001 - every other failure is retried, then failed
        expected = isinstance(exc, (Retry, *kind.transient))
        error = (str(exc) if expected else f"{type(exc).__name__}: {exc}")[:255]
        if not expected:
            logger.exception("Outbox message %s (%s) failed", message.pk, message.kind)
        if message.attempts >= kind.max_attempts:
            return _give_up(message, error), None
        delay = backoff_seconds(message.attempts) if backoff else 0.0
        OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
            status=Status.PENDING,
            next_attempt_at=timezone.now() + timedelta(seconds=delay),
            lease_until=None,
            last_error=error,
        )
        message.refresh_from_db()
        return message, delay
    OutboxMessage.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=Status.SENT, sent_at=timezone.now(), lease_until=None, last_error=""
    )
    message.refresh_from_db()
    return message, None


def _give_up(message: OutboxMessage, error: str) -> OutboxMessage:
    """Fail the message for good and let its kind record why."""
    kind = _kinds.get(message.kind)
    with transaction.atomic():
        failed = (
            OutboxMessage.objects.filter(pk=message.pk)
            .exclude(status=Status.SENT)
            .update(status=Status.FAILED, lease_until=None, last_error=error[:255])
        )
        message.refresh_from_db()
        if failed and kind is not None and kind.gave_up is not None:
            kind.gave_up(message, error)
    return message


def send_again(message: OutboxMessage) -> bool:
    """Staff: try a failed message again from scratch; False if it was not failed."""
    with transaction.atomic():
        updated = OutboxMessage.objects.filter(
            pk=message.pk, status=Status.FAILED
        ).update(status=Status.PENDING, attempts=0, next_attempt_at=timezone.now())
        if updated:
            message_id = message.pk
            transaction.on_commit(lambda: dispatch(message_id), robust=True)
    message.refresh_from_db()
    return bool(updated)


def sweep(*, limit: int = 500) -> int:
    """Re-dispatch messages that are due but were never picked up, or whose lease ran out.

    A freshly written message is dispatched on commit, so only one that has
    waited past the grace period counts as lost. Returns how many were queued.
    """
    global _broker_down_until
    _broker_down_until = 0.0  # the sweep is the moment to try the broker again
    now = timezone.now()
    grace = timedelta(seconds=settings.OUTBOX_SWEEP_GRACE_SECONDS)
    lost = OutboxMessage.objects.filter(
        status=Status.PENDING, next_attempt_at__lte=now - grace
    ).order_by("next_attempt_at")
    abandoned = OutboxMessage.objects.filter(
        status=Status.SENDING, lease_until__lt=now
    ).order_by("lease_until")
    ids = list(lost.values_list("pk", flat=True)[:limit])
    ids += list(abandoned.values_list("pk", flat=True)[: max(0, limit - len(ids))])
    for message_id in ids:
        dispatch(message_id)
    return len(ids)


@shared_task(name="outbox.deliver", bind=True, acks_late=True)
def deliver_task(self, *, message_id: int) -> str:
    """Deliver one outbox message; a temporary failure is queued again after its backoff."""
    eager = self.request.is_eager
    while True:
        message, retry_in = deliver(message_id, backoff=not eager)
        if retry_in is None:
            return message.status
        if not eager:
            dispatch(message_id, countdown=retry_in)
            return message.status
        # Without a broker the retries happen at once, in-process.


@shared_task(name="outbox.sweep")
def sweep_task() -> int:
    """Periodic: re-dispatch outbox messages a lost broker message or a dead worker left behind."""
    return sweep()

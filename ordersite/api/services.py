"""API keys: created (shown once), revoked; requests made idempotently."""

import hashlib
import json
import secrets
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ordersite.api.models import ApiKey, IdempotentRequest, Scope, key_hash

KEY_START = "osk_"


class KeyNotCreated(ValueError):
    """The key cannot be created as asked (``str()`` says why)."""


def api_key_create(
    *,
    name: str,
    scopes: list[str],
    actor=None,
    rate_per_minute: int = 120,
    raw: str = "",
) -> tuple[ApiKey, str]:
    """A new key for integration ``name``: the row and the key itself, which is not
    stored and cannot be shown again. ``raw`` installs a given key instead of a
    random one (the demo's, which ``seed_demo`` prints; never in production)."""
    name = " ".join((name or "").split())
    if not name or len(name) > 100:
        raise KeyNotCreated(_("Name the integration (at most 100 characters)."))
    unknown = set(scopes) - set(Scope.values)
    if unknown or not scopes:
        raise KeyNotCreated(
            _("Choose at least one of the scopes: %s.") % ", ".join(Scope.values)
        )
    if raw:
        prefix = _prefix(raw)
    else:
        prefix = KEY_START + secrets.token_hex(4)
        raw = f"{prefix}_{secrets.token_urlsafe(24)}"
    key = ApiKey.objects.create(
        name=name,
        prefix=prefix,
        hashed=key_hash(raw),
        scopes=sorted(set(scopes)),
        rate_per_minute=rate_per_minute,
        created_by=actor,
    )
    return key, raw


api_key_create.alters_data = True


def api_key_revoke(*, key: ApiKey, actor) -> ApiKey:
    """Stop the key working at once (a revoked key is never active again)."""
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_by=actor
    )
    key.refresh_from_db()
    return key


api_key_revoke.alters_data = True


def api_key_find(raw: str) -> ApiKey | None:
    """The active key ``raw`` is, or None (unknown, malformed or revoked)."""
    if not raw.startswith(KEY_START) or len(raw) > 100:
        return None
    key = ApiKey.objects.filter(prefix=_prefix(raw), revoked_at__isnull=True).first()
    if key is None or not secrets.compare_digest(key.hashed, key_hash(raw)):
        return None
    return key


def _prefix(raw: str) -> str:
    """The part of a key kept in clear to find its row: ``osk_<8 characters>``."""
    return "_".join(raw.split("_", 2)[:2])[:16]


def api_key_used(key: ApiKey) -> None:
    """Note when the key was last used (at most once a minute per key)."""
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)


def body_hash(data) -> str:
    """A stable digest of a parsed request body (key order does not matter)."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


class KeyReused(ValueError):
    """The idempotency key was used before with a different body."""


def idempotent(
    *, api_key: ApiKey, key: str, digest: str, make: Callable[[], str], find
):
    """Run ``make`` once per ``(api_key, key)``: it creates something and returns
    its reference, recorded with the body's digest in the same transaction.

    Returns ``(reference, replayed)``. The same key again with the same body
    returns the first reference (``find`` turns it into the object); with
    another body raises ``KeyReused``. Two requests with one key at the same
    moment: the unique constraint makes the second wait for the first and then
    roll back everything it made, answering with the first one's result.
    """

    def earlier():
        row = IdempotentRequest.objects.filter(api_key=api_key, key=key).first()
        if row is None:
            return None
        if row.body_hash != digest:
            raise KeyReused(key)
        return find(row.result), True

    if found := earlier():
        return found
    try:
        with transaction.atomic():
            reference = make()
            IdempotentRequest.objects.create(
                api_key=api_key, key=key, body_hash=digest, result=reference
            )
    except IntegrityError:
        if found := earlier():
            return found
        raise
    return find(reference), False

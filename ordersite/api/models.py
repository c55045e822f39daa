"""API keys and the requests they made idempotently."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What a key may do; an endpoint names the scope it needs."""

    ORDERS_WRITE = "orders:write", _("Create and cancel orders")
    ORDERS_READ = "orders:read", _("Read orders")
    INVENTORY_READ = "inventory:read", _("Read stock availability")
    RETURNS_WRITE = "returns:write", _("Create return requests")


def key_hash(raw: str) -> str:
    """The stored form of a key: SHA-256 of the whole key. Keys are 190 random
    bits, so a fast hash is enough (no salt or stretching, as for passwords)."""
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiKey(models.Model):
    """A key one integration (an online store, an ERP…) calls the API with.

    Only its hash is stored; the key itself is shown once, when it is created.
    Every change made with it is recorded with the integration as the actor.
    """

    name = models.CharField(
        _("integration"),
        max_length=100,
        unique=True,
        help_text=_("Recorded as the actor of every change made with this key."),
    )
    # The start of the key, shown in lists and used to find the row; the rest
    # is compared through its hash.
    prefix = models.CharField(_("key starts with"), max_length=16, unique=True)
    hashed = models.CharField(max_length=64, editable=False)
    scopes = models.JSONField(_("scopes"), default=list)
    rate_per_minute = models.PositiveIntegerField(
        _("requests per minute"),
        default=120,
        help_text=_("Further requests in the same minute are answered 429."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: str) -> bool:
        return self.active and scope in self.scopes


class IdempotentRequest(models.Model):
    """A create request made with an ``Idempotency-Key``: the same key again returns
    what the first request made; with a different body it is refused."""

    api_key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    body_hash = models.CharField(max_length=64)
    # What the request made, as "<kind>:<id>" (e.g. "order:ORD-000123").
    result = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["api_key", "key"], name="idempotent_request_once"
            )
        ]
        verbose_name = _("idempotent request")
        verbose_name_plural = _("idempotent requests")

    def __str__(self) -> str:
        return f"{self.key} → {self.result}"

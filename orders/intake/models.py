"""Online stores that send their orders in by webhook, and every delivery received."""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order


class Store(models.Model):
    """A Shopify or WooCommerce store whose order webhooks arrive at
    ``/hooks/stores/<slug>/``, signed with its own secret."""

    class Platform(models.TextChoices):
        SHOPIFY = "shopify", "Shopify"
        WOOCOMMERCE = "woocommerce", "WooCommerce"

    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(
        _("address name"),
        max_length=50,
        unique=True,
        help_text=_("The webhook address is /hooks/stores/<this>/."),
    )
    platform = models.CharField(_("platform"), max_length=20, choices=Platform.choices)
    secret = models.CharField(
        _("signing secret"),
        max_length=200,
        help_text=_(
            "Shopify: the app's client secret (or the key the store's webhook page "
            "shows). WooCommerce: the webhook's secret."
        ),
    )
    active = models.BooleanField(_("active"), default=True)
    accept_test_orders = models.BooleanField(
        _("accept test orders"),
        default=False,
        help_text=_(
            "Shopify marks test orders; they are logged and ignored unless this is on."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("online store")
        verbose_name_plural = _("online stores")

    def __str__(self) -> str:
        return f"{self.name} ({self.get_platform_display()})"

    @property
    def source(self) -> str:
        """How orders from this store are marked (with the store's order id)."""
        return f"{self.platform}:{self.slug}"


# A delivery is handled in the request that received it; one still "received"
# after this long was interrupted (a crash while writing its outcome).
STUCK_AFTER = timedelta(minutes=5)


class Delivery(models.Model):
    """One webhook delivery, kept as received (its signature checked) with what
    became of it; one that could not be handled waits here to be processed again."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        PLACED = "placed", _("Order placed")
        HELD = "held", _("Order placed on hold")
        DUPLICATE = "duplicate", _("Already received")
        UPDATED = "updated", _("Order updated")
        CANCELLED = "cancelled", _("Order cancelled")
        IGNORED = "ignored", _("Ignored")
        ATTENTION = "attention", _("Needs staff")
        FAILED = "failed", _("Could not be handled")

    store = models.ForeignKey(
        Store, on_delete=models.PROTECT, related_name="deliveries"
    )
    topic = models.CharField(_("topic"), max_length=60)
    delivery_id = models.CharField(_("delivery id"), max_length=100, blank=True)
    external_id = models.CharField(_("store's order id"), max_length=100, blank=True)
    body = models.TextField(_("body as received"))
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED
    )
    problem = models.TextField(_("problem"), blank=True)
    order = models.ForeignKey(
        Order,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="store_deliveries",
    )
    attempts = models.PositiveIntegerField(_("times processed"), default=0)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    handled_at = models.DateTimeField(_("last processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("store delivery")
        verbose_name_plural = _("store deliveries")
        indexes = [
            models.Index(fields=["status", "received_at"], name="delivery_status"),
            models.Index(fields=["store", "external_id"], name="delivery_order"),
        ]

    def __str__(self) -> str:
        return f"{self.store.name} {self.topic} {self.external_id}"

    @property
    def open(self) -> bool:
        """Waiting for staff: failed, needing attention, or left "received" by a
        crash while it was handled (older than ``STUCK_AFTER``)."""
        from django.utils import timezone

        if self.status == self.Status.RECEIVED:
            return self.received_at < timezone.now() - STUCK_AFTER
        return self.status in (self.Status.FAILED, self.Status.ATTENTION)


class ImportJob(models.Model):
    """A CSV of orders uploaded by staff: checked row by row first, then imported
    in batches by the outbox's worker, with its progress counted here."""

    class Status(models.TextChoices):
        CHECKED = "checked", _("Checked, waiting to start")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Done")

    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    filename = models.CharField(_("file"), max_length=255)
    content = models.TextField()
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.CHECKED
    )
    # [{"row": 3, "column": "quantity", "message": "…"}], from the check
    errors = models.JSONField(default=list, blank=True)
    total = models.PositiveIntegerField(_("valid orders"), default=0)
    done = models.PositiveIntegerField(_("orders handled"), default=0)
    created = models.PositiveIntegerField(_("orders created"), default=0)
    skipped = models.PositiveIntegerField(_("already imported"), default=0)
    failed = models.PositiveIntegerField(_("orders refused"), default=0)
    failures = models.JSONField(
        default=list, blank=True
    )  # [{"reference": …, "message": …}]
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("order import")
        verbose_name_plural = _("order imports")

    def __str__(self) -> str:
        return self.filename

    @property
    def percent(self) -> int:
        return 100 if not self.total else min(100, self.done * 100 // self.total)

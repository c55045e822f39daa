"""Customers, and what they tell us from their status page: confirmations, problems, messages."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Replace, Upper
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order

PHONE_SEPARATORS = " +-()/."


def phone_without_separators(field: str):
    """A database expression: the phone with every usual separator taken out
    (nested REPLACE, which SQLite and PostgreSQL both have)."""
    expression = models.F(field)
    for separator in PHONE_SEPARATORS:
        expression = Replace(expression, models.Value(separator), models.Value(""))
    return expression


class CustomerGroup(models.Model):
    """Customers who share agreed prices (wholesale, cafés, staff…)."""

    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer group")
        verbose_name_plural = _("customer groups")

    def __str__(self) -> str:
        return self.name


def valid_time_zone(value: str) -> None:
    """An IANA time zone name (``Europe/Berlin``)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from django.core.exceptions import ValidationError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            _("Not a time zone name (e.g. Europe/Berlin)."), code="time_zone"
        ) from exc


class Customer(models.Model):
    """A person or business that orders from us."""

    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), db_index=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # The phone without its separators ("+49 (30) 123-45" → "493012345"), kept by
    # the database, so the order-entry picker finds "030 12345" read out by a
    # caller however the number was written down.
    phone_digits = models.GeneratedField(
        expression=phone_without_separators("phone"),
        output_field=models.CharField(max_length=40),
        db_persist=True,
    )
    group = models.ForeignKey(
        CustomerGroup,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customers",
        verbose_name=_("customer group"),
    )
    shipping_address = models.TextField(_("shipping address"))
    shipping_country = models.CharField(
        _("shipping country"), max_length=2, default="DE"
    )
    billing_address = models.TextField(
        _("billing address"),
        blank=True,
        help_text=_("Empty when it is the shipping address."),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[valid_time_zone],
        help_text=_(
            "Where the customer lives, e.g. Europe/Vienna: deadlines they are given "
            "(the last day to return) end at their midnight. Empty: the shop's."
        ),
    )
    notifications_opt_out = models.BooleanField(
        _("no optional emails"),
        default=False,
        help_text=_("Only transactional order emails are sent."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        # Emails are matched case-insensitively (UPPER(email) = UPPER(%s)).
        indexes = [models.Index(Upper("email"), name="customer_email_upper")]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class OrderFeedback(models.Model):
    """The customer's confirmation that everything arrived, with a rating."""

    order = models.OneToOneField(
        Order, on_delete=models.CASCADE, related_name="feedback"
    )
    rating = models.PositiveSmallIntegerField(_("rating"))
    comment = models.TextField(_("comment"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("customer feedback")
        verbose_name_plural = _("customer feedback")
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5),
                name="orderfeedback_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.rating}/5"


class OrderIssue(models.Model):
    """A problem the customer reported after delivery; the order waits at delivered."""

    class Reason(models.TextChoices):
        MISSING_ITEM = "missing_item", _("Something is missing")
        DAMAGED = "damaged", _("Something arrived damaged")
        WRONG_ITEM = "wrong_item", _("I received the wrong item")
        OTHER = "other", _("Something else")

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="issues")
    reason = models.CharField(_("what happened"), max_length=20, choices=Reason.choices)
    details = models.TextField(_("details"), blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("customer-reported problem")
        verbose_name_plural = _("customer-reported problems")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(resolved_at__isnull=True),
                name="issue_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order}: {self.get_reason_display()}"


class CustomerMessage(models.Model):
    """One message in the thread between the customer and staff about an order."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="messages")
    from_customer = models.BooleanField(default=True)
    staff_author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    body = models.TextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)
    # For a customer's message: when staff answered it (a reply, or a resolved
    # problem); empty while it waits. Kept so the queue of messages to answer
    # reads only the waiting ones, however long the history.
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)

    class Meta:
        ordering = ["order", "created_at", "pk"]
        verbose_name = _("customer message")
        verbose_name_plural = _("customer messages")
        indexes = [
            models.Index(
                fields=["created_at"],
                condition=Q(from_customer=True, answered_at__isnull=True),
                name="message_waiting_for_answer",
            ),
        ]

    def __str__(self) -> str:
        return self.body[:60]

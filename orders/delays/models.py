"""Promises and delays: the calendar and lead times promises are made from, the
target time of each step, and the delay case a late order opens.

An order is promised a ship-by date and an estimated delivery date when it is
placed (``orders.delays.promise``); the scan (``orders.delays.services.delays_scan``)
finds orders past a promise or past a step's target and opens one ``Delay`` case
per order, adding a ``DelaySlip`` row for each deadline that slipped (unique, so
repeated or concurrent scans record a slip once).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from orders.core.models import Order, OrderStatus

# The outbox kind of the team's digest of new delay cases.
DELAY_DIGEST = "delay_digest"
# ... and of the reminder to an owner of a corrective action that is due.
ACTION_REMINDER = "corrective_action_reminder"
# Lead times and targets are days or hours; a year is the most anyone means.
MAX_LEAD_DAYS = 365
MAX_TARGET_HOURS = 24 * 365


class Holiday(models.Model):
    """A day the shop does not work: no shipping, no counting towards a promise."""

    day = models.DateField(_("day"), unique=True)
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["day"]
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")

    def __str__(self) -> str:
        return f"{self.day:%Y-%m-%d} {self.name}"


class LeadTime(models.Model):
    """How many business days an order takes to leave a warehouse and to arrive.

    The most specific row wins: the warehouse and carrier service, then the
    warehouse, then the carrier service, then the row with neither (the shop's
    default).
    """

    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("warehouse"),
        help_text=_("Empty: every warehouse without a row of its own."),
    )
    carrier = models.CharField(
        _("carrier service"),
        max_length=40,
        blank=True,
        help_text=_("Empty: the standard service."),
    )
    ship_days = models.PositiveSmallIntegerField(
        _("business days to ship"),
        help_text=_("0: ships the day it is placed (if that is a business day)."),
    )
    transit_days = models.PositiveSmallIntegerField(_("business days in transit"))

    class Meta:
        ordering = ["warehouse", "carrier"]
        verbose_name = _("lead time")
        verbose_name_plural = _("lead times")
        constraints = [
            models.UniqueConstraint(
                fields=["warehouse", "carrier"],
                condition=Q(warehouse__isnull=False),
                name="leadtime_one_per_warehouse_service",
            ),
            models.UniqueConstraint(
                fields=["carrier"],
                condition=Q(warehouse__isnull=True),
                name="leadtime_one_per_service",
            ),
            models.CheckConstraint(
                condition=Q(ship_days__lte=MAX_LEAD_DAYS)
                & Q(transit_days__lte=MAX_LEAD_DAYS),
                name="leadtime_days_bounded",
            ),
        ]

    def __str__(self) -> str:
        where = self.warehouse.name if self.warehouse_id else _("any warehouse")
        return f"{where} · {self.carrier or _('standard')}: {self.ship_days}+{self.transit_days}"


# The steps a target can be set for: states an order waits in for someone here.
TARGETED = (
    OrderStatus.PLACED,
    OrderStatus.VERIFIED,
    OrderStatus.ALLOCATED,
    OrderStatus.PAID,
    OrderStatus.PICKING,
    OrderStatus.PACKED,
)


class StepTarget(models.Model):
    """How long an order may stay in one state, in business hours."""

    status = models.CharField(
        _("state"),
        max_length=20,
        unique=True,
        choices=[(s.value, s.label) for s in TARGETED],
    )
    hours = models.PositiveIntegerField(
        _("target (business hours)"),
        help_text=_("An order in this state longer than this is late."),
    )
    warn_hours = models.PositiveIntegerField(
        _("at risk after (business hours)"),
        help_text=_("Shown as at risk from then on; 0: not shown."),
        default=0,
    )

    class Meta:
        ordering = ["status"]
        verbose_name = _("step target")
        verbose_name_plural = _("step targets")
        constraints = [
            models.CheckConstraint(
                condition=Q(hours__gte=1) & Q(hours__lte=MAX_TARGET_HOURS),
                name="steptarget_hours_bounded",
            ),
            models.CheckConstraint(
                condition=Q(warn_hours__lt=models.F("hours")),
                name="steptarget_warns_before_late",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.hours} h"


class DelayCause(models.Model):
    """A reason an order is late, with the words the customer reads."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name (staff)"), max_length=100)
    customer_text = models.CharField(
        _("what the customer reads"),
        max_length=300,
        help_text=_(
            "Plain words for the notice and the status page, e.g. "
            "“an item is out of stock and we are waiting for our supplier”."
        ),
    )
    needs_details = models.BooleanField(
        _("staff must describe it"),
        default=False,
        help_text=_("“Other”: the staff member writes what happened."),
    )
    active = models.BooleanField(_("offered"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("delay cause")
        verbose_name_plural = _("delay causes")

    def __str__(self) -> str:
        return self.name


class Delay(models.Model):
    """One delay case of an order: opened by the first slip, explained by staff,
    answered by the customer, closed by staff with the root cause."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Choice(models.TextChoices):
        WAIT = "wait", _("Wait for the new date")
        PARTIAL = "partial", _("Ship what is available now")
        CANCEL = "cancel", _("Cancel with a full refund")

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="delays")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    # The last deadline that slipped and how many times one did (2+: escalated).
    deadline = models.DateTimeField(_("missed deadline"))
    slips = models.PositiveSmallIntegerField(_("slips"), default=1)
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)
    cause = models.ForeignKey(
        DelayCause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cause"),
    )
    cause_details = models.CharField(_("what happened"), max_length=500, blank=True)
    new_date = models.DateField(_("new delivery date told"), null=True, blank=True)
    explained_at = models.DateTimeField(_("customer told"), null=True, blank=True)
    explained_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    choice = models.CharField(
        _("customer's choice"), max_length=10, choices=Choice.choices, blank=True
    )
    # Keeping the line open: the customer hears from us at least every
    # ORDERS_DELAY_UPDATE_DAYS while the case is open; staff are reminded first.
    next_update_at = models.DateTimeField(_("next update due"), null=True, blank=True)
    last_update_at = models.DateTimeField(_("last update sent"), null=True, blank=True)
    update_reminded_for = models.DateTimeField(null=True, blank=True)
    chosen_at = models.DateTimeField(_("chosen"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    root_cause = models.TextField(_("root cause"), blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]
        verbose_name = _("delay case")
        verbose_name_plural = _("delay cases")
        constraints = [
            # One open case per order: a later slip adds to it (and escalates it).
            models.UniqueConstraint(
                fields=["order"],
                condition=Q(status="open"),
                name="delay_one_open_per_order",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="delay_closed_has_a_time",
            ),
            models.CheckConstraint(
                condition=Q(choice="") | Q(chosen_at__isnull=False),
                name="delay_choice_has_a_time",
            ),
        ]
        indexes = [
            models.Index(
                fields=["opened_at", "id"],
                name="delay_open",
                condition=Q(status="open"),
            ),
            models.Index(fields=["opened_at", "id"], name="delay_opened"),
            models.Index(
                fields=["next_update_at"],
                name="delay_update_due",
                condition=Q(status="open"),
            ),
        ]

    def __str__(self) -> str:
        return f"Delay #{self.pk} · {self.order.number}"

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def awaits_choice(self) -> bool:
        """Told the customer and not answered yet: the status page asks."""
        return self.is_open and self.explained_at is not None and not self.choice


class DelaySlip(models.Model):
    """One deadline an order missed, recorded once however often it is scanned."""

    class Kind(models.TextChoices):
        SHIP_BY = "ship_by", _("Promised ship-by date")
        DELIVERY = "delivery", _("Estimated delivery date")
        STEP = "step", _("Step target")

    delay = models.ForeignKey(Delay, on_delete=models.CASCADE, related_name="slip_rows")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("what slipped"), max_length=10, choices=Kind.choices)
    status = models.CharField(
        _("state"), max_length=20, choices=OrderStatus.choices, blank=True
    )
    deadline = models.DateTimeField(_("deadline"))
    detected_at = models.DateTimeField(_("detected"), default=timezone.now)

    class Meta:
        ordering = ["detected_at", "pk"]
        verbose_name = _("missed deadline")
        verbose_name_plural = _("missed deadlines")
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "deadline"], name="delayslip_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.deadline:%Y-%m-%d %H:%M}"

    @property
    def late_by(self):
        return self.detected_at - self.deadline

    @property
    def promised_day(self):
        """The promised date of a ship-by or delivery slip (its deadline is the
        first moment after that day)."""
        from datetime import timedelta

        return (timezone.localtime(self.deadline) - timedelta(microseconds=1)).date()


class DelayDigest(models.Model):
    """One alert to the team per interval about the cases opened in it (the unique
    period makes a second scan in the same interval write none)."""

    period = models.DateTimeField(_("period"), unique=True)
    cases = models.PositiveIntegerField(_("new cases"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period"]
        verbose_name = _("delay digest")
        verbose_name_plural = _("delay digests")

    def __str__(self) -> str:
        return f"{self.period:%Y-%m-%d %H:%M}: {self.cases}"


class CorrectiveAction(models.Model):
    """What someone will change so that a delay does not happen again; reminded
    through the outbox once due, listed with its age until done."""

    delay = models.ForeignKey(
        Delay, on_delete=models.PROTECT, related_name="actions", verbose_name=_("case")
    )
    description = models.CharField(_("what will change"), max_length=500)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("owner"),
    )
    due_on = models.DateField(_("due"))
    created_at = models.DateTimeField(_("agreed"), default=timezone.now)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # The last day its owner was reminded (one reminder a day while overdue).
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        indexes = [
            models.Index(
                fields=["due_on", "id"],
                name="action_open",
                condition=Q(done_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return self.description[:60]


# ------------------------------------------------------------------------------
# Compensation
# ------------------------------------------------------------------------------
class CompensationKind(models.TextChoices):
    DISCOUNT_CODE = "discount_code", _("A discount code for a next order")
    GIFT = "gift", _("A free gift with this order")
    PARTIAL_REFUND = "partial_refund", _("A partial refund")
    STORE_CREDIT = "store_credit", _("Store credit")


class CompensationRule(models.Model):
    """The compensation policy: which situation earns which offer. Every active
    rule whose conditions a case meets is suggested to staff on the case."""

    position = models.PositiveSmallIntegerField(_("position"), default=0)
    active = models.BooleanField(_("active"), default=True)
    cause = models.ForeignKey(
        DelayCause,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("cause"),
        help_text=_("Empty: any cause."),
    )
    min_days_late = models.PositiveSmallIntegerField(_("at least days late"), default=0)
    min_order_total = models.DecimalField(
        _("order total at least"), max_digits=12, decimal_places=2, default=0
    )
    min_earlier_delays = models.PositiveSmallIntegerField(
        _("customer's earlier delays at least"), default=0
    )
    kind = models.CharField(_("offer"), max_length=20, choices=CompensationKind.choices)
    amount = models.DecimalField(
        _("amount"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    percent = models.DecimalField(
        _("percent of the order total"),
        max_digits=5,
        decimal_places=2,
        null=True,
        blank=True,
    )
    gift = models.ForeignKey(
        "inventory.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gift"),
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("compensation rule")
        verbose_name_plural = _("compensation rules")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="gift", gift__isnull=False))
                | (
                    ~Q(kind="gift")
                    & (
                        Q(amount__gt=0, percent__isnull=True)
                        | Q(amount__isnull=True, percent__gt=0, percent__lte=100)
                    )
                ),
                name="compensationrule_one_value",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.position})"


class CompensationLimit(models.Model):
    """Up to which value a role offers compensation alone; above, a manager approves."""

    role = models.CharField(_("role"), max_length=20, unique=True)
    max_value = models.DecimalField(_("up to"), max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["role"]
        verbose_name = _("compensation limit")
        verbose_name_plural = _("compensation limits")
        constraints = [
            models.CheckConstraint(
                condition=Q(max_value__gte=0), name="compensationlimit_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.role}: {self.max_value}"


class CompensationOffer(models.Model):
    """One offer to a customer for a delay; the customer accepts one."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a manager's approval")
        OFFERED = "offered", _("Offered to the customer")
        ACCEPTED = "accepted", _("Accepted")
        WITHDRAWN = "withdrawn", _("Withdrawn")

    delay = models.ForeignKey(Delay, on_delete=models.PROTECT, related_name="offers")
    kind = models.CharField(_("offer"), max_length=20, choices=CompensationKind.choices)
    value = models.DecimalField(_("value"), max_digits=12, decimal_places=2)
    product = models.ForeignKey(
        "inventory.Product",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("gift"),
    )
    rule = models.ForeignKey(
        CompensationRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OFFERED
    )
    offered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    offered_at = models.DateTimeField(default=timezone.now)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    cost = models.DecimalField(_("cost"), max_digits=12, decimal_places=2, default=0)
    discount_code = models.ForeignKey(
        "orders.DiscountCode",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    credit_entry = models.ForeignKey(
        "orders.StoreCreditEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    gift_line = models.ForeignKey(
        "orders.OrderLine",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["offered_at", "pk"]
        verbose_name = _("compensation offer")
        verbose_name_plural = _("compensation offers")
        constraints = [
            models.CheckConstraint(
                condition=Q(value__gt=0), name="compensationoffer_value_positive"
            ),
            # One accepted offer per case, whatever clicks and tabs do.
            models.UniqueConstraint(
                fields=["delay"],
                condition=Q(status="accepted"),
                name="compensationoffer_one_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.value}"

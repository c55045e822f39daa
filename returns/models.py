"""Returns: the shop's return policy, and each return (RMA) with its lines.

A return belongs to one order; its lifecycle is a django-fsm state machine on
``Return.status``, changed only by ``returns.services``:

    requested → approved | rejected → received → inspected → refunded | closed
    requested | approved → cancelled (the customer, before the parcel arrives)

Each line says what comes back (an order line and a quantity), why, and what
receiving and inspection found: how many arrived, the condition grade, the
confirmed cause, where the units went (restocked through the inventory ledger,
refurbished, written off, back to the supplier) and what it refunds.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from ordersite.limits import QUANTITY_CEILING

ZERO = Decimal("0.00")
HUNDRED = Decimal("100")
# A window longer than ten years is a typing mistake, not a policy.
MAX_WINDOW_DAYS = 3650


class Reason(models.TextChoices):
    DAMAGED = "damaged", _("Arrived damaged")
    DEFECTIVE = "defective", _("Defective or does not work")
    WRONG_ITEM = "wrong_item", _("Wrong item sent")
    NOT_AS_DESCRIBED = "not_as_described", _("Not as described")
    NO_LONGER_NEEDED = "no_longer_needed", _("No longer needed")
    OTHER = "other", _("Other")


# Reasons that are the shop's fault: no restocking fee, no deduction for the
# condition, return shipping on the shop.
OUR_FAULT = frozenset(
    {Reason.DAMAGED, Reason.DEFECTIVE, Reason.WRONG_ITEM, Reason.NOT_AS_DESCRIBED}
)


class Outcome(models.TextChoices):
    REFUND = "refund", _("Refund to the original payment")
    STORE_CREDIT = "store_credit", _("Store credit")
    EXCHANGE = "exchange", _("Exchange for another size or product")


class Grade(models.TextChoices):
    A = "a", _("A – as new")
    B = "b", _("B – opened or minor wear")
    C = "c", _("C – damaged")
    SCRAP = "scrap", _("Scrap")


class Disposition(models.TextChoices):
    RESTOCK = "restock", _("Restock")
    REFURBISH = "refurbish", _("Refurbish")
    WRITE_OFF = "write_off", _("Write off")
    RETURN_TO_SUPPLIER = "supplier", _("Return to supplier")
    KEPT = "kept", _("Kept by the customer (not sent back)")


class ReturnShipping(models.TextChoices):
    SHOP_IF_OUR_FAULT = "our_fault", _("We pay when the return is our fault")
    SHOP_ALWAYS = "shop", _("We always pay")
    CUSTOMER_ALWAYS = "customer", _("The customer always pays")


def percent_field(label, default, help_text=""):
    return models.DecimalField(
        label,
        max_digits=5,
        decimal_places=2,
        default=Decimal(default),
        validators=[MinValueValidator(ZERO), MaxValueValidator(HUNDRED)],
        help_text=help_text,
    )


class ReturnPolicy(models.Model):
    """The shop's return policy: one row, edited in the admin, read by every check
    and rendered word for word on the public policy page."""

    window_days = models.PositiveSmallIntegerField(
        _("return window (days from delivery)"),
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(MAX_WINDOW_DAYS)],
        help_text=_(
            "The last day to ask is this many days after the day of delivery, "
            "to midnight in the customer's time zone."
        ),
    )
    grace_days = models.PositiveSmallIntegerField(
        _("days after the window a person may still accept"),
        default=14,
        validators=[MaxValueValidator(MAX_WINDOW_DAYS)],
        help_text=_(
            "A late request within these days goes to the returns queue for a "
            "person to decide; later ones are refused."
        ),
    )
    non_returnable_categories = models.TextField(
        _("non-returnable categories"),
        blank=True,
        help_text=_(
            "One product category per line. Single products are marked "
            "not returnable on the product."
        ),
    )
    conditions = models.TextField(
        _("condition rules"),
        blank=True,
        default=_(
            "Send items back complete, with their accessories and, where you can, "
            "in their original packaging."
        ),
        help_text=_("Shown on the policy page and in the return instructions."),
    )
    restocking_fee_percent = percent_field(
        _("restocking fee (%)"),
        "0",
        _("Kept from refunds of returns that are not our fault."),
    )
    grade_b_percent = percent_field(
        _("refund for grade B (%)"), "80", _("Opened or minor wear.")
    )
    grade_c_percent = percent_field(
        _("refund for grade C (%)"), "50", _("Damaged, not by us.")
    )
    return_shipping = models.CharField(
        _("who pays return shipping"),
        max_length=12,
        choices=ReturnShipping.choices,
        default=ReturnShipping.SHOP_IF_OUR_FAULT,
    )
    allow_refund = models.BooleanField(_("refunds allowed"), default=True)
    allow_store_credit = models.BooleanField(_("store credit allowed"), default=True)
    allow_exchange = models.BooleanField(_("exchanges allowed"), default=True)
    auto_approve = models.BooleanField(
        _("approve requests inside the policy automatically"), default=True
    )
    four_eyes = models.BooleanField(
        _("the inspector must not be the receiver"),
        default=True,
        help_text=_("Four-eyes: another person inspects what one person received."),
    )
    return_address = models.TextField(
        _("return address"),
        default="ordersite Returns\nLagerstraße 1\n10115 Berlin\nGermany",
    )
    instructions = models.TextField(
        _("what to include"),
        blank=True,
        default=_(
            "Write the RMA number on the parcel or put this page, printed, inside."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("return policy")
        verbose_name_plural = _("return policy")
        constraints = [
            models.CheckConstraint(
                condition=Q(window_days__gte=1, window_days__lte=MAX_WINDOW_DAYS),
                name="returnpolicy_window_in_range",
            ),
            models.CheckConstraint(
                condition=Q(restocking_fee_percent__gte=0)
                & Q(restocking_fee_percent__lte=100)
                & Q(grade_b_percent__gte=0)
                & Q(grade_b_percent__lte=100)
                & Q(grade_c_percent__gte=0)
                & Q(grade_c_percent__lte=100),
                name="returnpolicy_percentages_in_range",
            ),
            models.CheckConstraint(
                condition=Q(allow_refund=True) | Q(allow_store_credit=True),
                name="returnpolicy_some_outcome_allowed",
            ),
        ]

    def __str__(self) -> str:
        return str(_("Return policy"))

    @classmethod
    def current(cls) -> "ReturnPolicy":
        """The policy (created with the defaults on first use)."""
        policy = cls.objects.order_by("pk").first()
        return policy or cls.objects.create()

    def category_blocked(self, category: str) -> bool:
        wanted = (category or "").strip().casefold()
        return bool(wanted) and wanted in {
            c.strip().casefold() for c in self.non_returnable_categories.splitlines()
        }

    def grade_percent(self, grade: str) -> Decimal:
        return {
            Grade.A: HUNDRED,
            Grade.B: self.grade_b_percent,
            Grade.C: self.grade_c_percent,
        }.get(grade, ZERO)

    def shop_pays_shipping(self, reasons) -> bool:
        if self.return_shipping == ReturnShipping.SHOP_ALWAYS:
            return True
        if self.return_shipping == ReturnShipping.CUSTOMER_ALWAYS:
            return False
        return any(r in OUR_FAULT for r in reasons)

    def outcomes(self) -> list[str]:
        allowed = []
        if self.allow_refund:
            allowed.append(Outcome.REFUND)
        if self.allow_store_credit:
            allowed.append(Outcome.STORE_CREDIT)
        if self.allow_exchange:
            allowed.append(Outcome.EXCHANGE)
        return allowed


class ReturnStatus(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    RECEIVED = "received", _("Received")
    INSPECTED = "inspected", _("Inspected")
    REFUNDED = "refunded", _("Refunded")
    EXCHANGED = "exchanged", _("Exchanged")
    CLOSED = "closed", _("Closed")
    CANCELLED = "cancelled", _("Cancelled")


RS = ReturnStatus
# Still waiting for something to happen (the queue shows these).
OPEN = (RS.REQUESTED, RS.APPROVED, RS.RECEIVED, RS.INSPECTED)
# Over for the customer: they are asked how it went.
FINISHED = (RS.REFUNDED, RS.EXCHANGED, RS.CLOSED, RS.REJECTED)
# Units of these count as returned (or on their way back) against what was delivered.
COUNTING = (
    RS.REQUESTED,
    RS.APPROVED,
    RS.RECEIVED,
    RS.INSPECTED,
    RS.REFUNDED,
    RS.CLOSED,
)


class Source(models.TextChoices):
    CUSTOMER = "customer", _("Customer, on the status page")
    STAFF = "staff", _("Staff, for the customer")
    PARCEL = "parcel", _("A parcel that arrived without a request")
    API = "api", _("Integration API")


class ReturnParcel(models.Model):
    """One parcel that brought back returns of several orders of one customer."""

    number = models.CharField(  # noqa: DJ001 - set from the pk right after insert
        _("parcel number"), max_length=20, unique=True, null=True, editable=False
    )
    customer = models.ForeignKey(
        "orders.Customer", on_delete=models.PROTECT, related_name="return_parcels"
    )
    reference = models.CharField(
        _("carrier's tracking number"), max_length=100, blank=True
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_at = models.DateTimeField(_("received"), default=timezone.now)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("returned parcel")
        verbose_name_plural = _("returned parcels")

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"


class Return(ConcurrentTransitionMixin, models.Model):
    """One return (RMA) of units of one order."""

    number = models.CharField(  # noqa: DJ001 - set from the pk right after insert
        _("RMA number"), max_length=20, unique=True, null=True, editable=False
    )
    order = models.ForeignKey(
        "orders.Order", on_delete=models.PROTECT, related_name="returns"
    )
    status = FSMField(
        _("status"),
        max_length=12,
        choices=ReturnStatus.choices,
        default=RS.REQUESTED,
        protected=True,
    )
    source = models.CharField(_("opened by"), max_length=10, choices=Source.choices)
    outcome = models.CharField(
        _("outcome wished"), max_length=12, choices=Outcome.choices
    )
    customer_note = models.TextField(_("customer's note"), blank=True)
    exchange_wish = models.CharField(
        _("wished in exchange"), max_length=500, blank=True
    )
    replacement_order = models.OneToOneField(
        "orders.Order",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="replacing_return",
        verbose_name=_("replacement order"),
    )
    review_reasons = models.JSONField(
        _("why a person decides"),
        default=list,
        blank=True,
        help_text=_("Codes of the policy checks this request did not pass."),
    )
    decision_note = models.TextField(_("reason given with the decision"), blank=True)
    label_reference = models.CharField(
        _("return label reference"), max_length=100, blank=True
    )
    parcel = models.ForeignKey(
        ReturnParcel,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="returns",
        verbose_name=_("arrived in parcel"),
    )
    shop_pays_shipping = models.BooleanField(_("we pay return shipping"))
    refund_amount = models.DecimalField(
        _("refund by the policy"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    refund_override = models.DecimalField(
        _("refund set by a manager"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
    )
    override_reason = models.CharField(
        _("reason for the manager's amount"), max_length=255, blank=True
    )
    kept_reason = models.CharField(
        _("why the customer keeps the items"),
        max_length=255,
        blank=True,
        help_text=_("Refunded without a return: the items were not worth sending."),
    )
    feedback_easy = models.BooleanField(_("easy to return?"), null=True, blank=True)
    feedback_resolved = models.BooleanField(
        _("problem resolved?"), null=True, blank=True
    )
    feedback_comment = models.CharField(
        _("customer's comment"), max_length=2000, blank=True
    )
    feedback_at = models.DateTimeField(_("feedback given"), null=True, blank=True)
    submission_key = models.CharField(max_length=64, blank=True, editable=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    inspected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(
        _("requested"), default=timezone.now, db_index=True
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    inspected_at = models.DateTimeField(_("inspected"), null=True, blank=True)
    finished_at = models.DateTimeField(
        _("refunded, closed or cancelled"), null=True, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        permissions = [
            ("handle_return", _("Can open, approve and reject returns")),
            ("receive_return", _("Can receive returned parcels")),
            ("inspect_return", _("Can inspect returns and refund them")),
            ("override_return_refund", _("Can set a return's refund amount")),
            ("read_return_analytics", _("Can read the returns analytics")),
        ]
        indexes = [
            models.Index(
                fields=["status", "requested_at"],
                condition=Q(status__in=OPEN),
                name="return_open_queue",
            ),
            models.Index(
                fields=["-finished_at", "-id"],
                condition=Q(finished_at__isnull=False),
                name="return_finished_recent",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["submission_key"],
                condition=~Q(submission_key=""),
                name="return_submitted_once",
            ),
            models.CheckConstraint(
                condition=Q(refund_amount__isnull=True) | Q(refund_amount__gte=0),
                name="return_refund_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(refund_override__isnull=True)
                | (Q(refund_override__gte=0) & ~Q(override_reason="")),
                name="return_override_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"RMA #{self.pk}"

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("returns:detail", args=[self.pk])

    @property
    def refund_due(self) -> Decimal | None:
        """What the return refunds: a manager's amount, else the policy's."""
        if self.refund_override is not None:
            return self.refund_override
        return self.refund_amount

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def asks_feedback(self) -> bool:
        """Finished and not yet answered: the status page asks two questions."""
        return self.status in FINISHED and self.feedback_at is None

    # -- the lifecycle (only ``returns.services`` calls these) --------------------
    @transition(field=status, source=RS.REQUESTED, target=RS.APPROVED)
    def approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=status, source=RS.REQUESTED, target=RS.REJECTED)
    def reject(self) -> None:
        self.decided_at = self.finished_at = timezone.now()

    @transition(field=status, source=[RS.REQUESTED, RS.APPROVED], target=RS.CANCELLED)
    def cancel(self) -> None:
        self.finished_at = timezone.now()

    @transition(field=status, source=RS.APPROVED, target=RS.RECEIVED)
    def receive(self) -> None:
        self.received_at = timezone.now()

    @transition(field=status, source=RS.RECEIVED, target=RS.INSPECTED)
    def inspect(self) -> None:
        self.inspected_at = timezone.now()

    @transition(field=status, source=RS.APPROVED, target=RS.INSPECTED)
    def waive_parcel(self) -> None:
        """Not worth sending back: settled as if inspected, the customer keeps it."""
        self.inspected_at = timezone.now()

    @transition(field=status, source=RS.INSPECTED, target=RS.REFUNDED)
    def settle(self) -> None:
        self.finished_at = timezone.now()

    @transition(field=status, source=RS.INSPECTED, target=RS.EXCHANGED)
    def exchange(self) -> None:
        self.finished_at = timezone.now()

    @transition(field=status, source=RS.INSPECTED, target=RS.CLOSED)
    def close(self) -> None:
        self.finished_at = timezone.now()


class ReturnLine(models.Model):
    """Units of one order line coming back, and what receiving and inspection found."""

    rma = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey(
        "orders.OrderLine", on_delete=models.PROTECT, related_name="return_lines"
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    reason = models.CharField(_("reason"), max_length=20, choices=Reason.choices)
    reason_text = models.CharField(
        _("in the customer's words"), max_length=500, blank=True
    )
    received_quantity = models.PositiveIntegerField(_("arrived"), null=True, blank=True)
    grade = models.CharField(
        _("condition"), max_length=8, choices=Grade.choices, blank=True
    )
    confirmed_reason = models.CharField(
        _("confirmed cause"), max_length=20, choices=Reason.choices, blank=True
    )
    disposition = models.CharField(
        _("what happens to it"), max_length=12, choices=Disposition.choices, blank=True
    )
    warehouse = models.ForeignKey(
        "inventory.Warehouse",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("restocked to"),
    )
    inspection_note = models.CharField(
        _("inspection note"), max_length=1000, blank=True
    )
    refund_amount = models.DecimalField(
        _("refund"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["rma", "pk"]
        verbose_name = _("return line")
        verbose_name_plural = _("return lines")
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity__gte=1) & Q(quantity__lte=QUANTITY_CEILING),
                name="returnline_quantity_in_range",
            ),
            models.CheckConstraint(
                condition=Q(received_quantity__isnull=True)
                | Q(received_quantity__lte=models.F("quantity")),
                name="returnline_no_more_received_than_sent",
            ),
            models.CheckConstraint(
                condition=~Q(disposition=Disposition.RESTOCK)
                | Q(warehouse__isnull=False),
                name="returnline_restock_has_warehouse",
            ),
            models.UniqueConstraint(
                fields=["rma", "order_line"], name="returnline_one_per_order_line"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.order_line.sku}"

    @property
    def our_fault(self) -> bool:
        return (self.confirmed_reason or self.reason) in OUR_FAULT


class ReturnAlertRule(models.Model):
    """Flag a product whose return rate (for one reason, or any) crosses a threshold."""

    reason = models.CharField(
        _("reason"),
        max_length=20,
        choices=Reason.choices,
        blank=True,
        help_text=_("Empty: returns for any reason."),
    )
    threshold_percent = percent_field(
        _("alert above (%)"), "2", _("Of the units delivered in the period.")
    )
    min_units = models.PositiveIntegerField(
        _("only from units delivered"),
        default=20,
        help_text=_("Fewer units delivered say too little to alert on."),
    )

    class Meta:
        ordering = ["reason", "threshold_percent"]
        verbose_name = _("return alert")
        verbose_name_plural = _("return alerts")
        constraints = [
            models.UniqueConstraint(
                fields=["reason"], name="returnalertrule_one_per_reason"
            ),
            models.CheckConstraint(
                condition=Q(threshold_percent__gte=0) & Q(threshold_percent__lte=100),
                name="returnalertrule_threshold_in_range",
            ),
        ]

    def __str__(self) -> str:
        what = self.get_reason_display() if self.reason else _("any reason")
        return f"{what} > {self.threshold_percent}%"


def photo_path(photo: "ReturnPhoto", filename: str) -> str:
    """A random name under the return's folder; never the uploader's file name."""
    import uuid

    return f"returns/{photo.rma_id}/{uuid.uuid4().hex}.{photo.extension}"


class ReturnPhoto(models.Model):
    """A photo of a returned item: the customer's (with the request) or the inspector's."""

    rma = models.ForeignKey(Return, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to=photo_path)
    extension = models.CharField(max_length=5, default="jpg", editable=False)
    by_customer = models.BooleanField(_("from the customer"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["rma", "pk"]
        verbose_name = _("return photo")
        verbose_name_plural = _("return photos")

    def __str__(self) -> str:
        return f"{self.rma} photo {self.pk}"

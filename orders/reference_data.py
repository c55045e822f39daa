"""Reference data the orders app starts with; created by migrations, kept idempotent.

Tax rates are only a starting point: staff edit them in the admin.
"""

from decimal import Decimal

# (country, standard, reduced); zero-rated goods are 0 everywhere.
TAX_RATES = [
    ("DE", "0.19", "0.07"),
    ("AT", "0.20", "0.10"),
    ("FR", "0.20", "0.055"),
    ("NL", "0.21", "0.09"),
    ("CH", "0.081", "0.026"),
]


def create_tax_rates(apps, schema_editor=None) -> None:
    TaxRate = apps.get_model("orders", "TaxRate")
    for country, standard, reduced in TAX_RATES:
        for tax_class, rate in (
            ("standard", standard),
            ("reduced", reduced),
            ("zero", "0"),
        ):
            TaxRate.objects.get_or_create(
                tax_class_id=tax_class,
                country=country,
                defaults={"rate": Decimal(rate)},
            )


# The delay causes staff choose from: (code, staff name, what the customer reads).
DELAY_CAUSES = [
    (
        "stock_shortage",
        "Stock shortage",
        "an item ran out of stock and we are waiting for more",
    ),
    ("supplier_late", "Supplier late", "our supplier is late delivering an item to us"),
    ("carrier_delay", "Carrier delay", "the delivery company is running late"),
    ("payment_problem", "Payment problem", "the payment has not come through yet"),
    (
        "address_problem",
        "Address problem",
        "we need to check the delivery address with you",
    ),
    ("verification_hold", "Held for checks", "we are still checking the order details"),
    ("other", "Other", "something unexpected held it up"),
]
# How long an order may wait in each state (business hours: target, at risk after).
STEP_TARGETS = [
    ("placed", 4, 2),  # verified within 4 business hours
    ("verified", 4, 2),
    ("paid", 8, 6),  # shipped within a business day of payment
    ("picking", 4, 2),
    ("packed", 4, 2),
]


COMPENSATION_LIMITS = [("clerk", "15.00"), ("returns", "15.00")]
# (days late at least, order total at least, earlier delays at least, offer,
#  amount, percent of the order total)
COMPENSATION_RULES = [
    (2, "0", 0, "discount_code", "5.00", ""),
    (5, "50", 0, "store_credit", "", "10"),
    (2, "0", 1, "discount_code", "10.00", ""),
]


def create_delay_defaults(apps, schema_editor=None) -> None:
    """Causes, step targets and the shop's default lead time (1 day to ship, 3 in transit)."""
    DelayCause = apps.get_model("orders", "DelayCause")
    StepTarget = apps.get_model("orders", "StepTarget")
    LeadTime = apps.get_model("orders", "LeadTime")
    for position, (code, name, words) in enumerate(DELAY_CAUSES):
        DelayCause.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "customer_text": words,
                "needs_details": code == "other",
                "position": position,
            },
        )
    for status, hours, warn in STEP_TARGETS:
        StepTarget.objects.get_or_create(
            status=status, defaults={"hours": hours, "warn_hours": warn}
        )
    if not LeadTime.objects.filter(warehouse__isnull=True, carrier="").exists():
        LeadTime.objects.create(ship_days=1, transit_days=3)
    # Up to which value each role offers compensation alone (managers: no limit).
    CompensationLimit = apps.get_model("orders", "CompensationLimit")
    for role, value in COMPENSATION_LIMITS:
        CompensationLimit.objects.get_or_create(
            role=role, defaults={"max_value": Decimal(value)}
        )
    # A starting policy, replaced in the admin as the shop sees fit.
    CompensationRule = apps.get_model("orders", "CompensationRule")
    if not CompensationRule.objects.exists():
        for position, (days, total, earlier, kind, amount, percent) in enumerate(
            COMPENSATION_RULES
        ):
            CompensationRule.objects.create(
                position=position,
                min_days_late=days,
                min_order_total=Decimal(total),
                min_earlier_delays=earlier,
                kind=kind,
                amount=Decimal(amount) if amount else None,
                percent=Decimal(percent) if percent else None,
            )


def ensure_all(apps) -> None:
    """Everything migrations create, again: for test databases that were flushed."""
    from inventory.reference_data import create_tax_classes
    from orders.permissions import sync_staff_groups

    create_tax_classes(apps)
    create_tax_rates(apps)
    create_delay_defaults(apps)
    sync_staff_groups(apps)

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


def ensure_all(apps) -> None:
    """Everything migrations create, again: for test databases that were flushed."""
    from inventory.reference_data import create_tax_classes
    from orders.permissions import sync_staff_groups

    create_tax_classes(apps)
    create_tax_rates(apps)
    sync_staff_groups(apps)

"""Reference data the inventory app starts with; created by a migration, kept idempotent."""

TAX_CLASSES = [
    ("standard", "Standard rate"),
    ("reduced", "Reduced rate"),
    ("zero", "Zero rate"),
]


def create_tax_classes(apps, schema_editor=None) -> None:
    TaxClass = apps.get_model("inventory", "TaxClass")
    for code, name in TAX_CLASSES:
        TaxClass.objects.get_or_create(code=code, defaults={"name": name})

"""What the orders API takes and gives: shapes and bounds only; the intake and
order services decide everything else."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ordersite import limits

MAX_LINES = 200


class CustomerIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    name = serializers.CharField(max_length=200)
    phone = serializers.CharField(
        max_length=40, required=False, default="", allow_blank=True
    )


class AddressIn(serializers.Serializer):
    address = serializers.CharField(
        max_length=1000,
        help_text=_("The whole postal address, lines separated by \\n."),
    )
    country = serializers.RegexField(
        r"^[A-Za-z]{2}$", help_text=_("ISO 3166-1 alpha-2, e.g. DE.")
    )


class LineIn(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        required=False,
        allow_null=True,
        default=None,
        help_text=_("The store's unit price; left out, the pricing rules set it."),
    )

    def validate_quantity(self, value):
        ceiling = limits.max_line_quantity()
        if not 1 <= value <= ceiling:
            raise serializers.ValidationError(
                _("A quantity must be from 1 to %(max)s.") % {"max": f"{ceiling:,}"},
                code="quantity_out_of_range",
            )
        return value


class PaymentIn(serializers.Serializer):
    amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)
    reference = serializers.CharField(
        max_length=100, required=False, default="", allow_blank=True
    )


class OrderIn(serializers.Serializer):
    """A new order from another system."""

    reference = serializers.CharField(
        max_length=100,
        required=False,
        default="",
        allow_blank=True,
        help_text=_(
            "The order's id in your system: the same reference again returns the "
            "order it made instead of a new one."
        ),
    )
    customer = CustomerIn()
    shipping = AddressIn()
    billing = AddressIn(required=False, allow_null=True, default=None)
    lines = LineIn(many=True, allow_empty=False, max_length=MAX_LINES)
    shipping_total = serializers.DecimalField(
        max_digits=12, decimal_places=2, min_value=0, required=False, default=0
    )
    currency = serializers.RegexField(
        r"^[A-Za-z]{3}$", required=False, help_text=_("ISO 4217; the shop's currency.")
    )
    payment = PaymentIn(
        required=False,
        allow_null=True,
        default=None,
        help_text=_("Money your store already took for this order."),
    )

    def validate_currency(self, value):
        return value.upper()

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        values.setdefault("currency", settings.ORDERS_CURRENCY)
        return values


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class LineOut(serializers.Serializer):
    sku = serializers.CharField()
    name = serializers.CharField()
    quantity = serializers.IntegerField()
    unit_price = serializers.DecimalField(max_digits=12, decimal_places=2)
    line_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    price_source = serializers.CharField()


class PaymentOut(serializers.Serializer):
    method = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    status = serializers.CharField()
    created_at = serializers.DateTimeField()


class ShipmentOut(serializers.Serializer):
    carrier = serializers.CharField()
    tracking_number = serializers.CharField()
    tracking_url = serializers.CharField(allow_null=True)
    shipped_at = serializers.DateTimeField(allow_null=True)


class EventOut(serializers.Serializer):
    at = serializers.DateTimeField()
    type = serializers.CharField()
    text = serializers.CharField()


class OrderOut(serializers.Serializer):
    number = serializers.CharField()
    reference = serializers.CharField(source="external_id")
    channel = serializers.CharField()
    status = serializers.CharField()
    payment_status = serializers.CharField()
    placed_at = serializers.DateTimeField()
    ship_by = serializers.DateField(
        allow_null=True, help_text=_("The promised ship-by date.")
    )
    estimated_delivery = serializers.DateField(
        allow_null=True,
        help_text=_(
            "The delivery date the customer was promised (or told after a delay)."
        ),
    )
    currency = serializers.CharField()
    subtotal = serializers.DecimalField(max_digits=12, decimal_places=2)
    discount_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    shipping_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    tax_total = serializers.DecimalField(max_digits=12, decimal_places=2)
    total = serializers.DecimalField(max_digits=12, decimal_places=2)
    status_page = serializers.CharField(help_text=_("The customer's status page."))
    lines = LineOut(many=True)
    payments = PaymentOut(many=True)
    shipments = ShipmentOut(many=True)
    events = EventOut(many=True, help_text=_("What the customer sees, newest first."))


class OrderChange(serializers.Serializer):
    number = serializers.CharField()
    status = serializers.CharField()
    changed_at = serializers.DateTimeField()


class OrderChanges(serializers.Serializer):
    orders = OrderChange(many=True)
    cursor = serializers.CharField(help_text=_("Send it as changed_since next time."))
    more = serializers.BooleanField(
        help_text=_("More changes wait: ask again at once.")
    )

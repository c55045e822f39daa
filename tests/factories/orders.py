"""Factories for users and the orders models.

``OrderFactory`` builds a placed order straight in the database (for tests of
rules and pages); tests of the lifecycle place orders with ``orders.services``.
"""

from datetime import date, timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from orders.models import (
    CompensationLimit,
    CompensationOffer,
    CompensationRule,
    CorrectiveAction,
    Customer,
    CustomerGroup,
    CustomerMessage,
    Delay,
    DelayCause,
    DelayDigest,
    DelaySlip,
    Delivery,
    DiscountCode,
    DocumentSequence,
    Holiday,
    ImportJob,
    Invoice,
    LeadTime,
    Notification,
    Order,
    OrderDiscount,
    OrderEvent,
    OrderFeedback,
    OrderIssue,
    OrderLine,
    OrderLineAllocation,
    OrderNote,
    Payment,
    PaymentLink,
    PriceList,
    PriceListEntry,
    Refund,
    SavedView,
    Shipment,
    ShipmentLine,
    StepTarget,
    Store,
    StoreCreditEntry,
    TaxRate,
    VerificationIssue,
)
from tests.factories.inventory import ProductFactory, StockItemFactory


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    password = factory.django.Password("secret-pass")


class StaffFactory(UserFactory):
    """A staff member in the group named by ``role`` (clerk, verifier, warehouse, returns, manager)."""

    is_staff = True

    @classmethod
    def _create(cls, model_class, *args, role: str | None = None, **kwargs):
        user = super()._create(model_class, *args, **kwargs)
        if role:
            user.groups.add(Group.objects.get(name=role))
        return user


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")
    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    phone = "+49 30 1234567"
    shipping_address = "Hauptstraße 1\n10115 Berlin"
    shipping_country = "DE"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    customer = factory.SubFactory(CustomerFactory)
    channel = "web"
    number = factory.Sequence(lambda n: f"ORD-T{n:05d}")
    shipping_address = factory.SelfAttribute("customer.shipping_address")
    shipping_country = factory.SelfAttribute("customer.shipping_country")
    currency = "EUR"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    sku = factory.SelfAttribute("product.sku")
    name = factory.SelfAttribute("product.name")
    quantity = 1
    unit_price = factory.SelfAttribute("product.unit_price")
    line_total = factory.LazyAttribute(lambda o: o.unit_price * o.quantity)


class OrderLineAllocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLineAllocation

    line = factory.SubFactory(OrderLineFactory)
    stock_item = factory.SubFactory(
        StockItemFactory, product=factory.SelfAttribute("..line.product")
    )
    quantity = 1


class PaymentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payment

    order = factory.SubFactory(OrderFactory)
    provider = "manual"
    method = Payment.Method.BANK_TRANSFER
    amount = Decimal("10.00")
    amount_captured = factory.SelfAttribute("amount")
    status = Payment.Status.CAPTURED


class ShipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Shipment

    order = factory.SubFactory(OrderFactory)
    carrier = "DHL"
    tracking_number = factory.Sequence(lambda n: f"TRACK{n:08d}")


class ShipmentLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ShipmentLine

    shipment = factory.SubFactory(ShipmentFactory)
    order_line = factory.SubFactory(
        OrderLineFactory, order=factory.SelfAttribute("..shipment.order")
    )
    quantity = 1


class OrderNoteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderNote

    order = factory.SubFactory(OrderFactory)
    author = factory.SubFactory(StaffFactory)
    body = "Called the customer."


class OrderEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderEvent

    order = factory.SubFactory(OrderFactory)
    type = OrderEvent.Type.NOTE_ADDED
    data = factory.LazyAttribute(lambda o: {"note_id": None})


class CustomerGroupFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerGroup
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Group {n}")


class PriceListFactory(factory.django.DjangoModelFactory):
    """A customer's price list; pass ``customer=None, group=…`` for a group's."""

    class Meta:
        model = PriceList

    name = factory.Sequence(lambda n: f"Price list {n}")
    customer = factory.SubFactory(CustomerFactory)


class PriceListEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PriceListEntry

    price_list = factory.SubFactory(PriceListFactory)
    product = factory.SubFactory(ProductFactory)
    min_quantity = 1
    unit_price = Decimal("8.00")


class TaxRateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TaxRate
        django_get_or_create = ("tax_class_id", "country")

    tax_class_id = "standard"
    country = "DK"
    rate = Decimal("0.25")


class DiscountCodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DiscountCode

    code = factory.Sequence(lambda n: f"SAVE{n}")
    kind = "percent"
    value = Decimal("10")


class OrderDiscountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderDiscount

    order = factory.SubFactory(OrderFactory)
    kind = "fixed"
    value = Decimal("5.00")
    reason = "Goodwill"


class RefundFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Refund

    order = factory.SubFactory(OrderFactory)
    payment = factory.SubFactory(PaymentFactory, order=factory.SelfAttribute("..order"))
    outcome = "original_method"
    amount = Decimal("5.00")
    reason = "Damaged"
    idempotency_key = factory.Sequence(lambda n: f"key-{n}")


class StoreCreditEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StoreCreditEntry

    customer = factory.SubFactory(CustomerFactory)
    amount = Decimal("10.00")
    note = "Goodwill"


class DocumentSequenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DocumentSequence

    series = "TST"
    year = factory.Sequence(lambda n: 2000 + n)


class InvoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Invoice

    kind = "invoice"
    sequence = factory.Sequence(lambda n: n + 1)
    year = 2026
    number = factory.LazyAttribute(lambda o: f"INV-T-{o.sequence:06d}")
    order = factory.SubFactory(OrderFactory)
    currency = "EUR"
    net = Decimal("10.00")
    tax = Decimal("1.90")
    total = Decimal("11.90")
    content = factory.LazyAttribute(
        lambda o: {"order": o.order.number, "total": str(o.total)}
    )


class NotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Notification

    order = factory.SubFactory(OrderFactory)
    kind = "order_received"
    to_email = factory.SelfAttribute("order.customer.email")
    subject = "We have received your order"
    body_text = "Hello"
    body_html = "<p>Hello</p>"


class OrderFeedbackFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderFeedback

    order = factory.SubFactory(OrderFactory)
    rating = 5


class OrderIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderIssue

    order = factory.SubFactory(OrderFactory)
    reason = "damaged"
    details = "The lid was cracked."


class CustomerMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CustomerMessage

    order = factory.SubFactory(OrderFactory)
    body = "When will it arrive?"


class VerificationIssueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VerificationIssue

    order = factory.SubFactory(OrderFactory)
    reason = "wrong_price"
    first_checker = factory.SubFactory(StaffFactory)
    found_by = factory.SubFactory(StaffFactory)


class SavedViewFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SavedView

    user = factory.SubFactory(StaffFactory)
    name = factory.Sequence(lambda n: f"View {n}")
    query = "status=paid"


class StoreFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Store

    name = factory.Sequence(lambda n: f"Store {n}")
    slug = factory.Sequence(lambda n: f"store-{n}")
    platform = "shopify"
    secret = "secret"


class DeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delivery

    store = factory.SubFactory(StoreFactory)
    topic = "orders/create"
    external_id = factory.Sequence(str)
    body = "{}"


class PaymentLinkFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentLink

    order = factory.SubFactory(OrderFactory)
    amount = Decimal("10.00")
    provider = "test_card"


class ImportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ImportJob

    uploaded_by = factory.SubFactory(StaffFactory)
    filename = "orders.csv"
    content = "reference,email,name,address,country,sku,quantity\n"


class HolidayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Holiday

    day = factory.Sequence(lambda n: date(2030, 1, 1) + timedelta(days=n))
    name = "Shop closed"


class LeadTimeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LeadTime

    warehouse = factory.SubFactory("tests.factories.inventory.WarehouseFactory")
    carrier = factory.Sequence(lambda n: f"express-{n}")
    ship_days = 0
    transit_days = 1


class StepTargetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StepTarget
        django_get_or_create = ["status"]

    status = "allocated"
    hours = 16
    warn_hours = 8


class DelayCauseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DelayCause

    code = factory.Sequence(lambda n: f"cause-{n}")
    name = "Roaster on holiday"
    customer_text = "our roaster is closed for a week"


class DelayFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Delay

    order = factory.SubFactory(OrderFactory)
    deadline = factory.LazyFunction(timezone.now)


class DelaySlipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DelaySlip

    delay = factory.SubFactory(DelayFactory)
    order = factory.SelfAttribute("delay.order")
    kind = DelaySlip.Kind.SHIP_BY
    deadline = factory.LazyFunction(timezone.now)


class DelayDigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DelayDigest

    period = factory.Sequence(lambda n: timezone.now() + timedelta(hours=n))
    cases = 1


class CorrectiveActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CorrectiveAction

    delay = factory.SubFactory(DelayFactory)
    description = "Raise the reorder point before the holidays"
    owner = factory.SubFactory(StaffFactory)
    due_on = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=7))


class CompensationRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompensationRule

    kind = "discount_code"
    amount = Decimal("5.00")


class CompensationLimitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompensationLimit
        django_get_or_create = ["role"]

    role = "verifier"
    max_value = Decimal("5.00")


class CompensationOfferFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CompensationOffer

    delay = factory.SubFactory(DelayFactory)
    kind = "store_credit"
    value = Decimal("5.00")
    offered_by = factory.SubFactory(StaffFactory)

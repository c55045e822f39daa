"""The models module Django loads for the orders app.

Each model is defined with its subject (``orders.<subject>.models``); this
module gathers them so Django's app registry and migrations see one app.
"""

from orders.core.models import (
    Channel,
    Order,
    OrderLine,
    OrderLineAllocation,
    OrderNote,
    OrderStatus,
    PriceSource,
    new_tracking_token,
)
from orders.customer.models import (
    Customer,
    CustomerGroup,
    CustomerMessage,
    OrderFeedback,
    OrderIssue,
)
from orders.delays.models import (
    CompensationLimit,
    CompensationOffer,
    CompensationRule,
    CorrectiveAction,
    Delay,
    DelayCause,
    DelayDigest,
    DelaySlip,
    Holiday,
    LeadTime,
    StepTarget,
)
from orders.events.models import OrderEvent
from orders.fulfilment.models import Shipment, ShipmentLine
from orders.intake.models import Delivery, ImportJob, Store
from orders.money.models import (
    DocumentSequence,
    Invoice,
    Payment,
    PaymentLink,
    Refund,
    StoreCreditEntry,
)
from orders.money.pricing_models import (
    DiscountCode,
    DiscountKind,
    OrderDiscount,
    PriceList,
    PriceListEntry,
    TaxRate,
)
from orders.notifications.models import Notification
from orders.staff.models import SavedView
from orders.verification.models import VerificationIssue

__all__ = [
    "CompensationLimit",
    "CompensationOffer",
    "CompensationRule",
    "CorrectiveAction",
    "Delay",
    "DelayCause",
    "DelayDigest",
    "DelaySlip",
    "Holiday",
    "LeadTime",
    "StepTarget",
    "PaymentLink",
    "Delivery",
    "ImportJob",
    "Store",
    "Channel",
    "Customer",
    "CustomerGroup",
    "CustomerMessage",
    "DiscountCode",
    "DiscountKind",
    "DocumentSequence",
    "Invoice",
    "Notification",
    "Order",
    "OrderDiscount",
    "OrderEvent",
    "OrderFeedback",
    "OrderIssue",
    "OrderLine",
    "OrderLineAllocation",
    "OrderNote",
    "OrderStatus",
    "Payment",
    "PriceList",
    "PriceListEntry",
    "PriceSource",
    "Refund",
    "SavedView",
    "ShipmentLine",
    "Shipment",
    "StoreCreditEntry",
    "TaxRate",
    "VerificationIssue",
    "new_tracking_token",  # referenced by migration 0001
]

"""Factories for the returns app: rows as a test needs them (services make real ones)."""

import factory

from returns.models import (
    Return,
    ReturnAlertRule,
    ReturnLine,
    ReturnParcel,
    ReturnPhoto,
    ReturnPolicy,
)
from tests.factories.orders import CustomerFactory, OrderFactory, OrderLineFactory


class ReturnPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnPolicy

    window_days = 30


class ReturnFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Return

    order = factory.SubFactory(OrderFactory)
    number = factory.Sequence(lambda n: f"RMA-T{n:05d}")
    source = "customer"
    outcome = "refund"
    shop_pays_shipping = True


class ReturnLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnLine

    rma = factory.SubFactory(ReturnFactory)
    order_line = factory.SubFactory(
        OrderLineFactory, order=factory.SelfAttribute("..rma.order")
    )
    quantity = 1
    reason = "no_longer_needed"


class ReturnAlertRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnAlertRule
        django_get_or_create = ["reason"]

    reason = "defective"


class ReturnParcelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnParcel

    customer = factory.SubFactory(CustomerFactory)
    number = factory.Sequence(lambda n: f"PCL-T{n:05d}")


class ReturnPhotoFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnPhoto

    rma = factory.SubFactory(ReturnFactory)
    image = factory.django.ImageField(width=4, height=4, format="PNG")
    extension = "png"

"""Price resolution precedence, the rounding rule, tax, and the verification price check."""

import datetime
from decimal import Decimal

import pytest
from django.test import override_settings

from orders.core import services
from orders.exceptions import InvalidOrder, TransitionForbidden
from orders.models import PriceSource
from orders.money import discounts, pricing
from orders.permissions import Role
from tests.factories.inventory import ProductFactory
from tests.factories.orders import (
    CustomerFactory,
    CustomerGroupFactory,
    PriceListEntryFactory,
    PriceListFactory,
)

D = Decimal


@pytest.fixture
def product(db):
    return ProductFactory(unit_price=D("10.00"))


@pytest.fixture
def customer(db):
    return CustomerFactory(group=CustomerGroupFactory(name="Cafés"))


def _resolve(product, customer, quantity=1, on=None):
    return pricing.price_resolve(
        product=product, customer=customer, quantity=quantity, on=on
    )


@pytest.mark.django_db
class TestPrecedence:
    def test_catalogue_price_without_agreements(self, product, customer):
        assert _resolve(product, customer) == pricing.ResolvedPrice(
            D("10.00"), PriceSource.CATALOGUE
        )

    def test_group_price_beats_catalogue(self, product, customer):
        PriceListEntryFactory(
            price_list=PriceListFactory(customer=None, group=customer.group),
            product=product,
            unit_price=D("9.00"),
        )
        resolved = _resolve(product, customer)
        assert (resolved.unit_price, resolved.source) == (
            D("9.00"),
            PriceSource.GROUP_LIST,
        )

    def test_customer_price_beats_group_price_even_when_higher(self, product, customer):
        PriceListEntryFactory(
            price_list=PriceListFactory(customer=None, group=customer.group),
            product=product,
            unit_price=D("8.00"),
        )
        PriceListEntryFactory(
            price_list=PriceListFactory(customer=customer),
            product=product,
            unit_price=D("9.50"),
        )
        resolved = _resolve(product, customer)
        assert (resolved.unit_price, resolved.source) == (
            D("9.50"),
            PriceSource.CUSTOMER_LIST,
        )

    def test_quantity_breaks_take_the_largest_break_reached(self, product, customer):
        price_list = PriceListFactory(customer=customer)
        for min_quantity, price in [(1, "9.00"), (10, "8.00"), (50, "7.00")]:
            PriceListEntryFactory(
                price_list=price_list,
                product=product,
                min_quantity=min_quantity,
                unit_price=D(price),
            )
        assert [
            _resolve(product, customer, q).unit_price for q in (1, 9, 10, 49, 50, 500)
        ] == [D("9.00"), D("9.00"), D("8.00"), D("8.00"), D("7.00"), D("7.00")]

    def test_a_break_not_reached_falls_back_to_the_next_level(self, product, customer):
        PriceListEntryFactory(
            price_list=PriceListFactory(customer=customer),
            product=product,
            min_quantity=10,
            unit_price=D("7.00"),
        )
        assert _resolve(product, customer, 3).source == PriceSource.CATALOGUE

    def test_validity_dates_and_inactive_lists(self, product, customer):
        today = datetime.date(2026, 11, 26)
        PriceListEntryFactory(
            price_list=PriceListFactory(
                customer=customer, valid_from=today + datetime.timedelta(days=1)
            ),
            product=product,
            unit_price=D("5.00"),
        )
        PriceListEntryFactory(
            price_list=PriceListFactory(customer=customer, active=False),
            product=product,
            unit_price=D("4.00"),
        )
        assert _resolve(product, customer, on=today).source == PriceSource.CATALOGUE
        assert _resolve(
            product, customer, on=today + datetime.timedelta(days=1)
        ).unit_price == D("5.00")

    def test_of_two_valid_lists_the_lower_price_wins(self, product, customer):
        PriceListEntryFactory(
            price_list=PriceListFactory(customer=customer),
            product=product,
            unit_price=D("9.00"),
        )
        PriceListEntryFactory(
            price_list=PriceListFactory(customer=customer),
            product=product,
            unit_price=D("8.50"),
        )
        assert _resolve(product, customer).unit_price == D("8.50")


@pytest.mark.django_db
class TestPlacementPricing:
    def test_lines_capture_price_and_source(self, product, customer, staff):
        entry = PriceListEntryFactory(
            price_list=PriceListFactory(customer=customer),
            product=product,
            unit_price=D("9.00"),
        )
        order = services.order_place(
            customer=customer,
            channel="phone",
            lines=[pricing.LineInput(product, 2)],
            actor=staff[Role.CLERK],
        )
        line = order.lines.get()
        assert (line.unit_price, line.price_source, line.price_list) == (
            D("9.00"),
            PriceSource.CUSTOMER_LIST,
            entry.price_list,
        )

    def test_a_manual_price_needs_a_reason_and_the_permission(
        self, product, customer, staff
    ):
        manual = pricing.LineInput(product, 1, unit_price=D("7.77"))
        with pytest.raises(InvalidOrder, match="needs a reason"):
            services.order_place(
                customer=customer,
                channel="phone",
                lines=[manual],
                actor=staff[Role.CLERK],
            )
        manual = pricing.LineInput(
            product, 1, unit_price=D("7.77"), price_reason="Matched a competitor"
        )
        with pytest.raises(TransitionForbidden):
            services.order_place(
                customer=customer,
                channel="phone",
                lines=[manual],
                actor=staff[Role.WAREHOUSE],
            )
        order = services.order_place(
            customer=customer, channel="phone", lines=[manual], actor=staff[Role.CLERK]
        )
        line = order.lines.get()
        assert (line.price_source, line.price_reason) == (
            PriceSource.MANUAL,
            "Matched a competitor",
        )

    def test_verification_lists_prices_that_differ_from_the_rules(
        self, product, customer
    ):
        order = services.order_place(
            customer=customer, channel="web", lines=[pricing.LineInput(product, 1)]
        )
        assert pricing.price_mismatches(order=order) == []
        product.unit_price = D("11.00")
        product.save()
        [mismatch] = pricing.price_mismatches(order=order)
        assert (mismatch["captured"], mismatch["rules"]) == (D("10.00"), D("11.00"))


class TestRounding:
    def test_half_up_to_the_cent(self):
        assert [pricing.cents(D(v)) for v in ("0.005", "0.015", "2.675", "-0.005")] == [
            D("0.01"),
            D("0.02"),
            D("2.68"),
            D("-0.01"),
        ]

    def test_spread_adds_up_exactly_and_gives_the_remainder_to_the_largest(self):
        shares = pricing.spread(D("10.00"), [D("1.00"), D("1.00"), D("1.00")])
        assert sum(shares) == D("10.00")
        assert shares == [D("3.34"), D("3.33"), D("3.33")]
        assert pricing.spread(D("0.01"), [D("5"), D("20")]) == [D("0.00"), D("0.01")]

    @pytest.mark.django_db
    def test_tax_on_net_prices(self):
        assert pricing.tax_on(D("10.05"), D("0.19")) == D("1.91")  # 1.9095

    @pytest.mark.django_db
    @override_settings(ORDERS_PRICES_INCLUDE_TAX=True)
    def test_tax_in_gross_prices(self):
        assert pricing.tax_on(D("11.90"), D("0.19")) == D("1.90")
        assert pricing.tax_on(D("10.00"), D("0.07")) == D("0.65")  # 10 - 9.35


@pytest.mark.django_db
class TestTotals:
    def _order(self, lines, country="DE", shipping="4.90"):
        customer = CustomerFactory(shipping_country=country)
        return services.order_place(
            customer=customer,
            channel="web",
            lines=[
                pricing.LineInput(ProductFactory(unit_price=D(p), tax_class_id=c), q)
                for p, q, c in lines
            ],
            shipping_total=D(shipping),
        )

    def test_taxes_per_class_and_country(self):
        order = self._order(
            [("10.00", 1, "standard"), ("10.00", 1, "reduced"), ("10.00", 1, "zero")],
            country="AT",
        )
        assert [line.tax_amount for line in order.lines.order_by("pk")] == [
            D("2.00"),
            D("1.00"),
            D("0.00"),
        ]
        assert order.tax_total == D("2.00") + D("1.00") + D(
            "0.98"
        )  # shipping at AT standard 20 %
        assert order.total == D("30.00") + D("4.90") + order.tax_total

    def test_a_missing_rate_is_a_clear_error(self):
        with pytest.raises(InvalidOrder, match="No tax rate is configured"):
            self._order([("10.00", 1, "standard")], country="JP")

    @override_settings(ORDERS_PRICES_INCLUDE_TAX=True)
    def test_gross_prices_include_tax_in_the_total(self):
        order = self._order([("11.90", 1, "standard")], shipping="0")
        assert (order.tax_total, order.total) == (D("1.90"), D("11.90"))

    def test_discounts_are_spread_before_tax(self, staff):
        order = self._order(
            [("10.00", 1, "standard"), ("20.00", 1, "reduced")], shipping="0"
        )
        discounts.discount_staff_grant(
            order=order,
            kind="percent",
            value=D("10"),
            reason="Loyal customer",
            actor=staff[Role.CLERK],
        )
        order.refresh_from_db()
        lines = list(order.lines.order_by("pk"))
        assert [line.discount_amount for line in lines] == [D("1.00"), D("2.00")]
        assert [line.tax_amount for line in lines] == [
            D("1.71"),
            D("1.26"),
        ]  # 9.00×19 %, 18.00×7 %
        assert (order.subtotal, order.discount_total) == (D("30.00"), D("3.00"))
        assert order.total == D("27.00") + D("2.97")

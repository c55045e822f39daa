"""Phone and email order entry: nothing saved until the whole order is valid."""

from decimal import Decimal

import pytest
from django.urls import reverse

from orders.models import Customer, Order, PriceSource
from orders.permissions import Role
from tests.factories.inventory import ProductFactory
from tests.factories.orders import CustomerFactory

URL = reverse("orders:new")


def post(client, lines, **header):
    data = {
        "channel": "phone",
        "reference": "Call from Ms Rossi",
        "shipping": "4.90",
        "lines-TOTAL_FORMS": str(len(lines)),
        "lines-INITIAL_FORMS": "0",
        **header,
    }
    for i, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{i}-{key}"] = value
    return client.post(URL, data)


@pytest.fixture
def clerk(client, staff):
    client.force_login(staff[Role.CLERK])
    return client


@pytest.mark.django_db
def test_a_clerk_enters_an_order_for_a_known_customer(clerk):
    customer = CustomerFactory(email="rossi@example.com")
    ProductFactory(sku="BEANS-1", unit_price=Decimal("10.00"))
    response = post(
        clerk, [{"sku": "beans-1", "quantity": "2"}], email="ROSSI@example.com"
    )
    order = Order.objects.get()
    assert response.url == reverse("orders:detail", args=[order.number])
    assert (order.customer, order.channel, order.channel_reference) == (
        customer,
        "phone",
        "Call from Ms Rossi",
    )
    assert order.lines.get().price_source == PriceSource.CATALOGUE


@pytest.mark.django_db
def test_a_known_customer_may_have_this_order_shipped_elsewhere(clerk):
    customer = CustomerFactory(email="rossi@example.com")
    ProductFactory(sku="BEANS-1")
    post(clerk, [{"sku": "BEANS-1", "quantity": "1"}], email="rossi@example.com")
    post(
        clerk,
        [{"sku": "BEANS-1", "quantity": "1"}],
        email="rossi@example.com",
        address="Büro Rossi\nRingstraße 3\n1010 Wien",
        country="at",
    )
    on_file, elsewhere = Order.objects.order_by("pk")
    assert (on_file.shipping_address, on_file.shipping_country) == (
        customer.shipping_address,
        customer.shipping_country,
    )
    assert (elsewhere.shipping_address, elsewhere.shipping_country) == (
        "Büro Rossi\nRingstraße 3\n1010 Wien",
        "AT",
    )
    customer.refresh_from_db()
    assert customer.shipping_country == "DE"  # the address on file is unchanged


@pytest.mark.django_db
def test_a_new_customer_and_a_manual_price(clerk):
    ProductFactory(sku="BEANS-1")
    post(
        clerk,
        [
            {
                "sku": "BEANS-1",
                "quantity": "1",
                "unit_price": "7.50",
                "price_reason": "Price match",
            }
        ],
        email="new@example.com",
        name="New Person",
        address="Weg 1\n10115 Berlin",
        country="de",
    )
    line = Order.objects.get().lines.get()
    assert (line.unit_price, line.price_source, line.price_reason) == (
        Decimal("7.50"),
        PriceSource.MANUAL,
        "Price match",
    )
    assert Customer.objects.get(email="new@example.com").shipping_country == "DE"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("lines", "header", "message"),
    [
        (
            [{"sku": "NOPE", "quantity": "1"}],
            {"email": "a@example.com", "name": "A", "address": "X", "country": "DE"},
            "Unknown SKU",
        ),
        (
            [{"sku": "BEANS-1", "quantity": "1", "unit_price": "5"}],
            {"email": "a@example.com", "name": "A", "address": "X", "country": "DE"},
            "A manual price needs a reason.",
        ),
        (
            [{"sku": "", "quantity": ""}],
            {"email": "a@example.com", "name": "A", "address": "X", "country": "DE"},
            "Add at least one line.",
        ),
        (
            [{"sku": "BEANS-1", "quantity": "1"}],
            {"email": "new@example.com"},
            "Needed for a new customer.",
        ),
    ],
)
def test_bad_input_saves_nothing(clerk, lines, header, message):
    ProductFactory(sku="BEANS-1")
    response = post(clerk, lines, **header)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Order.objects.exists()
    assert not Customer.objects.filter(email="a@example.com").exists()


@pytest.mark.django_db
def test_only_clerks_and_managers_enter_orders(client, staff):
    for role, expected in [
        (Role.WAREHOUSE, 403),
        (Role.VERIFIER, 403),
        (Role.CLERK, 200),
        (Role.MANAGER, 200),
    ]:
        client.force_login(staff[role])
        assert client.get(URL).status_code == expected, role


@pytest.mark.django_db
def test_the_total_is_shown_before_saving_by_the_services_that_save(clerk):
    from orders.money.pricing_models import PriceList, PriceListEntry

    customer = CustomerFactory(email="rossi@example.com", shipping_country="DE")
    beans = ProductFactory(sku="BEANS-1", unit_price=Decimal("10.00"))
    agreed = PriceList.objects.create(name="Rossi", customer=customer)
    PriceListEntry.objects.create(
        price_list=agreed, product=beans, unit_price=Decimal("8.00")
    )
    lines = [{"sku": "BEANS-1", "quantity": "3"}]
    response = post(clerk, lines, email="rossi@example.com", preview="1")
    assert response.status_code == 200 and not Order.objects.exists()
    quote = response.context["quote"]
    html = response.content.decode()
    assert "data-quote-total" in html
    # what saving then charges is exactly what was shown (the customer's price)
    post(clerk, lines, email="rossi@example.com")
    order = Order.objects.get()
    assert order.total == quote.total and order.tax_total == quote.tax_total
    assert order.lines.get().unit_price == Decimal("8.00")
    # a new customer is quoted the catalogue, never another customer's list
    response = post(
        clerk,
        lines,
        email="new@example.com",
        name="New Person",
        address="1 Road\n10115 Berlin",
        country="DE",
        preview="1",
    )
    assert response.context["quote"].quoted_lines[0].unit_price == Decimal("10.00")
    assert Order.objects.count() == 1


@pytest.mark.django_db
def test_add_more_lines_keeps_what_was_typed_and_saves_nothing(clerk):
    ProductFactory(sku="BEANS-1")
    response = post(
        clerk,
        [{"sku": "BEANS-1", "quantity": "2"}],
        email="rossi@example.com",
        more_lines="1",
    )
    formset = response.context["lines"]
    assert len(formset.forms) == 6
    assert formset.forms[0]["sku"].value() == "BEANS-1"
    assert not Order.objects.exists()
    # a tampered count never makes more than the formset's maximum
    response = post(
        clerk,
        [],
        email="x@example.com",
        more_lines="1",
        **{"lines-TOTAL_FORMS": "999999"},
    )
    assert len(response.context["lines"].forms) <= 100

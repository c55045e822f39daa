"""Order entry finds known customers by what a caller reads out, and fills the form."""

import pytest
from django.urls import reverse

from orders.customer.selectors import customers_matching
from orders.permissions import Role
from tests.factories.orders import CustomerFactory

NEW = reverse("orders:new")


@pytest.fixture
def anna(db):
    return CustomerFactory(
        name="Anna Schmidt",
        email="anna.schmidt@example.com",
        phone="+49 30 1234567",
        shipping_address="Hauptstr. 5\n10115 Berlin",
        shipping_country="DE",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "term",
    [
        "anna.sch",
        "ANNA.SCHMIDT@",
        "schmi",
        "1234567",
        "10115",
        # the phone as a caller reads it out, however it was written down
        "030 1234567",
        "(030) 123-45 67",
        "+49 30 123 4567",
        "0049 30 1234567",
    ],
)
def test_found_by_email_name_phone_or_postcode(anna, term):
    CustomerFactory(
        name="Bob Other",
        email="bob@example.com",
        phone="",
        shipping_address="1 Other Road\n80331 Munich",
    )
    assert [c.pk for c in customers_matching(term)] == [anna.pk]


@pytest.mark.django_db
def test_many_matches_show_the_first_and_say_there_are_more(client, staff):
    for i in range(10):
        CustomerFactory(
            name=f"Berlin Customer {i:02d}", shipping_address="10115 Berlin"
        )
    found = customers_matching("10115", limit=8)
    assert len(found) == 8 and found.more
    assert [c.name for c in found][:2] == ["Berlin Customer 00", "Berlin Customer 01"]
    assert not customers_matching("Customer 09", limit=8).more
    client.force_login(staff[Role.CLERK])
    html = client.get(reverse("orders:customer_picker"), {"find": "10115"})
    assert "type more of the name" in html.content.decode()


@pytest.mark.django_db
def test_a_postcode_with_letters_and_a_name_with_digits_in_it(anna):
    uk = CustomerFactory(
        name="Flat 3 Ltd", phone="", shipping_address="10 Downing St\nSW1A 2AA London"
    )
    assert [c.pk for c in customers_matching("sw1a 2aa")] == [uk.pk]
    assert [c.pk for c in customers_matching("flat 3")] == [uk.pk]
    # digits inside words are not read as a phone number
    assert customers_matching("anna 30") == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "term", ["", "a", " ", "%", "_", "x" * 10_000, "'; --", "000", "+ - ( ) / ."]
)
def test_hostile_or_tiny_terms_match_nobody(anna, term):
    assert customers_matching(term) == []


@pytest.mark.django_db
def test_matches_show_recent_orders_in_two_queries(
    anna, place, django_assert_max_num_queries
):
    orders = [place(customer=anna) for _ in range(5)]
    with django_assert_max_num_queries(2):
        [found] = customers_matching("anna")
        recent = [o.number for o in found.recent_orders]
    assert recent == [o.number for o in reversed(orders)][:3]


@pytest.mark.django_db
def test_the_entry_page_finds_and_fills_without_javascript(client, staff, anna):
    client.force_login(staff[Role.CLERK])
    html = client.get(NEW, {"find": "schmidt"}).content.decode()
    assert "Anna Schmidt" in html and f"?customer={anna.pk}" in html
    html = client.get(NEW, {"find": "nobody-like-this"}).content.decode()
    assert "No customer matches" in html and "fill in a new customer" in html
    form = client.get(NEW, {"customer": anna.pk}).context["form"]
    assert form["email"].value() == anna.email
    assert form["address"].value() == anna.shipping_address
    for bad in ("abc", "9" * 30, "0"):
        response = client.get(NEW, {"customer": bad})
        assert response.status_code == 200
        assert response.context["form"]["email"].value() in (None, "")
    # the fragment the page fetches as you type
    fragment = client.get(reverse("orders:customer_picker"), {"find": "anna"})
    assert "data-pick-customer" in fragment.content.decode()
    client.force_login(staff[Role.WAREHOUSE])
    assert (
        client.get(reverse("orders:customer_picker"), {"find": "anna"}).status_code
        == 403
    )


@pytest.mark.django_db
def test_sku_suggestions_as_you_type(client, staff):
    from orders.staff.entry import DATALIST_PRODUCTS
    from tests.factories.inventory import ProductFactory

    ProductFactory(sku="CF-2001", name="Ethiopia Yirgacheffe")
    ProductFactory(sku="CF-2002", name="Kenya AA")
    ProductFactory(sku="TEA-1", name="Green tea", active=False)
    client.force_login(staff[Role.CLERK])
    url = reverse("orders:product_picker")
    assert "CF-2001" in client.get(url, {"sku": "cf-20"}).content.decode()
    by_name = client.get(url, {"sku": "kenya"}).content.decode()
    assert "CF-2002" in by_name and "CF-2001" not in by_name
    assert "TEA-1" not in client.get(url, {"sku": "tea"}).content.decode()
    for hostile in ("x" * 10_000, "%", "<script>"):
        assert client.get(url, {"sku": hostile}).status_code == 200
    page = client.get(NEW).context["skus"]
    assert (
        len(page) <= DATALIST_PRODUCTS and ("CF-2001", "Ethiopia Yirgacheffe") in page
    )

"""The returns analytics: rates by dimension over the delivered cohort, alerts
above a threshold, time to refund, grades and feedback, the page and its CSV."""

from decimal import Decimal as D

import pytest
from django.urls import reverse

from orders.core.models import OrderStatus as S
from orders.permissions import Role
from returns import analytics, services
from returns.models import ReturnAlertRule
from tests.factories.inventory import ProductFactory
from tests.returns.test_returns import inspected, received, request

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipped_and_returned(order_in, staff):
    """Two products, 10 units each delivered; 3 mugs came back (wrong item), 1 bowl."""
    mug = ProductFactory(sku="MUG", category="Kitchen", unit_price=D("10.00"))
    bowl = ProductFactory(sku="BOWL", category="Kitchen", unit_price=D("10.00"))
    mugs, bowls = (
        order_in(S.DELIVERED, lines=[(mug, 10)]),
        order_in(S.DELIVERED, lines=[(bowl, 10)]),
    )
    rma = inspected(received(request(mugs, 3, reason="wrong_item"), staff), staff)
    rma = services.return_refund(rma=rma, actor=staff[Role.RETURNS])
    services.return_feedback(rma=rma, easy=True, resolved=False, comment="Took long")
    request(bowls, 1)
    return mugs, bowls


def test_rates_by_dimension_over_the_units_delivered(shipped_and_returned):
    review = analytics.returns_review(days=30)
    assert review["delivered"] == 20 and review["returned"] == 4
    assert review["rate"] == D("20.0")
    products = {r["key"]: r for r in review["tables"]["product"]}
    assert products["MUG"]["rate"] == D("30.0") and products["BOWL"]["rate"] == D(
        "10.0"
    )
    assert review["tables"]["product"][0]["key"] == "MUG"  # worst first
    assert review["tables"]["category"][0]["key"] == "Kitchen"
    reasons = {r["code"]: r["returned"] for r in review["tables"]["reason"]}
    assert reasons == {"wrong_item": 3, "no_longer_needed": 1}
    assert review["tables"]["warehouse"][0]["returned"] == 4
    packers = {r["key"]: r["returned"] for r in review["tables"]["packer"]}
    assert sum(packers.values()) == 4 and "warehouse" in packers
    assert review["refunded_count"] == 1 and review["refunded_total"] > 0
    assert review["days_to_refund"] is not None
    assert dict(review["grades"])["A – as new"] == 3
    assert review["feedback"]["answers"] == 1 and review["feedback"]["easy"] == 100


def test_a_product_above_its_alert_threshold_is_flagged(shipped_and_returned):
    rule = ReturnAlertRule.objects.get(reason="wrong_item")  # 2 %, from the migration
    rule.min_units = 5
    rule.save()
    alerts = analytics.returns_review(days=30)["alerts"]
    assert [(a["sku"], a["rate"]) for a in alerts] == [("MUG", D("30.0"))]
    rule.min_units = 50  # too few delivered to say
    rule.save()
    assert analytics.returns_review(days=30)["alerts"] == []


def test_the_page_is_for_managers_and_gives_each_table_as_csv(
    client, staff, shipped_and_returned
):
    url = reverse("returns:analytics")
    client.force_login(staff[Role.RETURNS])
    assert client.get(url).status_code == 403
    client.force_login(staff[Role.MANAGER])
    page = client.get(url, {"days": "9999999999999"}).content.decode()
    assert 'data-figure="rate">20.0 %' in page and "chart-returns-week" in page
    response = client.get(url, {"csv": "product"})
    csv = b"".join(response.streaming_content).decode()
    assert csv.splitlines()[1].startswith("MUG,10,3,30.0")

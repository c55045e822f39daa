"""Every dashboard card opens exactly the orders or stock rows it counts (on the demo data)."""

import re
from html import unescape

import pytest
from django.test import Client

from orders.permissions import Role

CARD = re.compile(
    r'<a class="card[^"]*" href="(?P<href>[^"]+)"[^>]*>.*?'
    r"data-card-count>(?P<count>\d+)<",
    re.S,
)


def listed(client, href: str) -> int:
    """How many rows the linked page lists (its paginator's count, else its rows)."""
    response = client.get(href)
    assert response.status_code == 200, href
    page = response.context.get("page")
    if page is not None:
        return page.paginator.count
    for key in ("items", "orders", "rows"):
        if key in response.context:
            return len(list(response.context[key]))
    raise AssertionError(f"no list found on {href}")


@pytest.mark.django_db
def test_every_card_count_equals_what_its_link_lists(demo_data):
    from django.contrib.auth import get_user_model

    client = Client()
    client.force_login(get_user_model().objects.get(username=Role.MANAGER))
    html = unescape(client.get("/staff/").content.decode())
    cards = [(m["href"], int(m["count"])) for m in CARD.finditer(html)]
    assert len(cards) >= 14, cards  # ten queues, two customer queues, stock cards
    wrong = {
        href: (count, listed(client, href))
        for href, count in cards
        if listed(client, href) != count
    }
    assert wrong == {}
    # the queues that both opened every placed order now differ
    hrefs = [href for href, _count in cards]
    assert any("queue=to_verify" in h for h in hrefs)
    assert any("queue=second_check" in h for h in hrefs)

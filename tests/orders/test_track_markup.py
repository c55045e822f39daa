"""The customer's status page markup: a plain <title>, the email choice in the body."""

import re

import pytest
from django.urls import reverse

TITLE = re.compile(r"<title>(.*?)</title>", re.S)
BODY = re.compile(r"<body[^>]*>(.*)</body>", re.S)


@pytest.mark.django_db
def test_the_title_is_only_the_order_number_and_the_email_form_is_in_the_body(
    client, place
):
    order = place()
    url = reverse("track:order", args=[order.tracking_token])
    response = client.get(url)
    assert response.status_code == 200
    html = response.content.decode()

    titles = TITLE.findall(html)
    assert len(titles) == 1, titles
    title = titles[0]
    assert " ".join(title.split()) == f"Order {order.number}"
    assert "<form" not in title
    assert "csrfmiddlewaretoken" not in title
    assert "/track/" not in title

    body = BODY.search(html).group(1)
    emails_url = reverse("track:emails", args=[order.tracking_token])
    forms = re.findall(
        rf'<form method="post" action="{re.escape(emails_url)}"[^>]*>(.*?)</form>',
        body,
        re.S,
    )
    assert len(forms) == 1, forms
    assert 'name="csrfmiddlewaretoken"' in forms[0]
    assert 'name="optional"' in forms[0]

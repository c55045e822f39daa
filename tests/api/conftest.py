"""An API client holding a key, and a few products in stock."""

import json

import pytest
from django.test import Client

from ordersite.api.models import Scope
from ordersite.api.services import api_key_create
from tests.factories.inventory import ProductFactory

ALL_SCOPES = list(Scope.values)


class Api:
    """A test client that speaks JSON with an API key."""

    def __init__(self, raw_key: str | None):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"} if raw_key else {}
        self.client = Client(**headers)

    def post(self, path, body, **headers):
        data = body if isinstance(body, (str, bytes)) else json.dumps(body, default=str)
        return self.client.post(
            path, data, content_type="application/json", **_meta(headers)
        )

    def get(self, path, params=None, **headers):
        return self.client.get(path, params or {}, **_meta(headers))


def _meta(headers):
    return {"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()}


@pytest.fixture
def key(db):
    return api_key_create(name="Test shop", scopes=ALL_SCOPES)


@pytest.fixture
def api(key):
    return Api(key[1])


@pytest.fixture
def products(db, stock):
    made = [ProductFactory(sku=f"API-{i}") for i in range(3)]
    for p in made:
        stock(p, 50)
    return made


@pytest.fixture
def order_body(products):
    def make(**overrides):
        body = {
            "reference": "SHOP-1001",
            "customer": {"email": "ada@example.com", "name": "Ada Lovelace"},
            "shipping": {
                "address": "12 St James's Sq\nLondon SW1Y 4JH",
                "country": "DE",
            },
            "lines": [
                {"sku": products[0].sku, "quantity": 2},
                {"sku": products[1].sku, "quantity": 1},
            ],
        }
        body.update(overrides)
        return body

    return make

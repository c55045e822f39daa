"""A schema-driven fuzzer over the API: whatever a client sends, never a 500.

schemathesis generates requests from the committed OpenAPI schema (valid ones
and, in its negative mode, invalid ones: wrong types, missing fields, huge
values) and sends them to the app through WSGI with a key holding every scope.
Examples are bounded so the suite stays fast; the seed is fixed so a failure
can be repeated.
"""

from pathlib import Path

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from ordersite.api.services import api_key_create
from tests.api.conftest import ALL_SCOPES
from tests.factories.inventory import ProductFactory

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"

schema = schemathesis.openapi.from_path(str(SCHEMA))
schema.app = get_wsgi_application()


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Django closes database connections after each WSGI request; the test's
    transaction must survive them (Django's own test client does the same)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def raw_key(db):
    ProductFactory(sku="FUZZ-1")
    return api_key_create(name="Fuzzer", scopes=ALL_SCOPES, rate_per_minute=100_000)[1]


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_request_makes_the_api_fail(case, raw_key):
    response = case.call(headers={"Authorization": f"Bearer {raw_key}"})
    assert response.status_code < 500, (case.path, case.method, response.text[:500])
    headers = {k.lower(): v for k, v in response.headers.items()}
    assert headers["content-type"][0].startswith("application/"), (
        case.method,
        case.formatted_path,
        response.status_code,
    )
    if response.status_code == 403:
        print("403", case.method, case.path, response.text[:300])
    case.validate_response(response, checks=[not_a_server_error])

"""The committed OpenAPI schema is the one the code produces, and it is served."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command

SCHEMA = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.yaml"


@pytest.mark.django_db
def test_the_committed_schema_matches_the_code(tmp_path):
    fresh = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(fresh), "--validate", "--fail-on-warn")
    assert fresh.read_text() == SCHEMA.read_text(), (
        "The API changed: run `make schema` and commit docs/api/openapi.yaml."
    )


@pytest.mark.django_db
def test_the_schema_and_its_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/orders/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    # no address on another host (a random token may well contain "cdn")
    assert not re.search(r"(src|href)=[\"']?(https?:)?//", docs, re.IGNORECASE)
    assert "unpkg.com" not in docs.lower() and "jsdelivr" not in docs.lower()

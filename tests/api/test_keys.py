"""API keys: shown once, stored hashed, scoped, revocable, rate limited; never a
staff password."""

import base64

import pytest
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from ordersite.api.models import ApiKey, key_hash
from ordersite.api.services import KeyNotCreated, api_key_create, api_key_revoke
from tests.api.conftest import Api

STOCK = "/api/v1/stock/?sku=X"


@pytest.mark.django_db
def test_a_key_is_stored_only_as_its_hash():
    key, raw = api_key_create(name="Shop", scopes=["inventory:read"])
    assert raw.startswith(key.prefix + "_") and len(raw) > 40
    stored = ApiKey.objects.get(pk=key.pk)
    assert stored.hashed == key_hash(raw) and raw not in str(stored.__dict__)
    with pytest.raises(KeyNotCreated):
        api_key_create(name="Shop 2", scopes=["orders:delete"])
    with pytest.raises(KeyNotCreated):
        api_key_create(name="", scopes=["orders:read"])


@pytest.mark.django_db
def test_unknown_tampered_revoked_or_missing_keys_are_401(staff):
    key, raw = api_key_create(name="Shop", scopes=["inventory:read"])
    assert Api(raw).get(STOCK).status_code == 200
    for bad in (raw[:-1] + ("A" if raw[-1] != "A" else "B"), "osk_", "x" * 5000, ""):
        response = Api(bad or None).get(STOCK)
        assert response.status_code == 401, bad
        assert response["WWW-Authenticate"].startswith("Bearer")
    # a staff member's password is never an API credential
    user = staff["manager"]
    user.set_password("secret-pass-123")
    user.save()
    basic = base64.b64encode(f"{user.username}:secret-pass-123".encode()).decode()
    assert Client().get(STOCK, HTTP_AUTHORIZATION=f"Basic {basic}").status_code == 401
    client = Client()
    client.force_login(user)  # nor is a staff session
    assert client.get(STOCK).status_code == 401
    api_key_revoke(key=key, actor=user)
    assert Api(raw).get(STOCK).status_code == 401
    assert ApiKey.objects.get(pk=key.pk).revoked_by == user


@pytest.mark.django_db
def test_each_endpoint_needs_its_scope():
    _key, raw = api_key_create(name="Reader", scopes=["orders:read"])
    api = Api(raw)
    assert api.get("/api/v1/orders/").status_code == 200
    refused = api.post("/api/v1/orders/", {})
    assert refused.status_code == 403 and "orders:write" in refused.json()["detail"]
    assert api.get(STOCK).status_code == 403


@pytest.mark.django_db
@override_settings(
    CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
)
def test_too_many_requests_are_429_with_retry_after():
    key, raw = api_key_create(name="Busy", scopes=["inventory:read"], rate_per_minute=3)
    api = Api(raw)
    codes = [api.get(STOCK).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    response = api.get(STOCK)
    assert response["Retry-After"] == "60" and response.json()["code"] == "rate_limited"
    # another key has its own allowance
    _other, raw2 = api_key_create(name="Calm", scopes=["inventory:read"])
    assert Api(raw2).get(STOCK).status_code == 200


@pytest.mark.django_db
def test_admins_create_a_key_in_the_admin_and_see_it_once(admin_client):
    response = admin_client.post(
        "/admin/ordersite/apikey/add/",
        {
            "name": "Shopify demo",
            "scopes": ["orders:write", "orders:read"],
            "rate_per_minute": 60,
        },
        follow=True,
    )
    [message] = [
        str(m) for m in response.context["messages"] if "copy it now" in str(m)
    ]
    raw = message.split(" is ", 1)[1].split(" ", 1)[0]
    key = ApiKey.objects.get(name="Shopify demo")
    assert key.hashed == key_hash(raw) and key.created_by.is_superuser
    page = admin_client.get(
        f"/admin/ordersite/apikey/{key.pk}/change/"
    ).content.decode()
    assert raw not in page and key.prefix in page
    admin_client.post(
        "/admin/ordersite/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    assert ApiKey.objects.get(pk=key.pk).revoked_at is not None
    assert get_user_model().objects.count() == 1

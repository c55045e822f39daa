"""Who calls the API (a key, never a staff password), what it may do, how often."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.permissions import BasePermission
from rest_framework.throttling import BaseThrottle

from ordersite import ratelimit
from ordersite.actors import Actor
from ordersite.api.models import ApiKey
from ordersite.api.services import api_key_find, api_key_used


class ApiKeyAuthentication(BaseAuthentication):
    """``Authorization: Bearer osk_…``: the request's ``auth`` is the ``ApiKey``."""

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise exceptions.AuthenticationFailed(
                _("Send the API key as “Authorization: Bearer <key>”.")
            )
        key = api_key_find(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed(_("Unknown or revoked API key."))
        api_key_used(key)
        return (None, key)

    def authenticate_header(self, request):
        return 'Bearer realm="ordersite"'


def caller(request) -> Actor:
    """The integration behind the request, as services record it."""
    return Actor.for_integration(request.auth.name)


class ScopeRequired(BasePermission):
    """The key must hold the scope the view names for the method (``scopes``)."""

    message = _("This API key does not have the scope this request needs.")
    code = "scope_missing"

    def has_permission(self, request, view):
        key = request.auth
        if not isinstance(key, ApiKey):
            raise exceptions.NotAuthenticated(_("Send an API key."))
        needed = getattr(view, "scopes", {}).get(request.method)
        if needed is None:
            # A method the endpoint does not have is answered 405 by the view.
            return True
        if not key.allows(needed):
            self.message = _("This API key needs the scope “%(scope)s”.") % {
                "scope": needed
            }
            return False
        return True


class KeyRateThrottle(BaseThrottle):
    """At most the key's ``rate_per_minute`` requests a minute (shared across
    processes through the cache, see ``ordersite.ratelimit``)."""

    window = 60

    def allow_request(self, request, view):
        key = request.auth
        if not isinstance(key, ApiKey):
            return True
        return ratelimit.allow(
            "api", key.prefix, limit=key.rate_per_minute, window=self.window
        )

    def wait(self):
        return self.window


class ApiKeyScheme(OpenApiAuthenticationExtension):
    """How the schema tells clients to authenticate."""

    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key an admin created for your integration "
            "(osk_…), sent as `Authorization: Bearer <key>`.",
        }

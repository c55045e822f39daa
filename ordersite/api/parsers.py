"""JSON in, strictly: amounts as exact decimals, a size limit, no NaN."""

import json
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.parsers import JSONParser


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


class StrictJSONParser(JSONParser):
    """Numbers with a fraction become ``Decimal`` (money is never a float), NaN and
    Infinity are refused, and a body over ``API_MAX_BODY_BYTES`` is not read."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_MAX_BODY_BYTES
        body = stream.read(limit + 1) if stream is not None else b""
        if len(body) > limit:
            raise PayloadTooLarge(
                _("The request body is larger than %(n)s bytes.") % {"n": f"{limit:,}"}
            )
        if not body.strip():
            raise exceptions.ParseError(_("The request body is empty."))
        try:
            data = json.loads(
                body.decode("utf-8"),
                parse_float=Decimal,
                parse_constant=_no_constants,
            )
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise exceptions.ParseError(
                _("The request body is not valid JSON: %(error)s") % {"error": exc}
            ) from None
        if _has_nul(data):
            # No text we keep may hold one (PostgreSQL refuses it in a text column).
            raise exceptions.ParseError(
                _("Text in the request may not contain NUL characters (\\u0000).")
            )
        return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False

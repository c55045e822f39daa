"""The ``Idempotency-Key`` header of the create endpoints: documented once, read
once, and its misuse answered the same way everywhere."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter

from ordersite.api.problems import Problem

MAX_KEY = 255


def key_parameter(what: str) -> OpenApiParameter:
    """The header in the schema; ``what`` is what the endpoint creates ("order")."""
    return OpenApiParameter(
        "Idempotency-Key",
        location=OpenApiParameter.HEADER,
        required=False,
        description=_(
            "Any string up to 255 characters: the same key again returns "
            "the first %(what)s; with a different body it is refused (422)."
        )
        % {"what": what},
    )


def key_of(request) -> str:
    """The request's key ("" without one); a longer one is a 422 problem."""
    key = request.headers.get("Idempotency-Key", "").strip()
    if len(key) > MAX_KEY:
        raise Problem(
            status_code=422,
            code="invalid_idempotency_key",
            detail=_("An Idempotency-Key has at most 255 characters."),
        )
    return key


def key_reused(what: str) -> Problem:
    """The problem for a key used before with another body."""
    return Problem(
        status_code=422,
        code="idempotency_key_reused",
        detail=_(
            "This Idempotency-Key was used with a different request body; "
            "use a new key for a new %(what)s."
        )
        % {"what": what},
    )

"""Every API error as an RFC 9457 problem: a status, a machine code, words for the
person who sent the request, and one entry per problem with its field's path."""

import logging

from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

logger = logging.getLogger(__name__)

PROBLEM_TYPE = "https://ordersite.dev/problems/"
CONTENT_TYPE = "application/problem+json"


class Problem(exceptions.APIException):
    """An error a view raises with its own status, code and field problems."""

    def __init__(self, *, status_code: int, code: str, detail: str, errors=()):
        self.status_code = status_code
        self.errors = list(errors)
        super().__init__(detail=detail, code=code)


def problem_body(status_code: int, code: str, detail: str, errors=()) -> dict:
    """An RFC 9457 document (``errors``: dicts of field, code, detail)."""
    body = {
        "type": PROBLEM_TYPE + code,
        "title": _title(status_code),
        "status": status_code,
        "code": code,
        "detail": str(detail),
    }
    if errors:
        body["errors"] = list(errors)
    return body


def problem(status_code: int, code: str, detail: str, errors=(), headers=None):
    """The DRF response for one problem."""
    response = Response(
        problem_body(status_code, code, detail, errors),
        status=status_code,
        headers=headers,
    )
    response.content_type = CONTENT_TYPE
    return response


def plain_problem(status_code: int, code: str, detail: str):
    """The same document from outside DRF (Django's error handlers, middleware)."""
    from django.http import JsonResponse

    return JsonResponse(
        problem_body(status_code, code, detail),
        status=status_code,
        content_type=CONTENT_TYPE,
    )


def _title(status_code: int) -> str:
    from http import HTTPStatus

    try:
        return HTTPStatus(status_code).phrase
    except ValueError:
        return "Error"


def field_errors(detail, path: str = "") -> list[dict]:
    """A serializer's nested errors as a flat list with JSON pointers."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            where = path if key == "non_field_errors" else f"{path}/{key}"
            out += field_errors(value, where)
        return out
    if isinstance(detail, list):
        if all(isinstance(d, exceptions.ErrorDetail) for d in detail):
            return [
                {"field": path or "/", "code": d.code, "detail": str(d)} for d in detail
            ]
        out = []
        for index, value in enumerate(detail):
            out += field_errors(value, f"{path}/{index}")
        return out
    return [
        {
            "field": path or "/",
            "code": getattr(detail, "code", "invalid"),
            "detail": str(detail),
        }
    ]


def problem_response(exc, context):
    """DRF's exception handler: whatever went wrong, a problem document."""
    if isinstance(exc, Problem):
        return problem(exc.status_code, exc.detail.code, exc.detail, exc.errors)
    if isinstance(exc, exceptions.ValidationError):
        errors = field_errors(exc.detail)
        return problem(
            status.HTTP_422_UNPROCESSABLE_ENTITY,
            "invalid_input",
            _("The request has %(n)s problem(s); nothing was written.")
            % {"n": len(errors)},
            errors,
        )
    if isinstance(exc, Http404):
        return problem(404, "not_found", _("Nothing was found at this address."))
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 60)
        return problem(
            429,
            "rate_limited",
            _("Too many requests with this key; try again in %(n)s seconds.")
            % {"n": wait},
            headers={"Retry-After": str(wait)},
        )
    if isinstance(exc, exceptions.APIException):
        headers = {}
        if isinstance(
            exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)
        ):
            headers["WWW-Authenticate"] = 'Bearer realm="ordersite"'
            exc.status_code = 401
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else "error"
        return problem(exc.status_code, code, _detail(exc.detail), headers=headers)
    if isinstance(exc, DatabaseError):
        logger.warning("Database error in the API; answered 503", exc_info=exc)
        return problem(
            503,
            "try_again",
            _("The database is busy; nothing was written. Try again."),
            headers={"Retry-After": "5"},
        )
    logger.error("Unexpected error in the API", exc_info=exc)
    return problem(500, "server_error", _("Something went wrong on our side."))


def _detail(detail) -> str:
    if isinstance(detail, (list, tuple)):
        return " ".join(str(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(f"{k}: {v}" for k, v in detail.items())
    return str(detail)

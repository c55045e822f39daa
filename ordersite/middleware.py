"""Request ids for support, and friendly error pages on the customer's side even under DEBUG."""

import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import DatabaseError
from django.http import Http404

logger = logging.getLogger("ordersite.errors")

# The customer's pages: never a technical error page, whatever DEBUG says.
CUSTOMER_PATHS = ("/track/",)


class RequestIdMiddleware:
    """Give every request a short id: in the ``X-Request-ID`` header, the logs and error pages.

    An id sent by a trusted proxy (``REQUEST_ID_HEADER``) is kept, so one request
    can be followed from the proxy's log to ours.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.META.get(settings.REQUEST_ID_HEADER, "")[:64]
        request.request_id = (
            incoming if incoming.replace("-", "").isalnum() else uuid.uuid4().hex[:16]
        )
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class CustomerErrorPagesMiddleware:
    """On the customer's pages, answer every failure with the friendly page, DEBUG or not."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not request.path.startswith(CUSTOMER_PATHS):
            return None
        from ordersite import views

        if isinstance(exception, Http404):
            return views.not_found(request, exception)
        if isinstance(exception, PermissionDenied):
            return views.forbidden(request, exception)
        logger.error(
            "Error on a customer page (request %s)",
            getattr(request, "request_id", "-"),
            exc_info=exception,
        )
        return views.server_error(request)


class DatabaseBusyMiddleware:
    """A database error that escaped a service (a deadlock, a lock or statement
    timeout, a lost connection) is answered with "try again", never a 500.

    The services run each change in one transaction, so what failed was rolled
    back; the page says so and offers the way back. The error is still logged.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, DatabaseError):
            return None
        from ordersite import views

        logger.warning(
            "Database error on %s %s (request %s); answered with try again",
            request.method,
            request.path,
            getattr(request, "request_id", "-"),
            exc_info=exception,
        )
        return views.try_again(request)


class NullCharacterMiddleware:
    """A request carrying a NUL character in its query or form values is refused
    with "could not be read" (400) before any view sees it.

    No person types one; PostgreSQL cannot store one in a text column, so a value
    that reached a save would end in a database error. Django's form fields refuse
    it already; this closes every other door (values read without a form, the
    query string) at once.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _carries_nul(request):
            from ordersite import views

            logger.info(
                "Refused a NUL character on %s %s (request %s)",
                request.method,
                request.path,
                getattr(request, "request_id", "-"),
            )
            return views.bad_request(request)
        return self.get_response(request)


def _carries_nul(request) -> bool:
    sources = [request.GET]
    if request.method == "POST":
        sources.append(request.POST)
    return "\x00" in request.path or any(
        "\x00" in key or any("\x00" in value for value in source.getlist(key))
        for source in sources
        for key in source
    )

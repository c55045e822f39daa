"""Pages that belong to no single audience: the landing page, the health probe, error pages."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from orders.core.selectors import order_status_counts


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The landing page: where to go, and for signed-in staff the orders per state."""
    context = {}
    if request.user.is_authenticated and request.user.is_staff:
        context["status_counts"] = order_status_counts()
    return render(request, "home.html", context)


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """A liveness probe that also proves the database answers."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def _audience(request) -> str:
    """Who an error page speaks to: staff (back office, admin) or a customer."""
    staff_paths = ("/staff/", "/admin/")
    return "staff" if request.path.startswith(staff_paths) else "customer"


API_ERRORS = {
    400: ("bad_request", _("The request could not be read.")),
    403: ("forbidden", _("This request is not allowed.")),
    404: ("not_found", _("Nothing was found at this address.")),
    500: ("server_error", _("Something went wrong on our side.")),
    503: ("try_again", _("The database is busy; nothing was written. Try again.")),
}


def _api_error(request, status: int):
    """For the API's clients the same errors as problem documents, never HTML."""
    if not request.path.startswith("/api/"):
        return None
    from ordersite.api.problems import plain_problem

    code, detail = API_ERRORS[status]
    return plain_problem(status, code, str(detail))


def _error(request, template: str, status: int) -> HttpResponse:
    if api := _api_error(request, status):
        return api
    context = {
        "audience": _audience(request),
        "request_id": getattr(request, "request_id", ""),
    }
    return HttpResponse(
        render_to_string(template, context, request=request), status=status
    )


def not_found(request, exception=None):
    """404: the page does not exist (or is not yours to see); a way back."""
    return _error(request, "errors/404.html", 404)


def forbidden(request, exception=None):
    """403: signed in, but this role may not."""
    return _error(request, "errors/403.html", 403)


def bad_request(request, exception=None):
    return _error(request, "errors/400.html", 400)


def server_error(request):
    """500: something broke on our side; the request id lets support find it.

    Rendered without a request context: the database may be what failed.
    """
    if api := _api_error(request, 500):
        return api
    context = {
        "audience": _audience(request),
        "request_id": getattr(request, "request_id", ""),
    }
    return HttpResponse(render_to_string("errors/500.html", context), status=500)


def try_again(request):
    """503: the database refused this time (a deadlock, a timeout); nothing was saved.

    Rendered without a request context, like the 500 page: the database is what
    failed. Staff get a link back to the page they came from (on this site only).
    """
    if api := _api_error(request, 503):
        api["Retry-After"] = "5"
        return api
    back = request.META.get("HTTP_REFERER", "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        back = ""
    context = {
        "audience": _audience(request),
        "request_id": getattr(request, "request_id", ""),
        "back": back,
    }
    response = HttpResponse(render_to_string("errors/busy.html", context), status=503)
    response["Retry-After"] = "5"
    return response

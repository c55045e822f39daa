"""Pages that belong to no single audience: the landing page and the health probe."""

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
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

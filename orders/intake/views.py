"""The webhook address of each online store: ``/hooks/stores/<slug>/``."""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from orders.intake import stores
from orders.intake.deliveries import delivery_receive
from orders.intake.models import Store


@csrf_exempt
@require_POST
def store_webhook(request, slug):
    """Check the signature on the raw body, keep the delivery, handle it.

    A wrong or missing signature is 401 and writes nothing. WooCommerce's ping
    when a webhook is saved (a form post ``webhook_id=…``, unsigned) is answered
    200 so the webhook can be registered, and writes nothing. Anything signed is
    kept and answered 200, also when it could not be handled: it waits for staff
    instead of being sent again and again.
    """
    store = get_object_or_404(Store, slug=slug[:50], active=True)
    body = request.body
    if len(body) > settings.API_MAX_BODY_BYTES * 4:
        return JsonResponse({"error": "too large"}, status=413)
    if (
        store.platform == Store.Platform.WOOCOMMERCE
        and body.startswith(b"webhook_id=")
        and not request.headers.get(stores.SIGNATURE_HEADER[store.platform])
    ):
        return HttpResponse("ok")
    if not stores.signed(store, body, request.headers):
        return JsonResponse({"error": "signature"}, status=401)
    topic = request.headers.get(stores.TOPIC_HEADER[store.platform], "")
    delivery = delivery_receive(
        store=store, topic=topic, body=body, headers=request.headers
    )
    return JsonResponse({"delivery": delivery.pk, "status": delivery.status})

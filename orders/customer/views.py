"""The customer's order-status page: no login, the tracking token is the key."""

import logging
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.db.models import prefetch_related_objects
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from orders.core.models import Order, OrderStatus
from orders.customer import services as customer_services
from orders.customer.models import OrderIssue
from orders.customer.selectors import open_problems
from orders.delays import compensation
from orders.delays import services as delays
from orders.delays.models import CompensationOffer, Delay
from orders.delays.selectors import case_of, choices_for
from orders.delays.services import STILL_COMING
from orders.events.timeline import timeline
from orders.exceptions import InvalidOrder, OrderError
from orders.money.position import money_position
from ordersite import ratelimit

logger = logging.getLogger(__name__)
S = OrderStatus
STEPS = [
    gettext_lazy("Placed"),
    gettext_lazy("Confirmed"),
    gettext_lazy("Packed"),
    gettext_lazy("Shipped"),
    gettext_lazy("Delivered"),
]
STEP_OF = {
    S.PLACED: 0,
    S.VERIFIED: 1,
    S.BACKORDERED: 1,
    S.ALLOCATED: 1,
    S.PAID: 1,
    S.PICKING: 1,
    S.PACKED: 2,
    S.SHIPPED: 3,
    S.DELIVERED: 4,
    S.COMPLETED: 4,
}


def private_page(view):
    """Keep the page out of search engines, other sites' referrers and shared caches.

    ``same-origin`` rather than ``no-referrer``: the tracking token never leaves
    for another site, while the browser still sends a real ``Origin`` on our own
    form posts (with ``no-referrer`` Chromium sends ``Origin: null`` and Django's
    CSRF check rightly refuses the post; the browser test caught it).
    """

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response["X-Robots-Tag"] = "noindex, nofollow"
        response["Referrer-Policy"] = "same-origin"
        return response

    return never_cache(wrapped)


def _order(token: str) -> Order:
    from django.db.models import OuterRef, Subquery

    from orders.events.models import OrderEvent

    # One query: the order, its customer, and its latest fact (the page's version).
    latest = OrderEvent.objects.filter(order=OuterRef("pk")).order_by("-id")
    order = (
        Order.objects.select_related("customer")
        .annotate(last_fact=Subquery(latest.values("id")[:1]))
        .filter(tracking_token=token)
        .first()
    )
    if order is None:
        raise Http404
    return order


class LookupForm(forms.Form):
    number = forms.CharField(label=gettext_lazy("Order number"), max_length=20)
    email = forms.EmailField(label=gettext_lazy("Email address"))


class ConfirmForm(forms.Form):
    rating = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you?"),
        choices=[
            (5, gettext_lazy("5 – excellent")),
            (4, gettext_lazy("4 – good")),
            (3, gettext_lazy("3 – all right")),
            (2, gettext_lazy("2 – poor")),
            (1, gettext_lazy("1 – very poor")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you want to tell us (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProblemForm(forms.Form):
    reason = forms.ChoiceField(
        label=gettext_lazy("What happened?"), choices=OrderIssue.Reason.choices
    )
    details = forms.CharField(
        label=gettext_lazy("Details"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class DelayChoiceForm(forms.Form):
    delay = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    choice = forms.ChoiceField(
        label=gettext_lazy("How would you like to go on?"),
        choices=Delay.Choice.choices,
        widget=forms.RadioSelect,
    )


class MessageForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Your message"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@private_page
def lookup(request):
    """Find an order by number and email; a wrong pair is told nothing about which part is wrong."""
    # Bound on every POST, an empty one too (it is answered with the form's errors).
    form = LookupForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not ratelimit.allow(
            "track-lookup",
            ratelimit.client_address(request),
            limit=settings.TRACK_LOOKUPS_PER_HOUR,
        ):
            form.add_error(None, _("Too many attempts. Please try again in an hour."))
            return render(request, "track/lookup.html", {"form": form}, status=429)
        if form.is_valid():
            order = Order.objects.filter(
                # numbers are stored upper-case: an exact, indexed match
                number=form.cleaned_data["number"].strip().upper(),
                customer__email__iexact=form.cleaned_data["email"].strip(),
            ).first()
            if order is not None:
                return redirect("track:order", token=order.tracking_token)
            form.add_error(
                None,
                _("We could not find an order with that number and email address."),
            )
    return render(request, "track/lookup.html", {"form": form})


def _public_address(order: Order) -> str:
    """Only the last line of the address (postcode and town) and the country."""
    last = [line for line in order.shipping_address.splitlines() if line.strip()][-1:]
    return ", ".join([*last, order.shipping_country])


# The status page is read far more often than it changes: its HTML is cached per
# order version and language, with a placeholder where each visitor's CSRF token
# goes (filled in on every request, so forms keep working for everyone).
PAGE_SECONDS = 3600
CSRF_PLACEHOLDER = "csrf-token-placeholder-0f6c1d"


def _page_version(token: str) -> tuple:
    """What the page's cache key is made of, in one small query (404 for an unknown token).

    It changes whenever anything the page shows changes: every change to an order
    records a fact (messages, payments, refunds, shipments, problems, corrections
    included), saves the order, or changes what its payments hold. A cached page
    never loads the order itself. The statement is fixed SQL, not built by the
    ORM per request: building it cost more than the rest of a cached page.
    """
    from django.db import connection

    from orders.customer.models import Customer
    from orders.events.models import OrderEvent

    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT o.updated_at, o.amount_held, c.notifications_opt_out,
                (SELECT MAX(e.id) FROM {OrderEvent._meta.db_table} e
                 WHERE e.order_id = o.id)
            FROM {Order._meta.db_table} o
            JOIN {Customer._meta.db_table} c ON c.id = o.customer_id
            WHERE o.tracking_token = %s
            """,  # noqa: S608 - table names from the models, the token a parameter
            [token],
        )
        version = cursor.fetchone()
    if version is None:
        raise Http404
    return version


def _page_key(token: str, version: tuple) -> str:
    from django.utils.translation import get_language

    updated_at, held, opted_out, last_fact = version
    return ":".join(
        str(part)
        for part in (
            "track-page",
            token,  # random: never another order's page
            last_fact or 0,
            updated_at,
            held,
            int(opted_out),
            get_language(),
        )
    ).replace(" ", "_")


def _cached(operation, *args):
    """A cache call that never fails the page: with Redis down it is rendered."""
    try:
        return operation(*args)
    except Exception:  # noqa: BLE001 - any cache failure degrades to rendering
        logger.warning("Status-page cache unavailable; rendering", exc_info=True)
        return None


@private_page
def order_page(request, token):
    from django.core.cache import cache
    from django.http import HttpResponse
    from django.middleware.csrf import get_token

    key = _page_key(token, _page_version(token))
    # A message waiting for this visitor (after one of their posts) makes the page
    # their own: render it, do not cache it.
    personal = len(messages.get_messages(request)) > 0
    html = None if personal else _cached(cache.get, key)
    if html is None:
        html = _render_order_page(request, _order(token)).content.decode()
        if not personal:
            _cached(cache.set, key, html, PAGE_SECONDS)
    return HttpResponse(html.replace(CSRF_PLACEHOLDER, get_token(request)))


def _render_order_page(request, order: Order):
    from orders.money.links import amount_due

    held = order.status == S.ON_HOLD
    status = order.held_from if held else order.status
    can_confirm = (
        order.status == S.DELIVERED
        and not hasattr(order, "feedback")
        and not open_problems().filter(order=order).exists()
    )
    # the order's delay cases, read once (their causes only when there are any)
    prefetch_related_objects([order], "delays__cause")
    delay = case_of(order)
    if delay is not None and not (
        delay.is_open and (delay.explained_at or delay.escalated_at)
    ):
        delay = None  # only what the customer has been told
    elif delay is not None and order.status not in STILL_COMING:
        delay = None  # delivered or cancelled: the delay is over for them
    delay_choices = [
        (choice, Delay.Choice(choice).label)
        for choice in (choices_for(delay, order) if delay else [])
    ]
    lines = list(order.lines.order_by("pk"))
    carriers = settings.ORDERS_CARRIER_TRACKING_URLS
    shipments = [
        (s, carriers.get(s.carrier, "").format(number=s.tracking_number) or None)
        for s in order.shipments.order_by("pk")
    ]
    return render(
        request,
        "track/order.html",
        {
            "csrf_token": CSRF_PLACEHOLDER,
            "order": order,
            "steps": STEPS,
            "step": STEP_OF.get(status, 0),
            "held": held,
            "cancelled": order.status == S.CANCELLED,
            "address": _public_address(order),
            "lines": lines,
            "position": money_position(order),
            "pay_due": amount_due(order),
            "shipments": shipments,
            "history": timeline(
                order,
                audience="customer",
                events=order.events.filter(customer_visible=True),
            ),
            "thread": order.messages.order_by("created_at", "pk"),
            "issues": order.issues.all(),
            "feedback": getattr(order, "feedback", None),
            "can_confirm": can_confirm,
            "ask_read_back": order.status in (S.PLACED, S.VERIFIED)
            and customer_services.read_back_awaits_answer(order),
            "delay": delay,
            "delay_choices": delay_choices,
            "offers": list(
                CompensationOffer.objects.filter(
                    delay__order=order,
                    status__in=[
                        CompensationOffer.Status.OFFERED,
                        CompensationOffer.Status.ACCEPTED,
                    ],
                ).select_related("product", "discount_code")
            )
            if order.delays.all()
            else [],
            **_returns_context(order, lines),
            "confirm_form": ConfirmForm(),
            "problem_form": ProblemForm(),
            "message_form": MessageForm(),
        },
    )


def _returns_context(order: Order, lines: list) -> dict:
    """The order's returns, and whether anything may still be returned (one query
    for a delivered order; the policy only if a return shows its address)."""
    from django.utils.functional import SimpleLazyObject

    from returns.models import COUNTING, ReturnPolicy
    from returns.selectors import returns_of

    if order.delivered_at is None or order.status == S.CANCELLED:
        return {"returns": [], "can_return": False}
    returns = returns_of(order)
    on_their_way = sum(
        line.quantity
        for rma in returns
        if rma.status in COUNTING
        for line in rma.lines.all()
    )
    return {
        "returns": returns,
        "policy": SimpleLazyObject(ReturnPolicy.current),
        "can_return": sum(line.quantity for line in lines) > on_their_way,
    }


def _act(request, token, form_class, action, done: str):
    order = _order(token)
    form = form_class(request.POST)
    if form.is_valid():
        try:
            action(order, form.cleaned_data)
        except OrderError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, done)
    else:
        messages.error(
            request, " ".join(e for errors in form.errors.values() for e in errors)
        )
    return redirect("track:order", token=order.tracking_token)


@require_POST
@private_page
def confirm(request, token):
    return _act(
        request,
        token,
        ConfirmForm,
        lambda o, d: customer_services.order_confirm_receipt(
            order=o, rating=d["rating"], comment=d["comment"]
        ),
        _("Thank you! Your order is complete."),
    )


@require_POST
@private_page
def problem(request, token):
    return _act(
        request,
        token,
        ProblemForm,
        lambda o, d: customer_services.order_report_problem(
            order=o, reason=d["reason"], details=d["details"]
        ),
        _("We are sorry. Our team will look at it and get back to you."),
    )


@require_POST
@private_page
def message(request, token):
    # Per order and per address: a burst of messages is stopped, each of which
    # would alert staff.
    order = _order(token)
    if not (
        ratelimit.allow(
            "track-message",
            order.tracking_token,
            limit=settings.TRACK_MESSAGES_PER_HOUR,
        )
        and ratelimit.allow(
            "track-message-from",
            ratelimit.client_address(request),
            limit=settings.TRACK_MESSAGES_PER_HOUR,
        )
    ):
        messages.error(
            request,
            _(
                "You have sent us several messages in a short time; we will answer them. "
                "Please write again later."
            ),
        )
        return redirect("track:order", token=order.tracking_token)
    return _act(
        request,
        token,
        MessageForm,
        lambda o, d: customer_services.message_from_customer(order=o, body=d["body"]),
        _("Message sent. We will answer here and by email."),
    )


@require_POST
@private_page
def delay_choice(request, token):
    """The customer's answer to a delay: wait, ship what is ready, or cancel."""

    def choose(order, data):
        delay = case_of(order)
        if delay is None or delay.pk != data["delay"]:
            raise InvalidOrder(_("This question has changed; please look again."))
        delays.delay_choose(delay=delay, choice=data["choice"])

    return _act(
        request,
        token,
        DelayChoiceForm,
        choose,
        _("Thank you. We have your answer and will go on as you chose."),
    )


class AcceptForm(forms.Form):
    offer = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


@require_POST
@private_page
def compensation_accept(request, token):
    """The customer accepts one of the offers made for a delay."""

    def accept(order, data):
        offer = CompensationOffer.objects.filter(
            pk=data["offer"], delay__order=order
        ).first()
        if offer is None:
            raise InvalidOrder(_("This offer is no longer open."))
        compensation.compensation_accept(offer=offer)

    return _act(
        request,
        token,
        AcceptForm,
        accept,
        _("Thank you for your patience. It is done."),
    )


@require_POST
@private_page
def email_preferences(request, token):
    order = _order(token)
    wanted = request.POST.get("optional") == "yes"
    customer_services.customer_set_optional_emails(order=order, wanted=wanted)
    messages.success(
        request,
        _("We will send you all updates about your orders.")
        if wanted
        else _("We will only send you emails you need about your orders."),
    )
    return redirect("track:order", token=order.tracking_token)


@require_POST
@private_page
def read_back(request, token):
    order = _order(token)
    correct = request.POST.get("answer") == "correct"
    try:
        customer_services.order_answer_read_back(
            order=order, correct=correct, details=request.POST.get("details", "")
        )
    except OrderError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("Thank you for checking.")
            if correct
            else _("Thank you. We will correct it and get back to you."),
        )
    return redirect("track:order", token=order.tracking_token)

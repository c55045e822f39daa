"""Dates and times read the same on staff pages, the customer's page, emails and invoices."""

import datetime as dt

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from orders.permissions import Role


def render(source, **context):
    return Template(source).render(Context(context))


def test_one_format_for_dates_and_times_in_the_configured_time_zone(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    when = dt.datetime(2026, 11, 29, 1, 25, tzinfo=dt.UTC)
    with timezone.override("Europe/Berlin"):
        assert (
            render('{{ w|date:"SHORT_DATETIME_FORMAT" }}', w=when)
            == "29 Nov 2026, 02:25"
        )
        assert render("{{ w }}", w=when) == "29 Nov 2026, 02:25"
    day = dt.date(2026, 11, 29)
    assert render('{{ d|date:"DATE_FORMAT" }}', d=day) == "29 Nov 2026"
    assert render('{{ d|date:"SHORT_DATE_FORMAT" }}', d=day) == "29 Nov 2026"
    assert render("{{ d }}", d=day) == "29 Nov 2026"


@pytest.mark.django_db
def test_the_same_date_on_the_list_the_status_page_and_the_email(
    client, staff, order_in
):
    order = order_in("shipped")
    day = timezone.localtime(order.placed_at).strftime("%-d %b %Y")
    client.force_login(staff[Role.CLERK])
    assert day in client.get(reverse("orders:list")).content.decode()
    assert (
        day
        in client.get(reverse("orders:detail", args=[order.number])).content.decode()
    )
    client.logout()
    assert (
        day
        in client.get(
            reverse("track:order", args=[order.tracking_token])
        ).content.decode()
    )
    for wrong in ("a.m.", "p.m.", "Nov. "):
        assert (
            wrong
            not in client.get(
                reverse("track:order", args=[order.tracking_token])
            ).content.decode()
        )

"""Business days and hours: weekends, holidays, the shop's time zone, lead times."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from orders.delays.calendar import Calendar
from orders.delays.promise import lead_time, promise_for
from tests.factories.inventory import WarehouseFactory
from tests.factories.orders import HolidayFactory, LeadTimeFactory

BERLIN = ZoneInfo("Europe/Berlin")
FRIDAY = date(2026, 12, 4)
MONDAY = date(2026, 12, 7)


def calendar(holidays=(), zone="Europe/Berlin", workday="09:00-17:00"):
    with override_settings(TIME_ZONE=zone, ORDERS_WORKDAY=workday):
        return Calendar.load(holidays=holidays)


def test_business_days_skip_the_weekend():
    cal = calendar()
    assert cal.add_business_days(FRIDAY, 0) == FRIDAY
    assert cal.add_business_days(FRIDAY, 1) == MONDAY
    assert cal.add_business_days(date(2026, 12, 5), 0) == MONDAY  # a Saturday
    assert cal.add_business_days(FRIDAY, 5) == date(2026, 12, 11)
    assert cal.subtract_business_days(MONDAY, 1) == FRIDAY
    assert cal.subtract_business_days(date(2026, 12, 6), 0) == FRIDAY  # a Sunday
    assert cal.business_days_between(FRIDAY, MONDAY) == 1


def test_holidays_are_not_business_days():
    cal = calendar(holidays=[date(2026, 12, 24), date(2026, 12, 25)])
    # Wednesday 23rd + 1 business day: 24th and 25th closed, then the weekend
    assert cal.add_business_days(date(2026, 12, 23), 1) == date(2026, 12, 28)
    assert cal.subtract_business_days(date(2026, 12, 28), 1) == date(2026, 12, 23)


def test_a_negative_count_is_refused():
    with pytest.raises(ValueError):
        calendar().add_business_days(FRIDAY, -1)
    with pytest.raises(ValueError):
        calendar().add_business_hours(datetime(2026, 12, 4, 10, tzinfo=UTC), -1)


def test_the_local_date_is_the_shops():
    # 23:30 UTC on Friday is already Saturday in Berlin, still Friday in New York
    late = datetime(2026, 12, 4, 23, 30, tzinfo=UTC)
    assert calendar().local_date(late) == date(2026, 12, 5)
    assert calendar(zone="America/New_York").local_date(late) == FRIDAY


def test_business_hours_run_over_the_night_and_the_weekend():
    cal = calendar()
    friday_4pm = datetime(2026, 12, 4, 16, 0, tzinfo=BERLIN)
    assert cal.add_business_hours(friday_4pm, 4) == datetime(
        2026, 12, 7, 12, 0, tzinfo=BERLIN
    )
    # started before opening: counted from 09:00
    early = datetime(2026, 12, 7, 6, 0, tzinfo=BERLIN)
    assert cal.add_business_hours(early, 2) == datetime(
        2026, 12, 7, 11, 0, tzinfo=BERLIN
    )
    # started on a Sunday: counted from Monday 09:00
    sunday = datetime(2026, 12, 6, 12, 0, tzinfo=BERLIN)
    assert cal.add_business_hours(sunday, 8) == datetime(
        2026, 12, 7, 17, 0, tzinfo=BERLIN
    )


def test_business_hours_across_a_daylight_saving_change():
    # Clocks went back on Sunday 25 October 2026 in Berlin: Friday 16:00 CEST + 2
    # business hours is Monday 10:00 CET, which is 09:00 UTC (not 08:00).
    cal = calendar()
    friday = datetime(2026, 10, 23, 16, 0, tzinfo=BERLIN)
    assert cal.add_business_hours(friday, 2) == datetime(2026, 10, 26, 9, 0, tzinfo=UTC)


def test_a_workday_that_closes_before_it_opens_is_refused():
    with pytest.raises(ValueError, match="ORDERS_WORKDAY"):
        calendar(workday="17:00-09:00")


@pytest.mark.django_db
def test_the_most_specific_lead_time_wins():
    main, other = WarehouseFactory(), WarehouseFactory()
    # the default row from the migration: 1 day to ship, 3 in transit
    assert lead_time() == (1, 3)
    assert lead_time(warehouse_id=main.pk) == (1, 3)
    LeadTimeFactory(warehouse=None, carrier="express", ship_days=0, transit_days=1)
    LeadTimeFactory(warehouse=main, carrier="", ship_days=2, transit_days=4)
    LeadTimeFactory(warehouse=main, carrier="express", ship_days=1, transit_days=2)
    assert lead_time(warehouse_id=main.pk) == (2, 4)
    assert lead_time(warehouse_id=main.pk, carrier="express") == (1, 2)
    assert lead_time(warehouse_id=other.pk, carrier="express") == (0, 1)
    assert lead_time(warehouse_id=other.pk) == (1, 3)


@pytest.mark.django_db
@override_settings(TIME_ZONE="Europe/Berlin")
def test_a_promise_counts_business_days_from_the_local_day_of_placement():
    HolidayFactory(day=date(2026, 12, 8), name="Shop closed")
    # placed on Friday evening: ships Monday (1 day), arrives Friday (3 days,
    # the Tuesday holiday skipped)
    promise = promise_for(placed_at=datetime(2026, 12, 4, 19, 0, tzinfo=BERLIN))
    assert (promise.ship_by, promise.estimated_delivery) == (
        MONDAY,
        date(2026, 12, 11),
    )
    # stock expected on Wednesday the 9th: ships the day after, arrives 3 days later
    later = promise_for(
        placed_at=datetime(2026, 12, 4, 19, 0, tzinfo=BERLIN),
        ready_on=date(2026, 12, 9),
    )
    assert (later.ship_by, later.estimated_delivery) == (
        date(2026, 12, 10),
        date(2026, 12, 15),
    )

"""Business days and business hours in the shop's time zone.

A business day is Monday to Friday and not a ``Holiday``; business hours are
``ORDERS_WORKDAY`` (e.g. "09:00-17:00") of business days, in ``TIME_ZONE``.
Dates are the shop's local dates: an order placed at 23:30 UTC is placed the
next day in Berlin. Local times are built with ``zoneinfo``, so a workday that
crosses a daylight-saving change still has its real length.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

# Bounds the walk: no promise or target reaches further than this.
HORIZON_DAYS = 3 * 366


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[date]
    zone: ZoneInfo
    opens: time
    closes: time

    @classmethod
    def load(cls, *, holidays=None) -> "Calendar":
        """The shop's calendar: its time zone, workday and holidays (one query)."""
        from orders.delays.models import Holiday

        if holidays is None:
            # Deadlines are counted from at most a few weeks back (an order in one
            # state longer than that is late by any target): older holidays are
            # not read.
            since = timezone.localdate() - timedelta(days=60)
            holidays = Holiday.objects.filter(day__gte=since).values_list(
                "day", flat=True
            )
        opens, closes = workday()
        return cls(
            holidays=frozenset(holidays),
            zone=ZoneInfo(settings.TIME_ZONE),
            opens=opens,
            closes=closes,
        )

    def is_business_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in self.holidays

    def local_date(self, moment: datetime) -> date:
        return timezone.localtime(moment, self.zone).date()

    def next_business_day(self, day: date) -> date:
        """``day`` itself if it is a business day, else the next one."""
        for _ in range(HORIZON_DAYS):
            if self.is_business_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("No business day within three years: check the holidays.")

    def add_business_days(self, day: date, days: int) -> date:
        """The business day ``days`` business days after ``day`` (0: ``day`` or the
        next business day)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = self.next_business_day(day)
        for _ in range(days):
            day = self.next_business_day(day + timedelta(days=1))
        return day

    def subtract_business_days(self, day: date, days: int) -> date:
        """The business day ``days`` business days before ``day`` (at most ``day``)."""
        for _ in range(HORIZON_DAYS):
            if self.is_business_day(day):
                break
            day -= timedelta(days=1)
        for _ in range(days):
            day -= timedelta(days=1)
            while not self.is_business_day(day):
                day -= timedelta(days=1)
        return day

    def business_days_between(self, start: date, end: date) -> int:
        """Business days after ``start`` up to and including ``end`` (0 if end ≤ start)."""
        count, day = 0, start
        while day < end:
            day += timedelta(days=1)
            count += self.is_business_day(day)
        return count

    # In UTC: arithmetic on two times of one zoneinfo zone ignores a
    # daylight-saving change between them.
    def _opening(self, day: date) -> datetime:
        return datetime.combine(day, self.opens, tzinfo=self.zone).astimezone(UTC)

    def _closing(self, day: date) -> datetime:
        return datetime.combine(day, self.closes, tzinfo=self.zone).astimezone(UTC)

    def add_business_hours(self, start: datetime, hours: float) -> datetime:
        """The moment ``hours`` business hours after ``start`` (an aware datetime)."""
        if hours < 0:
            raise ValueError("hours must not be negative")
        left = timedelta(hours=hours)
        cursor = start.astimezone(UTC)
        day = self.local_date(start)
        for _ in range(HORIZON_DAYS):
            if self.is_business_day(day):
                begin = max(cursor, self._opening(day))
                end = self._closing(day)
                if begin < end:
                    if left <= end - begin:
                        return begin + left
                    left -= end - begin
            day += timedelta(days=1)
            cursor = self._opening(day)
        raise ValueError("Target beyond three years of business hours.")

    def end_of(self, day: date) -> datetime:
        """The first moment after ``day`` (a promise for a day holds until then)."""
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.zone)


def workday() -> tuple[time, time]:
    """``ORDERS_WORKDAY`` ("HH:MM-HH:MM") as two times; refused at start-up if wrong."""
    opens, closes = settings.ORDERS_WORKDAY.split("-")
    start, end = time.fromisoformat(opens.strip()), time.fromisoformat(closes.strip())
    if not start < end:
        raise ValueError("ORDERS_WORKDAY must open before it closes, e.g. 09:00-17:00")
    return start, end

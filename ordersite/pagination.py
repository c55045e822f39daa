"""Pagination that costs the same at a thousand rows and at ten million.

Counting every matching row is the slowest part of a list page on a large
table, and nobody pages through 10,000 orders: past the cap the page says "more
than 10,000" and asks to narrow the filter (a date range, a status) instead.
"""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

COUNT_CAP = 10_000


class CappedPaginator(Paginator):
    """A paginator that counts at most ``cap`` rows; ``capped`` says if there are more."""

    def __init__(self, object_list, per_page, *, cap: int | None = None, **kwargs):
        self.cap = cap or COUNT_CAP
        super().__init__(object_list, per_page, **kwargs)

    @cached_property
    def count(self) -> int:
        # The ids of at most cap + 1 rows, unordered: the database stops there.
        counted = self.object_list.values("pk").order_by()[: self.cap + 1].count()
        self.capped = counted > self.cap
        return min(counted, self.cap)

    capped = False

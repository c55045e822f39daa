"""Facts in words: the wording registered for each fact type, and the helpers wordings share.

Each subject declares the wording of its facts beside the functions that
record them (``orders.<subject>.facts``), for staff and, where the fact
concerns them, for the customer. A fact with customer wording is shown on the
customer's status page; one without it stays internal.
"""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from orders.events.models import OrderEvent


class Related:
    """The rows facts refer to, looked up once per relation of the order (prefetched or not).

    A fact keeps ids, never copies; a row erased since (personal data) simply
    stops appearing in the words.
    """

    RELATIONS = {
        "note": "notes",
        "message": "messages",
        "issue": "issues",
        "finding": "verification_issues",
        "payment": "payments",
        "refund": "refunds",
        "discount": "discounts",
        "line": "lines",
        "delay": "delays",
        "return": "returns",
    }

    def __init__(self, order):
        self.order = order
        self._cache: dict[str, dict] = {}

    def get(self, what: str, pk):
        if what not in self._cache:
            rows = getattr(self.order, self.RELATIONS[what]).all()
            self._cache[what] = {row.pk: row for row in rows}
        return self._cache[what].get(pk)

    def staff(self, pk) -> str:
        """A staff member's username by id ("" if none or deleted), one query per person."""
        if pk is None:
            return ""
        names = self._cache.setdefault("staff", {})
        if pk not in names:
            from django.contrib.auth import get_user_model

            user = get_user_model().objects.filter(pk=pk).first()
            names[pk] = user.get_username() if user else ""
        return names[pk]


Render = Callable[[OrderEvent, Related], str]


@dataclass(frozen=True)
class Wording:
    staff: Render
    customer: Render | None = None


# Every fact type's wording, filled by the subjects' ``facts`` modules as they load.
WORDING: dict[str, Wording] = {}


def say_all(table: dict[str, Wording]) -> None:
    """Register the wording of a subject's facts."""
    WORDING.update(table)


def is_customer_visible(event_type: str) -> bool:
    return WORDING[event_type].customer is not None


def data_of(event: OrderEvent) -> dict:
    return event.data or {}


def amount(event: OrderEvent, key: str = "amount") -> str:
    """An amount of the fact with its currency (the fact's, else the order's)."""
    value = data_of(event).get(key)
    if value is None:
        return ""
    currency = data_of(event).get("currency") or event.order.currency
    return f"{Decimal(value):.2f} {currency}"


def label(choices, value) -> str:
    """The label of a code in ``choices``, or the code itself if it is not one."""
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "")


def units(items: list[dict], key: str = "quantity") -> str:
    return ", ".join(f"{i.get(key)} × {i.get('sku')}" for i in items or [])


def products(items: list[dict], related: "Related", key: str = "quantity") -> str:
    """Units as the customer reads them: product names, never SKUs (a line moved
    away since is just "items")."""
    from django.utils.translation import gettext as _

    parts = []
    for i in items or []:
        line = related.get("line", i.get("line_id"))
        parts.append(f"{i.get(key)} × {line.name if line else _('items')}")
    return ", ".join(parts)


def text_of(row, attribute: str) -> str:
    return getattr(row, attribute, "") if row is not None else ""


def fixed(text) -> Render:
    """Fixed words (a lazy translation, rendered in the language active when shown)."""
    return lambda e, r: str(text)

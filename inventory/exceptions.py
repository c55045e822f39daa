"""Errors the inventory services raise, carrying what a person needs to act on them."""

from dataclasses import dataclass

from django.utils.translation import gettext as _


class InventoryError(Exception):
    """Base of every inventory error; ``str()`` is a message fit for staff."""


@dataclass(frozen=True)
class Shortage:
    """A product short of stock: how much was asked for and how much could be had."""

    product_id: int
    sku: str
    requested: int
    available: int

    @property
    def missing(self) -> int:
        return self.requested - self.available


class InsufficientStock(InventoryError):
    """Not every requested unit could be allocated; nothing was allocated."""

    def __init__(self, shortages: list[Shortage]):
        self.shortages = shortages
        detail = ", ".join(
            _("%(sku)s: %(missing)d missing") % {"sku": s.sku, "missing": s.missing}
            for s in shortages
        )
        super().__init__(_("Not enough stock (%(detail)s).") % {"detail": detail})


class InvalidQuantity(InventoryError):
    """A quantity that must be positive was not."""


class CountClosed(InventoryError):
    """The stock count is no longer open for this action."""


class NotAllowed(InventoryError):
    """The person acting lacks the permission this needs."""


class AlreadyRecorded(InventoryError):
    """The same page was submitted again; ``record`` is what the first submit recorded."""

    def __init__(self, record):
        self.record = record
        super().__init__(
            _("This was already recorded (%(what)s); nothing was booked twice.")
            % {"what": record}
        )

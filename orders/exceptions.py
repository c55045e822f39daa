"""Errors the order services raise; ``str()`` of each is a message fit for staff."""

from django.utils.translation import gettext as _


class OrderError(Exception):
    """Base of every order error."""


class TransitionNotAllowed(OrderError):
    """The order cannot make this move now; ``reasons`` lists the unmet rules."""

    def __init__(self, message: str, reasons: list[str] | None = None):
        self.headline, self.reasons = message, reasons or []
        super().__init__(" ".join([message, *self.reasons]))


class TransitionForbidden(OrderError):
    """This person may not make this move on this order."""


class OrderChanged(OrderError):
    """Someone else changed the order since it was loaded; reload and try again."""

    def __init__(self, *, number: str, expected: str, actual: str):
        self.expected, self.actual = expected, actual
        super().__init__(
            _(
                "Order %(number)s was changed by someone else (it is now %(actual)s, "
                "not %(expected)s). Reload the order and try again."
            )
            % {"number": number, "actual": actual, "expected": expected}
        )


class InvalidOrder(OrderError):
    """The data given for an order, line, payment or shipment is not acceptable."""


class PackMismatch(TransitionNotAllowed):
    """What was scanned into the parcel does not match the order; ``reasons`` says how."""


class AlreadyRecorded(OrderError):
    """The same page was sent again (a double click, a second tab): ``record`` is what
    the first submit recorded, and nothing was recorded twice. Pages answer it as
    information, not as an error."""

    def __init__(self, message: str, record):
        self.record = record
        super().__init__(message)


class OrderAlreadyPlaced(AlreadyRecorded):
    """The same entry page was sent again; ``order`` is the one it placed."""

    def __init__(self, order):
        self.order = order
        super().__init__(
            _("This order was already saved as %(number)s; nothing was saved twice.")
            % {"number": order.number},
            order,
        )

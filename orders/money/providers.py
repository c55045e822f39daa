"""Payment providers: one class per way of taking money, behind one interface.

A provider talks to the outside world (a card gateway, a bank) and nothing
else: it never touches the database. ``orders.money.payments`` calls it and records
what happened. To add a real gateway, subclass ``PaymentProvider``, implement
the four operations against its API (raise ``PaymentDeclined`` for a final
"no", ``PaymentTemporarilyUnavailable`` for anything worth retrying, and pass
``idempotency_key`` through so that a retried refund is never paid twice),
and add it to ``PROVIDERS`` (docs/payments.md walks through it).
"""

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _


class PaymentError(Exception):
    """Base of what a provider may raise; ``str()`` is fit for staff."""


class PaymentDeclined(PaymentError):
    """A final no: retrying will not help."""


class PaymentTemporarilyUnavailable(PaymentError):
    """The provider could not answer now; the same call may succeed later."""


@dataclass(frozen=True)
class Authorization:
    reference: str
    card_last4: str = ""


class PaymentProvider(ABC):
    """The interface every provider implements. Amounts are Decimal, in the order's currency."""

    code: str = ""
    label: str = ""
    # Manual providers are confirmed by staff; their capture is a person's word.
    manual: bool = False

    @abstractmethod
    def authorize(
        self, *, payment, card_number: str = "", attempt: int = 1
    ) -> Authorization:
        """Reserve (or, for manual methods, promise) ``payment.amount``."""

    @abstractmethod
    def capture(self, *, payment, amount: Decimal, attempt: int = 1) -> str:
        """Take ``amount`` of an authorized payment; return the provider's reference."""

    @abstractmethod
    def refund(
        self, *, payment, amount: Decimal, idempotency_key: str, attempt: int = 1
    ) -> str:
        """Send ``amount`` back to the payment's method; the same key never pays twice."""

    @abstractmethod
    def void(self, *, payment) -> None:
        """Release an authorization that will not be captured."""


class ManualProvider(PaymentProvider):
    """Money staff handle themselves: bank transfer, cash on delivery, card by phone, invoice.

    Authorizing records the promise (and an invoice's due date); capturing is
    the staff member confirming the money arrived; a refund is money staff send
    back by the same way, recorded with their reference.
    """

    code = "manual"
    label = _("Manual (staff-confirmed)")
    manual = True

    def authorize(
        self, *, payment, card_number: str = "", attempt: int = 1
    ) -> Authorization:
        return Authorization(reference=payment.reference)

    def capture(self, *, payment, amount: Decimal, attempt: int = 1) -> str:
        return payment.reference

    def refund(
        self, *, payment, amount: Decimal, idempotency_key: str, attempt: int = 1
    ) -> str:
        return f"manual-refund-{idempotency_key}"

    def void(self, *, payment) -> None:
        return None


class TestCardProvider(PaymentProvider):
    """A deterministic simulated card gateway for demos and tests.

    | card number        | what happens                                        |
    | 4242 4242 4242 4242 | every operation succeeds                           |
    | 4000 0000 0000 0002 | authorization declined                             |
    | 4000 0000 0000 9995 | declined: insufficient funds                       |
    | 4000 0000 0000 0119 | every call fails temporarily (processing error)    |
    | 4000 0000 0000 0341 | each operation fails temporarily on its 1st attempt |
    | 4000 0000 0000 5126 | refunds are declined                               |

    Any other number is declined as unknown. References are derived from the
    inputs, so the same refund key always gives the same refund reference.
    """

    __test__ = False  # not a pytest test class
    code = "test_card"
    label = _("Test card gateway")

    OK = "4242424242424242"
    DECLINED = "4000000000000002"
    INSUFFICIENT_FUNDS = "4000000000009995"
    ALWAYS_UNAVAILABLE = "4000000000000119"
    FIRST_ATTEMPT_FAILS = "4000000000000341"
    REFUND_DECLINED = "4000000000005126"
    KNOWN = {
        OK,
        DECLINED,
        INSUFFICIENT_FUNDS,
        ALWAYS_UNAVAILABLE,
        FIRST_ATTEMPT_FAILS,
        REFUND_DECLINED,
    }

    @staticmethod
    def _ref(prefix: str, *parts) -> str:
        digest = hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()[:16]
        return f"tc_{prefix}_{digest}"

    def _flaky(self, card_last4: str, attempt: int) -> None:
        if card_last4 == self.ALWAYS_UNAVAILABLE[-4:]:
            raise PaymentTemporarilyUnavailable(
                _("The card network did not answer; try again.")
            )
        if card_last4 == self.FIRST_ATTEMPT_FAILS[-4:] and attempt == 1:
            raise PaymentTemporarilyUnavailable(
                _("The card network timed out; try again.")
            )

    def authorize(
        self, *, payment, card_number: str = "", attempt: int = 1
    ) -> Authorization:
        number = "".join(ch for ch in card_number if ch.isdigit())
        if number not in self.KNOWN:
            raise PaymentDeclined(_("The card was declined (unknown card)."))
        self._flaky(number[-4:], attempt)
        if number == self.DECLINED:
            raise PaymentDeclined(_("The card was declined."))
        if number == self.INSUFFICIENT_FUNDS:
            raise PaymentDeclined(_("The card was declined: insufficient funds."))
        return Authorization(
            reference=self._ref("auth", payment.pk, number[-4:], payment.amount),
            card_last4=number[-4:],
        )

    def capture(self, *, payment, amount: Decimal, attempt: int = 1) -> str:
        self._flaky(payment.card_last4, attempt)
        return self._ref("cap", payment.reference, amount)

    def refund(
        self, *, payment, amount: Decimal, idempotency_key: str, attempt: int = 1
    ) -> str:
        self._flaky(payment.card_last4, attempt)
        if payment.card_last4 == self.REFUND_DECLINED[-4:]:
            raise PaymentDeclined(_("The card issuer refused the refund."))
        return self._ref("rf", payment.reference, idempotency_key, amount)

    def void(self, *, payment) -> None:
        return None


class StoreCreditProvider(PaymentProvider):
    """Paying with the customer's store credit; the balance is checked by the service."""

    code = "store_credit"
    label = _("Store credit")

    def authorize(
        self, *, payment, card_number: str = "", attempt: int = 1
    ) -> Authorization:
        return Authorization(reference=f"credit-{payment.pk}")

    def capture(self, *, payment, amount: Decimal, attempt: int = 1) -> str:
        return payment.reference

    def refund(
        self, *, payment, amount: Decimal, idempotency_key: str, attempt: int = 1
    ) -> str:
        return f"credit-refund-{idempotency_key}"

    def void(self, *, payment) -> None:
        return None


PROVIDERS: dict[str, PaymentProvider] = {
    p.code: p for p in (ManualProvider(), TestCardProvider(), StoreCreditProvider())
}


def get_provider(code: str) -> PaymentProvider:
    try:
        return PROVIDERS[code]
    except KeyError:
        raise PaymentError(
            _("Unknown payment provider %(code)r.") % {"code": code}
        ) from None

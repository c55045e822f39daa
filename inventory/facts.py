"""What inventory tells the rest of the system, through the seam (``ordersite.facts``).

Inventory imports nothing from the apps that listen: it publishes that stock
increased, and ``orders`` (which subscribes) lets backordered orders try again.
"""

from dataclasses import dataclass

from ordersite import facts

STOCK_INCREASED = "inventory.stock_increased"


@dataclass(frozen=True)
class StockIncreased:
    """On-hand units of these products went up (a receipt, an adjustment, a count, a return)."""

    product_ids: tuple[int, ...]
    reference: str = ""


def stock_increased(*, product_ids, reference: str = "") -> StockIncreased:
    """Publish that stock of ``product_ids`` increased, inside the caller's transaction."""
    fact = StockIncreased(
        product_ids=tuple(sorted(set(product_ids))), reference=reference
    )
    facts.publish(STOCK_INCREASED, fact)
    return fact

"""Stock arrived (``inventory.stock_increased``): backordered orders try again, after commit."""

from inventory.facts import STOCK_INCREASED, StockIncreased
from orders.stock.services import orders_fill_backorders
from ordersite import outbox
from ordersite.facts import subscribe
from ordersite.models import OutboxMessage

FILL_BACKORDERS = "backorder_fill"


@subscribe(STOCK_INCREASED)
def fill_backorders_after_commit(fact: StockIncreased) -> None:
    # After commit, so the allocation sees the new stock; through the outbox, so
    # a broker that is down or a worker that dies does not leave orders waiting.
    outbox.enqueue(FILL_BACKORDERS, product_ids=list(fact.product_ids))


def _fill(message: OutboxMessage) -> None:
    orders_fill_backorders(product_ids=message.payload["product_ids"])


def register_kinds() -> None:
    outbox.register(FILL_BACKORDERS, send=_fill)

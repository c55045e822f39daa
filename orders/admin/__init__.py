"""Admin registrations of the orders app, one module per subject."""

from orders.admin import (  # noqa: F401  (registers the models)
    delays,
    money,
    orders,
    records,
    stores,
)

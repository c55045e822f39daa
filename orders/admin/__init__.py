"""Admin registrations of the orders app, one module per subject."""

from orders.admin import money, orders, records, stores  # noqa: F401  (registers the models)

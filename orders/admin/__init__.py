"""Admin registrations of the orders app, one module per subject."""

from orders.admin import money, orders, records  # noqa: F401  (registers the models)

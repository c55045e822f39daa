"""The orders endpoints of the integration API (``/api/v1/orders/``)."""

"""Returns and refunds.

The app exists so that orders, inventory and returns share one database and one
permission scheme from the start; its models (return requests, inspections,
restocking) arrive with the returns issue. Returned goods will reach stock
through ``inventory.services`` and refunds through the orders' payment services.
"""

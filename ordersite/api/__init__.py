"""The integration API's plumbing: keys, scopes, limits and problem details.

Each app keeps its own endpoints (``orders/api``, ``inventory/api.py``); what they
share lives here: who is calling (an ``ApiKey`` with scopes, never a staff
password), how fast they may call, and how an error is told (RFC 9457).
"""

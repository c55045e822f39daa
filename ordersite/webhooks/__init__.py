"""Webhooks out: endpoints admins register, deliveries through the one outbox,
signed per the Standard Webhooks specification."""

"""Admin registrations for returns arrive with its models."""

"""Choosing the settings module from the environment, shared by every entry point."""

import os


def set_default_settings_module() -> None:
    """Point DJANGO_SETTINGS_MODULE at production when DJANGO_ENV=production, else local."""
    profile = os.environ.get("DJANGO_ENV", "local").strip().lower() or "local"
    if profile not in {"local", "production", "test"}:
        raise RuntimeError(
            f"DJANGO_ENV={profile!r} is not one of: local, production, test."
        )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", f"ordersite.settings.{profile}")

"""Who did something: a staff member, the system, the customer, or an integration.

Services take ``actor`` as a staff user, ``None`` for the system (a scheduled
task, a stock arrival, the outbox), or an ``Actor`` for the customer acting on
their status page and for an integration (an API client). ``Actor.of``
turns any of these into one value that events record and permission checks ask.
"""

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorKind(models.TextChoices):
    STAFF = "staff", _("Staff member")
    SYSTEM = "system", _("System")
    CUSTOMER = "customer", _("Customer")
    INTEGRATION = "integration", _("Integration")


@dataclass(frozen=True)
class Actor:
    """One of the four kinds of actor; ``user`` for staff, ``integration`` names an API client."""

    kind: str
    user: Any = None
    integration: str = ""

    @classmethod
    def of(cls, who) -> "Actor":
        """An ``Actor`` for a staff user, ``None`` (the system) or an ``Actor`` as it is."""
        if isinstance(who, Actor):
            return who
        if who is None:
            return SYSTEM
        return cls(kind=ActorKind.STAFF, user=who)

    @classmethod
    def for_integration(cls, name: str) -> "Actor":
        if not name.strip():
            raise ValueError("An integration actor needs the integration's name.")
        return cls(kind=ActorKind.INTEGRATION, integration=name.strip()[:100])

    @property
    def is_system(self) -> bool:
        return self.kind == ActorKind.SYSTEM

    @property
    def staff_user(self):
        """The staff user acting, or ``None`` for every other kind of actor."""
        return self.user if self.kind == ActorKind.STAFF else None

    def may(self, permission: str) -> bool:
        """Whether this actor holds ``permission`` (``app.codename``).

        The system may do anything; staff hold what their groups grant; customers
        and integrations hold no staff permission (a service that lets them act
        says so explicitly, and integrations get scopes with the API).
        """
        if self.kind == ActorKind.SYSTEM:
            return True
        if self.kind == ActorKind.STAFF:
            return bool(self.user.has_perm(permission))
        return False


SYSTEM = Actor(kind=ActorKind.SYSTEM)
CUSTOMER = Actor(kind=ActorKind.CUSTOMER)


def staff_user(who):
    """The staff user behind ``who`` (a user, ``None`` or an ``Actor``), else ``None``."""
    return Actor.of(who).staff_user

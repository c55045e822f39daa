"""Which staff group may perform which order transition.

Each transition is guarded by one model permission on ``Order``; a data
migration grants them to the staff groups. The manager group holds them all.
"""

from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from orders.exceptions import TransitionForbidden
from ordersite.actors import Actor, ActorKind


class Role:
    CLERK = "clerk"
    VERIFIER = "verifier"
    WAREHOUSE = "warehouse"
    RETURNS = "returns"
    MANAGER = "manager"

    ALL = (CLERK, VERIFIER, WAREHOUSE, RETURNS, MANAGER)


# codename -> (description, roles other than manager that hold it)
TRANSITION_PERMISSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "check_order": (
        _("Can record the first check of an order"),
        (Role.CLERK, Role.VERIFIER),
    ),
    "verify_order": (_("Can confirm the second check of an order"), (Role.VERIFIER,)),
    "allocate_order": (
        _("Can run the inventory check of an order"),
        (Role.CLERK, Role.WAREHOUSE),
    ),
    "record_payment": (_("Can record payments and mark orders paid"), (Role.CLERK,)),
    "fulfil_order": (_("Can pick and pack orders"), (Role.WAREHOUSE,)),
    "ship_order": (_("Can ship orders and mark them delivered"), (Role.WAREHOUSE,)),
    "complete_order": (_("Can complete delivered orders"), (Role.CLERK, Role.RETURNS)),
    "hold_order": (
        _("Can put orders on hold and release them"),
        (Role.CLERK, Role.VERIFIER, Role.WAREHOUSE),
    ),
    "cancel_order": (_("Can cancel orders"), (Role.CLERK,)),
}


# Permissions for order actions that are not lifecycle transitions.
ACTION_PERMISSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "enter_order": (_("Can enter phone and email orders"), (Role.CLERK,)),
    "grant_discount": (
        _("Can apply discount codes and give discounts with a reason"),
        (Role.CLERK,),
    ),
    "set_manual_price": (_("Can set a manual price with a reason"), (Role.CLERK,)),
    "refund_order": (
        _("Can refund payments and issue store credit"),
        (Role.CLERK, Role.RETURNS),
    ),
    "answer_customer": (
        _("Can answer customers and resolve the problems they report"),
        (Role.CLERK, Role.RETURNS),
    ),
    "review_delays": (
        _("Can read the delay review and follow up corrective actions"),
        (),
    ),
    "approve_compensation": (
        _("Can approve compensation above a role's limit"),
        (),
    ),
    "handle_delays": (
        _(
            "Can explain delays to customers, change promised dates and close delay cases"
        ),
        (Role.CLERK,),
    ),
}
ORDER_PERMISSIONS = {**TRANSITION_PERMISSIONS, **ACTION_PERMISSIONS}


def perm(codename: str) -> str:
    """The full permission name of an order permission."""
    assert codename in ORDER_PERMISSIONS, codename
    return f"orders.{codename}"


def require(actor, codename: str, what: str, *, authorised: bool = False) -> None:
    """Refuse unless ``actor`` holds order permission ``codename``; ``what`` completes "You may not …".

    The one permission check of the order services (transitions check theirs
    through django-fsm): the system may do anything, staff what their groups
    grant, the customer and integrations nothing a service does not allow them
    (a calling service that allows it passes ``authorised``; staff are still
    checked).
    """
    who = Actor.of(actor)
    if authorised and who.kind in (ActorKind.CUSTOMER, ActorKind.INTEGRATION):
        return
    if not who.may(perm(codename)):
        raise TransitionForbidden(gettext_now("You may not %(what)s.") % {"what": what})


# Model permissions each role holds in addition to its transitions, so the admin
# shows what the role works with. Every role may view orders, stock and returns.
MODEL_PERMISSIONS: dict[str, tuple[str, ...]] = {
    Role.CLERK: (
        "orders.change_order",
        "orders.add_customer",
        "orders.change_customer",
        "returns.handle_return",
    ),
    Role.VERIFIER: ("orders.change_order",),
    Role.WAREHOUSE: (
        "orders.change_order",
        "inventory.add_goodsreceipt",
        "inventory.add_stockcount",
        "inventory.change_stockcount",
        "returns.receive_return",
    ),
    Role.RETURNS: (
        "orders.change_order",
        "returns.handle_return",
        "returns.receive_return",
        "returns.inspect_return",
    ),
}
STAFF_APPS = ("orders", "inventory", "returns", "ordersite")


def sync_staff_groups(apps, schema_editor=None) -> None:
    """Create the staff groups and give each exactly its permissions (idempotent).

    A migration operation of its own (``RunPython(sync_staff_groups)``) with the
    historical app registry; add it to a new migration whenever the tables above
    change.
    """
    from django.contrib.auth.management import create_permissions

    # Permissions are normally created after migrate finishes; groups need them now.
    # The historical registry has no models_module, which create_permissions insists on.
    for app_config in apps.get_app_configs():
        original = getattr(app_config, "models_module", None)
        app_config.models_module = original or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0)
        finally:
            app_config.models_module = original

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    staff_perms = Permission.objects.filter(content_type__app_label__in=STAFF_APPS)

    def lookup(names) -> list:
        # An early migration runs this before later permissions exist; the
        # migration that adds them runs it again.
        wanted = [name.split(".") for name in names]
        return [
            p
            for p in staff_perms.select_related("content_type")
            if [p.content_type.app_label, p.codename] in wanted
        ]

    viewing = list(staff_perms.filter(codename__startswith="view_"))
    for role in Role.ALL:
        group, _created = Group.objects.get_or_create(name=role)
        if role == Role.MANAGER:
            group.permissions.set(staff_perms)
            continue
        transitions = [
            f"orders.{codename}"
            for codename, (_label, roles) in ORDER_PERMISSIONS.items()
            if role in roles
        ]
        group.permissions.set(
            [*viewing, *lookup(transitions), *lookup(MODEL_PERMISSIONS.get(role, ()))]
        )

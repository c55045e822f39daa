"""The order lifecycle as data, read from the django-fsm definitions on ``Order``."""

from django_fsm import State

from orders.core.models import Order, OrderStatus


def edges() -> list[tuple[str, str, str]]:
    """Every (source, target, transition name) of the order state machine, sorted."""
    field = Order._meta.get_field("status")
    found = set()
    for transition in field.get_all_transitions(Order):
        targets = (
            transition.target.allowed_states
            if isinstance(transition.target, State)
            else [transition.target]
        )
        for target in targets:
            found.add((str(transition.source), str(target), transition.name))
    return sorted(found)


def mermaid() -> str:
    """The lifecycle as a Mermaid state diagram, in a Markdown document."""
    lines = [
        "# Order lifecycle",
        "",
        "Generated from the django-fsm transitions on `orders.models.Order` by",
        "`python manage.py lifecycle_diagram`; a test fails when this file and the code differ.",
        "",
        "```mermaid",
        "stateDiagram-v2",
        f"    [*] --> {OrderStatus.PLACED.value}",
    ]
    lines += [f"    {source} --> {target}: {name}" for source, target, name in edges()]
    lines += [
        f"    {OrderStatus.COMPLETED.value} --> [*]",
        f"    {OrderStatus.CANCELLED.value} --> [*]",
    ]
    lines += ["```", ""]
    return "\n".join(lines)

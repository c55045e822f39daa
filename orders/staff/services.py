"""What staff change for themselves: their saved views of the order list."""

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils.translation import gettext as _

from orders.exceptions import InvalidOrder
from orders.staff.models import SavedView

SAVED_VIEWS_PER_PERSON = 30
NAME_LENGTH = SavedView._meta.get_field("name").max_length


def saved_view_save(*, user, name: str, query: str) -> SavedView:
    """Save ``query`` (already reduced to the list's filters) under ``name`` for
    ``user``; the same name replaces the earlier view. Raises ``InvalidOrder``
    with a message for the person on a bad name or when the limit is reached."""
    name = " ".join((name or "").split())
    if not name or len(name) > NAME_LENGTH:
        raise InvalidOrder(
            _("Give the view a name of at most %(n)s characters.") % {"n": NAME_LENGTH}
        )
    with transaction.atomic():
        # The person's row is the lock: two tabs saving at once cannot pass the
        # limit together, and the unique name cannot be written twice.
        get_user_model().objects.select_for_update().filter(pk=user.pk).first()
        mine = SavedView.objects.filter(user=user)
        if (
            not mine.filter(name=name).exists()
            and mine.count() >= SAVED_VIEWS_PER_PERSON
        ):
            raise InvalidOrder(
                _("You have %(n)s saved views; delete one first.")
                % {"n": SAVED_VIEWS_PER_PERSON}
            )
        view, _created = SavedView.objects.update_or_create(
            user=user, name=name, defaults={"query": query}
        )
    return view


saved_view_save.alters_data = True


def saved_view_delete(*, user, view_id: int) -> SavedView | None:
    """Delete one of ``user``'s own views; ``None`` when it is not theirs (or gone)."""
    view = SavedView.objects.filter(pk=view_id, user=user).first()
    if view is not None:
        view.delete()
    return view


saved_view_delete.alters_data = True

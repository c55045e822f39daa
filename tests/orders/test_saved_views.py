"""Saved views of the order list: per person, bounded, safe from two tabs at once."""

import pytest

from orders.exceptions import InvalidOrder
from orders.permissions import Role
from orders.staff import services
from orders.staff.models import SavedView
from tests.racing import race


@pytest.mark.django_db
def test_a_person_keeps_at_most_the_limit_and_the_same_name_replaces(staff):
    clerk = staff[Role.CLERK]
    for i in range(services.SAVED_VIEWS_PER_PERSON):
        services.saved_view_save(user=clerk, name=f"v{i}", query="status=paid")
    with pytest.raises(InvalidOrder, match="delete one first"):
        services.saved_view_save(user=clerk, name="one more", query="")
    # replacing an existing name is not a new view
    view = services.saved_view_save(user=clerk, name=" v3 ", query="queue=to_pick")
    assert view.name == "v3" and view.query == "queue=to_pick"
    assert clerk.saved_views.count() == services.SAVED_VIEWS_PER_PERSON
    # the limit is per person
    services.saved_view_save(user=staff[Role.VERIFIER], name="v0", query="")


@pytest.mark.django_db
def test_deleting_someone_elses_view_deletes_nothing(staff):
    view = services.saved_view_save(user=staff[Role.CLERK], name="mine", query="")
    assert services.saved_view_delete(user=staff["clerk2"], view_id=view.pk) is None
    assert SavedView.objects.filter(pk=view.pk).exists()
    assert (
        services.saved_view_delete(user=staff[Role.CLERK], view_id=view.pk).name
        == "mine"
    )
    assert not SavedView.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_saving_the_last_free_view_at_once_keep_the_limit(staff):
    clerk = staff[Role.CLERK]
    for i in range(services.SAVED_VIEWS_PER_PERSON - 1):
        services.saved_view_save(user=clerk, name=f"v{i}", query="")
    outcomes = race(
        *(
            (lambda n=n: services.saved_view_save(user=clerk, name=n, query=""))
            for n in ("tab one", "tab two")
        )
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["InvalidOrder", "SavedView"]
    assert clerk.saved_views.count() == services.SAVED_VIEWS_PER_PERSON


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_saving_the_same_name_at_once_keep_one_view(staff):
    clerk = staff[Role.CLERK]
    outcomes = race(
        *(
            (lambda q=q: services.saved_view_save(user=clerk, name="Same", query=q))
            for q in ("status=paid", "status=packed")
        )
    )
    assert all(isinstance(o, SavedView) for o in outcomes), outcomes
    assert clerk.saved_views.count() == 1

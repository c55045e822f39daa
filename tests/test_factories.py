"""Every model of our apps has a factory, and every factory builds a valid row."""

import pytest
from django.apps import apps

from tests.factories import inventory as inventory_factories
from tests.factories import orders as order_factories
from tests.factories import returns as return_factories

FACTORIES = [
    getattr(module, name)
    for module in (inventory_factories, order_factories, return_factories)
    for name in dir(module)
    if name.endswith("Factory") and getattr(module, name).__module__ == module.__name__
]


def test_every_model_has_a_factory():
    models = {
        m
        for app in ("orders", "inventory", "returns")
        for m in apps.get_app_config(app).get_models()
    }
    covered = {factory._meta.model for factory in FACTORIES}
    assert models - covered == set()


@pytest.mark.django_db
@pytest.mark.parametrize("factory", FACTORIES, ids=lambda f: f.__name__)
def test_factory_builds_a_valid_row(factory):
    instance = factory()
    # full_clean() would re-assign the protected FSM field (django-fsm refuses that).
    instance.full_clean(exclude=["password", "status"])
    assert type(instance).objects.filter(pk=instance.pk).exists()

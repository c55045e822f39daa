"""Shared fixtures, and the skipping of tests that need PostgreSQL or Redis."""

import io
import os
import random

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.db import connection

from inventory import services as inventory
from orders import demo
from orders.core import services
from orders.money import pricing
from orders.permissions import Role
from orders.reference_data import ensure_all
from tests import snapshots
from tests.factories.inventory import ProductFactory, WarehouseFactory
from tests.factories.orders import CustomerFactory, StaffFactory


def pytest_runtest_setup(item):
    if item.get_closest_marker("postgres") and connection.vendor != "postgresql":
        pytest.skip(
            f"needs PostgreSQL (runs on {connection.vendor}): set DATABASE_URL=postgres://… to run it"
        )
    if item.get_closest_marker("redis") and not os.environ.get("REDIS_URL"):
        pytest.skip(
            "needs Redis and a real Celery worker: set REDIS_URL=redis://… to run it"
        )


@pytest.fixture(autouse=True)
def _broker_not_paused():
    """The outbox pauses dispatching after a broker failure; each test starts afresh."""
    from ordersite import outbox

    outbox._broker_down_until = 0.0


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Transactional tests flush every table, so put back what migrations create."""
    marker = request.node.get_closest_marker("django_db")
    if marker and marker.kwargs.get("transaction"):
        request.getfixturevalue("transactional_db")
        ensure_all(django_apps)


@pytest.fixture(scope="session")
def _demo_snapshot(django_db_setup, django_db_blocker):
    """Seed the demo once per session, keep a copy, and put the database back."""
    with django_db_blocker.unblock():
        snapshots.take("before_demo")
        try:
            ensure_all(django_apps)
            call_command("seed_demo", stdout=io.StringIO())
            snapshots.take("demo")
        finally:
            # a failed seed must not leave its rows to the tests that follow
            snapshots.restore("before_demo")


@pytest.fixture
def demo_data(_demo_snapshot):
    """The database as ``seed_demo`` leaves it (seeded once per session, copied back
    for each test in about a second). Use it with ``db`` or ``transactional_db``;
    live-server and browser tests need ``transactional_db``."""
    snapshots.restore("demo")


@pytest.fixture
def staff(db):
    """One staff member per role, plus a second clerk."""
    users = {role: StaffFactory(username=role, role=role) for role in Role.ALL}
    users["clerk2"] = StaffFactory(username="clerk2", role=Role.CLERK)
    return users


@pytest.fixture
def crew(staff):
    return demo.Crew(
        clerk=staff[Role.CLERK],
        verifier=staff[Role.VERIFIER],
        warehouse=staff[Role.WAREHOUSE],
    )


@pytest.fixture
def warehouse(db):
    return WarehouseFactory(code="main", name="Main", is_default=True)


@pytest.fixture
def stock(warehouse, staff):
    """Receive units through the inventory service: ``stock(product, 5)``."""

    def receive(product, quantity, where=None):
        return inventory.stock_receive(
            product=product,
            warehouse=where or warehouse,
            quantity=quantity,
            actor=staff[Role.MANAGER],
            reference="TEST-RCPT",
        )

    return receive


@pytest.fixture
def place(db, stock):
    """Place an order through the services: ``place(lines=[(product, qty)], stocked=True)``."""

    def place_order(
        lines=None, *, stocked=True, channel="web", customer=None, unit_price=None
    ):
        if lines is None:
            lines = [(ProductFactory(), 2)]
        if stocked:
            for product, quantity in lines:
                stock(product, quantity)
        return services.order_place(
            customer=customer or CustomerFactory(),
            channel=channel,
            lines=[
                pricing.LineInput(
                    product=p,
                    quantity=q,
                    unit_price=unit_price,
                    price_reason="Agreed on the phone"
                    if unit_price is not None
                    else "",
                )
                for p, q in lines
            ],
        )

    return place_order


def covered(order):
    """Record a captured payment covering the order, without the services' side effects."""
    from tests.factories.orders import PaymentFactory

    return PaymentFactory(order=order, amount=order.total, amount_captured=order.total)


@pytest.fixture
def order_in(place, crew):
    """A fresh order driven through the services into ``status``: ``order_in("paid")``."""

    def make(status, **kwargs):
        return demo.advance(place(**kwargs), status, crew=crew, rng=random.Random(1))

    return make


@pytest.fixture
def clerk_client(client, staff):
    """The test client, signed in as a clerk."""
    client.force_login(staff[Role.CLERK])
    return client

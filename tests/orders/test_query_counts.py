"""Every step of the lifecycle costs the same queries for 1 line and for 20:
per-line work is done in bulk (bench/queries.py prints the figures)."""

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orders import demo
from tests.factories.inventory import ProductFactory


def queries_per_step(place, stock, crew, lines: int) -> dict[str, int]:
    products = [ProductFactory() for _ in range(lines)]
    for product in products:
        stock(product, 2)
    rng, counts = random.Random(1), {}
    with CaptureQueriesContext(connection) as queries:
        order = place(lines=[(p, 2) for p in products], channel="phone", stocked=False)
    counts["place"] = len(queries)
    for step in demo.PATH[1:]:
        with CaptureQueriesContext(connection) as queries:
            order = demo.step(order, step, crew=crew, rng=rng)
        counts[step] = len(queries)
    return counts


@pytest.mark.django_db
def test_no_step_grows_with_the_lines(place, crew, stock):
    one = queries_per_step(place, stock, crew, 1)
    twenty = queries_per_step(place, stock, crew, 20)
    grows = {
        step: (one[step], twenty[step]) for step in one if twenty[step] > one[step]
    }
    assert grows == {}, grows


# What intake costs (bench/intake.py measures its rate): the lock reads the lines
# once and the conditions, checklist, facts and emails reuse them; placement
# writes the order and its lines once each. A step above its bound does again
# work it has done already.
# (Before: placing 19, first check 21, verifying 17, the inventory check 23.)
# Placing reads the lead time and the holidays to promise its dates (issue 15).
INTAKE_BOUNDS = {"place": 16, "checked": 10, "verified": 13, "allocated": 17}


@pytest.mark.django_db
def test_intake_reads_and_writes_each_row_once(place, crew, stock):
    counts = queries_per_step(place, stock, crew, 3)
    over = {
        step: (counts[step], bound)
        for step, bound in INTAKE_BOUNDS.items()
        if counts[step] > bound
    }
    assert over == {}, over

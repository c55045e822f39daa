"""Services under a threaded server: reloading an order never switches protection off for others."""

import threading

import pytest
from django.db import connection
from django.db.models import Model

from orders.models import Order, OrderStatus, Payment

S = OrderStatus


@pytest.mark.django_db
@pytest.mark.parametrize("model", [Order, Payment])
def test_reloading_never_turns_the_status_protection_off(order_in, monkeypatch, model):
    order = order_in(S.PAID)
    instance = order if model is Order else order.payments.get()
    field = model._meta.get_field("status")
    seen = []
    real = Model.refresh_from_db

    def watch(self, *args, **kwargs):
        seen.append(field.protected)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Model, "refresh_from_db", watch)
    type(instance).objects.filter(pk=instance.pk).update(status=instance.status)
    instance.refresh_from_db()
    assert seen and all(seen)  # the flag stayed on through the reload
    # and the status is still protected against direct assignment afterwards
    with pytest.raises(AttributeError, match="Direct status modification"):
        instance.status = S.CANCELLED


@pytest.mark.django_db
def test_a_reload_sees_the_new_status_also_when_asked_for_some_fields(order_in):
    order = order_in(S.ALLOCATED)
    stale = Order.objects.get(pk=order.pk)
    Order.objects.filter(pk=order.pk).update(status=S.ON_HOLD, held_from=S.ALLOCATED)
    stale.refresh_from_db(fields=["held_from"])
    assert stale.held_from == S.ALLOCATED
    stale.refresh_from_db()
    assert stale.status == S.ON_HOLD
    # a transition from the reloaded state still runs and saves conditionally
    stale.release_hold()
    stale.save()
    assert Order.objects.get(pk=order.pk).status == S.ALLOCATED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_services_and_reloads_from_many_threads_never_fail(order_in, crew):
    """Eight threads run inventory checks (which reload the order) and reloads at once."""
    from orders.stock import services as stock_services

    orders = [order_in(S.VERIFIED) for _ in range(8)]
    errors, start = [], threading.Barrier(len(orders))

    def work(order):
        try:
            start.wait()
            done = stock_services.order_check_inventory(
                order=order, actor=crew.warehouse
            )
            for _ in range(300):
                done.refresh_from_db()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(repr(exc))
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(o,)) for o in orders]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert {Order.objects.get(pk=o.pk).status for o in orders} <= {S.ALLOCATED, S.PAID}

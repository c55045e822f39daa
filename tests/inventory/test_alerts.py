"""Low-stock alerts: raised at the reorder point, closed on recovery, one email a day."""

import datetime

import pytest
from django.core import mail
from django.core.management import call_command

from inventory import alerts, services
from inventory.models import AlertDigest, LowStockAlert, StockItem
from tests.factories.inventory import ProductFactory


@pytest.fixture
def low_item(stock):
    item = stock(ProductFactory(sku="LOW-1"), 3)
    StockItem.objects.filter(pk=item.pk).update(reorder_point=5, reorder_quantity=20)
    return item


@pytest.mark.django_db
def test_an_item_at_its_reorder_point_gets_one_alert(low_item, stock):
    stock(ProductFactory(), 50)  # plenty, with no reorder point
    assert alerts.low_stock_refresh() == (1, 0)
    assert alerts.low_stock_refresh() == (0, 0)  # never a second open alert
    alert = LowStockAlert.objects.get()
    assert (alert.stock_item, alert.available_when_raised, alert.reorder_point) == (
        low_item,
        3,
        5,
    )


@pytest.mark.django_db
def test_the_alert_closes_when_stock_recovers(low_item):
    alerts.low_stock_refresh()
    services.stock_receive(
        product=low_item.product,
        warehouse=low_item.warehouse,
        quantity=10,
        actor=None,
        reference="R",
    )
    assert alerts.low_stock_refresh() == (0, 1)
    assert LowStockAlert.objects.get().closed_at is not None


@pytest.mark.django_db
def test_purchasing_gets_one_email_a_day(
    low_item, settings, django_capture_on_commit_callbacks
):
    settings.INVENTORY_PURCHASING_EMAILS = ["buyer@example.com"]
    alerts.low_stock_refresh()
    day = datetime.date(2026, 11, 26)

    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.low_stock_email(today=day) is not None
        assert alerts.low_stock_email(today=day) is None  # the same day: nothing more
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["buyer@example.com"]
    assert "LOW-1" in message.body and "(new)" in message.body
    assert LowStockAlert.objects.get().emailed_at is not None

    # the next day it is sent again, the alert no longer marked new
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.low_stock_email(today=day + datetime.timedelta(days=1))
    assert len(mail.outbox) == 2
    assert "(new)" not in mail.outbox[1].body
    assert AlertDigest.objects.count() == 2


@pytest.mark.django_db
def test_a_failed_send_is_retried_through_the_outbox(
    low_item, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from ordersite import outbox

    settings.INVENTORY_PURCHASING_EMAILS = ["buyer@example.com"]
    alerts.low_stock_refresh()

    def broken(*args, **kwargs):
        raise OSError("SMTP down")

    monkeypatch.setattr(
        "django.core.mail.backends.locmem.EmailBackend.send_messages", broken
    )
    # the mail server is down: nothing raises, the day's email waits, then fails visibly
    with django_capture_on_commit_callbacks(execute=True):
        digest = alerts.low_stock_email()
    [message] = outbox.OutboxMessage.objects.filter(kind="low_stock_digest")
    assert (message.status, message.last_error) == ("failed", "SMTP down")
    assert alerts.low_stock_email() is None  # the day's email is not queued twice
    # staff send it again once the server is back
    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        outbox.send_again(message)
    assert len(mail.outbox) == 1 and digest.day.isoformat()
    assert LowStockAlert.objects.get().emailed_at is not None


@pytest.mark.django_db
def test_no_alerts_no_email(stock, settings):
    stock(ProductFactory(), 50)
    alerts.low_stock_refresh()
    assert alerts.low_stock_email() is None
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_command_does_what_the_beat_task_does(
    low_item, capsys, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("check_low_stock")
    assert "Alerts opened: 1, closed: 0, email queued: yes." in capsys.readouterr().out
    assert (
        settings.CELERY_BEAT_SCHEDULE["inventory-low-stock"]["task"]
        == "inventory.check_low_stock"
    )

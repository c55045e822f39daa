"""The project's contract: settings profiles, the lifecycle diagram, demo data, pages."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Sum

from inventory.models import StockItem
from orders.core.lifecycle import mermaid
from orders.models import Channel, Notification, Order, OrderStatus, Payment, Refund
from orders.permissions import Role

ROOT = Path(settings.BASE_DIR)
STRONG_KEY = "k" * 20 + "9Zq#2vLp!xR7&mW4tY8uB1nC5eH3jK6sD0fG"
# What production needs besides the secrets; `manage.py check` connects to neither.
SERVICES = {
    "DATABASE_URL": "postgres://u@db.invalid:5432/x",
    "REDIS_URL": "redis://cache.invalid:6379/0",
}
PRODUCTION = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "orders.example.com",
    **SERVICES,
}


def manage(*args, env=None):
    """Run manage.py in a fresh process with exactly the environment given (plus PATH)."""
    base = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


class TestProductionProfile:
    def test_check_deploy_prints_no_warnings(self):
        result = manage(
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
            env=PRODUCTION,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "System check identified no issues" in result.stdout
        assert "WARNING" not in result.stderr

    @pytest.mark.parametrize(
        "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "REDIS_URL"]
    )
    @pytest.mark.parametrize("how", ["unset", "empty"])
    def test_refuses_to_start_without_secrets_or_services(self, missing, how):
        env = {name: value for name, value in PRODUCTION.items() if name != missing}
        if how == "empty":
            env[missing] = ""
        result = manage("check", env=env)
        assert result.returncode != 0
        assert f"{missing} must be set in production" in result.stderr

    @pytest.mark.parametrize(
        "url", ["sqlite:///:memory:", "sqlite:////srv/ordersite/db.sqlite3"]
    )
    def test_refuses_to_start_on_sqlite(self, url):
        result = manage("check", env={**PRODUCTION, "DATABASE_URL": url})
        assert result.returncode != 0
        assert "production needs PostgreSQL" in result.stderr

    def test_production_runs_without_debug_eager_tasks_or_a_local_cache(self):
        code = (
            "from django.conf import settings as s; "
            "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, "
            "s.CELERY_BROKER_URL, s.CACHES['default']['BACKEND'])"
        )
        result = manage("shell", "-c", code, env=PRODUCTION)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split()[-5:] == [
            "False",
            "django.db.backends.postgresql",
            "False",
            "redis://cache.invalid:6379/0",
            "ordersite.cache.RedisCache",  # Django's, one client per pool
        ]

    def test_production_refuses_demo_data(self):
        # Refused by the command itself, before it touches the (unreachable) database.
        result = manage("seed_demo", env=PRODUCTION)
        assert result.returncode != 0
        assert "refuses to run under production settings" in result.stderr


class TestEmbeddedDefault:
    def test_with_nothing_set_it_is_sqlite_eager_tasks_and_console_email(self):
        code = (
            "from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND, s.DEBUG)"
        )
        result = manage("shell", "-c", code)
        assert result.returncode == 0, result.stderr
        assert result.stdout.split()[-4:] == [
            "django.db.backends.sqlite3",
            "True",
            "django.core.mail.backends.console.EmailBackend",
            "True",
        ]

    def test_urls_switch_to_postgres_and_redis(self):
        code = (
            "from django.conf import settings as s; "
            "print(s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"
        )
        env = {
            "DATABASE_URL": "postgres://u@db.invalid:5432/x",
            "REDIS_URL": "redis://cache.invalid:6379/0",
        }
        result = manage("shell", "-c", code, env=env)
        assert result.stdout.split()[-3:] == [
            "django.db.backends.postgresql",
            "False",
            "redis://cache.invalid:6379/0",
        ]


def test_the_committed_lifecycle_diagram_matches_the_code():
    committed = (ROOT / "docs" / "order-lifecycle.md").read_text()
    assert committed == mermaid(), (
        "docs/order-lifecycle.md is out of date: run `make diagram`"
    )


def test_the_diagram_shows_every_state():
    text = mermaid()
    for state in OrderStatus.values:
        assert f" {state} " in text or f"--> {state}" in text


@pytest.mark.django_db
def test_seed_demo_loads_every_state_and_channel_once(
    capsys, django_capture_on_commit_callbacks
):
    # given a migrated, empty database: when the demo data is loaded, twice
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo")
    call_command("seed_demo")
    assert "already loaded" in capsys.readouterr().out

    # then every lifecycle state and channel is there: 300 orders, the second
    # parts of those whose customers chose to take what was ready after a delay,
    # and the replacements sent for exchanged returns
    from orders.delays.models import Delay
    from returns.models import RS, Return

    partial = Delay.objects.filter(choice=Delay.Choice.PARTIAL).count()
    exchanged = Return.objects.filter(replacement_order__isnull=False).count()
    assert partial and exchanged
    assert Order.objects.count() == 300 + partial + exchanged
    # returns in every state, through the services (each with its facts)
    assert set(Return.objects.values_list("status", flat=True)) == set(RS.values)
    from orders.events.models import OrderEvent

    requested = OrderEvent.objects.filter(type="return_requested")
    assert set(requested.values_list("data__return_id", flat=True)) == set(
        Return.objects.values_list("pk", flat=True)
    )
    # late orders are delay cases: explained (the notice sent), answered each way,
    # closed with a root cause, escalated, and some still waiting for staff
    assert set(Delay.objects.values_list("choice", flat=True)) == {
        "",
        *Delay.Choice.values,
    }
    assert Delay.objects.filter(explained_at__isnull=True, status="open").exists()
    assert Delay.objects.filter(escalated_at__isnull=False).exists()
    assert Delay.objects.filter(status="closed").exclude(root_cause="").exists()
    # compensation: offers accepted (cost recorded), one waiting for a manager
    from orders.delays.models import CompensationOffer

    accepted = CompensationOffer.objects.filter(status="accepted")
    assert accepted.count() >= 2 and not accepted.filter(cost=0).exists()
    assert CompensationOffer.objects.filter(status="pending").exists()
    explained = Delay.objects.filter(explained_at__isnull=False).count()
    assert Notification.objects.filter(kind="order_delayed").count() >= explained
    assert set(Order.objects.values_list("status", flat=True)) == set(
        OrderStatus.values
    )
    assert set(Order.objects.values_list("channel", flat=True)) == set(Channel.values)
    # one staff account per role, in its group, plus an admin
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    assert users.get(username="admin").is_superuser
    for role in Role.ALL:
        assert users.get(username=role, is_staff=True).groups.filter(name=role).exists()
    # the ledger explains every stock row
    for item in StockItem.objects.all():
        sums = item.movements.aggregate(
            o=Sum("on_hand_delta"), a=Sum("allocated_delta")
        )
        assert (sums["o"] or 0, sums["a"] or 0) == (item.on_hand, item.allocated)
    # money: every way of paying, refunds (one partial, one as store credit), invoices
    methods = set(
        Payment.objects.filter(amount_captured__gt=0).values_list("method", flat=True)
    )
    assert methods >= {
        "card",
        "bank_transfer",
        "cash_on_delivery",
        "card_by_phone",
        "invoice",
    }
    assert Payment.objects.filter(status=Payment.Status.PARTIALLY_REFUNDED).exists()
    assert Refund.objects.filter(outcome="store_credit", status="succeeded").exists()
    assert not Refund.objects.exclude(status="succeeded").exists()
    paid_or_later = Order.objects.filter(invoices__kind="invoice").count()
    assert paid_or_later >= 100
    assert Payment.objects.filter(status=Payment.Status.FAILED).exists()

"""Benchmark: the production layout (Procfile) with one and with two web processes
and Celery workers: throughput, no email sent twice, exactly one beat.

    DATABASE_URL=postgres://… REDIS_URL=redis://… .venv/bin/python bench/prod_like.py

For each layout it starts ``honcho -e prod-like.env start`` (gunicorn with
``WEB_CONCURRENCY`` processes, that many Celery workers, one beat; the sweeper
every 5 s), then:

- loads 200 customers' status pages and ``/healthz`` from this process
  (``bench/status_page.py``'s client) and prints requests per second;
- writes ``--emails`` customer emails through the services in one transaction and
  times the workers until the outbox has sent them all; every email's
  ``Message-ID`` must be in the mail folder exactly once;
- counts the sweeps beat sent and the workers received: one beat sends one every
  5 s (about the run's seconds ÷ 5, shown in brackets), each received once.

Stop any other server on ``--port`` first. The emails are written as files to the
folder named in ``prod-like.env``; it is emptied first.
"""

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings.local")

SWEEP_SECONDS = 5


def env_file() -> dict:
    pairs = (
        line.split("=", 1)
        for line in (ROOT / "prod-like.env").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def start(web: int, workers: int, port: int, log: Path) -> subprocess.Popen:
    env = {
        **os.environ,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": str(web),
        "OUTBOX_SWEEP_SECONDS": str(SWEEP_SECONDS),
        "CELERY_BEAT_SCHEDULE_FILE": "/tmp/ordersite-bench-beat",
    }
    process = subprocess.Popen(
        [
            str(ROOT / ".venv/bin/honcho"),
            "-e",
            "prod-like.env",
            "start",
            "-c",
            f"web=1,worker={workers},beat=1",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                time.sleep(8)  # the workers and beat start after the web
                return process
        except OSError:
            time.sleep(0.5)
    stop(process)
    raise SystemExit(f"the layout did not start; see {log}")


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def send_emails(count: int) -> list[int]:
    """Queue ``count`` customer emails (the order-received email of recent orders)."""
    from django.db import transaction

    from orders.models import Order
    from orders.notifications.emails import Kind, email_customer

    orders = Order.objects.select_related("customer").order_by("-pk")[:count]
    with transaction.atomic():
        return [
            email_customer(order=order, kind=Kind.RECEIVED).delivery_id
            for order in orders
        ]


def drain(ids: list[int], timeout: float = 600) -> float:
    from ordersite.models import OutboxMessage

    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        pending = (
            OutboxMessage.objects.filter(pk__in=ids)
            .exclude(status=OutboxMessage.Status.SENT)
            .count()
        )
        if not pending:
            return time.perf_counter() - started
        time.sleep(0.2)
    raise SystemExit(f"{pending} emails still unsent after {timeout} s")


def message_ids(folder: Path) -> list[str]:
    found = []
    for path in folder.glob("*"):
        found += re.findall(
            r"^Message-ID: (.+)$", path.read_text(errors="replace"), re.M
        )
    return found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8200)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--emails", type=int, default=300)
    args = parser.parse_args()
    import django

    django.setup()
    from bench.status_page import load, tokens
    from orders.models import Notification
    from ordersite import outbox
    from ordersite.models import OutboxMessage

    assert os.environ.get("REDIS_URL"), "set REDIS_URL: the workers take tasks from it"
    folder = Path(env_file()["EMAIL_FILE_PATH"])
    pages = [f"/track/{t}/" for t in tokens(200)]
    url = f"http://127.0.0.1:{args.port}"
    print(
        f"| {'layout':26} | {'status page /s':>14} | {'/healthz /s':>11} "
        f"| {'emails /s':>9} | {'sent twice':>10} | {'sweeps (expected)':>17} |"
    )
    print(
        f"| {'-' * 26} | {'-' * 13}: | {'-' * 10}: | {'-' * 8}: | {'-' * 9}: | {'-' * 16}: |"
    )
    for processes in (1, 2):
        shutil.rmtree(folder, ignore_errors=True)
        log = Path(f"/tmp/ordersite-bench-prod-like-{processes}.log")
        started = time.time()
        server = start(processes, processes, args.port, log)
        try:
            # Measure a quiet system: whatever the outbox still owed (from earlier
            # runs or benchmarks) is delivered first.
            backlog = OutboxMessage.objects.exclude(status=OutboxMessage.Status.SENT)
            drain(list(backlog.filter(status="pending").values_list("pk", flat=True)))
            load(url, pages, 3, 8)  # warm the page cache
            page_rps, _ms = load(url, pages, args.seconds, 8)
            base_rps, _ms = load(url, ["/healthz"], args.seconds, 8)
            ids = send_emails(args.emails)
            seconds = drain(ids)
            notifications = Notification.objects.filter(delivery_id__in=ids)
            expected = {outbox.message_id("notification", n.pk) for n in notifications}
            seen = [m for m in message_ids(folder) if m in expected]
            twice = len(seen) - len(set(seen))
            assert set(seen) == expected, f"{len(expected - set(seen))} emails missing"
        finally:
            ran = time.time() - started
            stop(server)
        text = log.read_text(errors="replace")
        sent = len(re.findall(r"Sending due task outbox-sweep", text))
        sweeps = len(re.findall(r"Task outbox\.sweep\[[^\]]+\] received", text))
        beats = len(re.findall(r"beat: Starting", text))
        print(
            f"| {f'{processes} web, {processes} worker, {beats} beat':26} | {page_rps:14.0f} "
            f"| {base_rps:11.0f} | {len(ids) / seconds:9.1f} | {twice:10d} "
            f"| {f'{sweeps} of {sent} sent ({ran / SWEEP_SECONDS:.0f})':>17} |"
        )


if __name__ == "__main__":
    main()

"""Benchmark: the customer status page under gunicorn, loaded from this process.

    # in one shell: the production layout (or any gunicorn in front of the data)
    DATABASE_URL=… REDIS_URL=… make prod-like
    # in another:
    DATABASE_URL=… .venv/bin/python bench/status_page.py --url http://127.0.0.1:8000

Client threads (keep-alive connections, one per thread) request, in alternating
rounds of ``--seconds`` each, a customer's status page (``/track/<token>/`` of
different completed orders) and the trivial view ``/healthz`` (one ``SELECT 1``)
of the same server. It prints requests per second of each, their ratio and the
median latency. The server must run in another process: this one only loads it.
"""

import argparse
import http.client
import os
import statistics
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordersite.settings.local")


def tokens(count: int) -> list[str]:
    import django

    django.setup()
    from orders.models import Order

    return list(
        Order.objects.filter(status="completed")
        .order_by("-pk")
        .values_list("tracking_token", flat=True)[:count]
    )


def load(url: str, paths: list[str], seconds: float, threads: int):
    """Requests per second and latencies (ms) of ``paths`` requested round-robin."""
    parts = urlsplit(url)
    done, latencies, errors = [0], [], []
    lock = threading.Lock()
    stop = time.perf_counter() + seconds

    def run(offset: int):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        n, mine = offset, []
        while time.perf_counter() < stop:
            path = paths[n % len(paths)]
            n += 1
            started = time.perf_counter()
            conn.request("GET", path, headers={"Host": parts.hostname})
            response = conn.getresponse()
            response.read()
            mine.append((time.perf_counter() - started) * 1000)
            if response.status != 200:
                errors.append(response.status)
        conn.close()
        with lock:
            done[0] += len(mine)
            latencies.extend(mine)

    workers = [threading.Thread(target=run, args=(i * 7,)) for i in range(threads)]
    started = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    elapsed = time.perf_counter() - started
    assert not errors, f"{len(errors)} errors, e.g. HTTP {errors[0]}"
    return done[0] / elapsed, statistics.median(latencies)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--orders", type=int, default=200, help="distinct status pages")
    args = parser.parse_args()
    pages = [f"/track/{t}/" for t in tokens(args.orders)]
    assert pages, "no completed orders: run generate_load_data first"
    trivial = ["/healthz"]
    load(args.url, pages + trivial, 3, args.threads)  # warm up
    page_rps, base_rps, page_ms, base_ms = [], [], [], []
    for _ in range(args.rounds):
        rps, ms = load(args.url, pages, args.seconds, args.threads)
        page_rps.append(rps)
        page_ms.append(ms)
        rps, ms = load(args.url, trivial, args.seconds, args.threads)
        base_rps.append(rps)
        base_ms.append(ms)
    page, base = statistics.median(page_rps), statistics.median(base_rps)
    print(f"{args.url}, {len(pages)} status pages, {args.threads} client threads")
    print(
        f"status page: {page:8.0f} req/s, median {statistics.median(page_ms):6.1f} ms"
    )
    print(
        f"/healthz:    {base:8.0f} req/s, median {statistics.median(base_ms):6.1f} ms"
    )
    print(f"ratio (status page ÷ trivial view): {page / base:.2f}")


if __name__ == "__main__":
    main()

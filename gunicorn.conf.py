"""gunicorn's configuration for ordersite (``gunicorn -c gunicorn.conf.py``).

Threaded workers (gthread): a request waiting on the database does not hold a
whole process, and a long streamed export never trips the worker timeout (the
worker's main loop keeps its heartbeat while a thread streams). Every value can
be set from the environment.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{os.environ.get('PORT', '8000')}")
# Processes: WEB_CONCURRENCY (the convention of most platforms), else one per core.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request that makes no progress for this long is killed and logged.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
# On SIGHUP or SIGTERM, requests in flight get this long to finish.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
# Recycle workers now and then (slow leaks), not all at once.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = int(os.environ.get("GUNICORN_MAX_REQUESTS_JITTER", "200"))
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Behind a reverse proxy on the same host; set FORWARDED_ALLOW_IPS for others.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
wsgi_app = "ordersite.wsgi:application"

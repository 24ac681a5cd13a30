"""gunicorn settings for production: `gunicorn -c config/gunicorn.conf.py config.wsgi`.

Every value can be overridden on the command line or by gunicorn's own
environment variables (GUNICORN_CMD_ARGS, WEB_CONCURRENCY).
"""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# Sync workers: each request is short and CPU-bound in Python; the measured
# best on 2 cores with PostgreSQL on the same machine was two per core
# (bench/load.py). A host with its database elsewhere can take more.
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2))
# Django is imported once in the master and forked: workers start at once
# and share the imported code's memory.
preload_app = True
# A worker restarts after this many requests (with jitter so they do not
# all restart together): a guard against slow leaks in any library.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", 20000))
max_requests_jitter = max_requests // 10
timeout = 30
graceful_timeout = 30
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"


def when_ready(server):
    # Everything imported so far lives as long as the process: keep it out
    # of the garbage collector's scans and off the pages that forked
    # workers would otherwise copy when the collector touches them.
    gc.freeze()

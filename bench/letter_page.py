"""The letter page with 100,000 approved names, against the trivial view, through gunicorn.

Prints the page's queries at 10 and at 100,000 names (rendered, not cached),
then p50/p95/p99 under wrk for: the trivial view (/health/), the first page
as readers get it (from each process's page cache), the first page rendered
every time (LETTER_PAGE_CACHE_SECONDS=0), the same without the delivery-order
index, and a deep page (?page=900, past the cached pages), each with the
same tool and connections. Also prints the plan of the names query.

    .venv/bin/python bench/letter_page.py            # --names 100000 --seconds 15

Needs PostgreSQL (BENCH_DATABASE_URL, default .../bench_letter_page, dropped
and recreated), Redis on 127.0.0.1:6379 and wrk.
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import add_signatories, django_setup
from bench._serve import CORES, ROOT, VENV_BIN, Gunicorn, wrk

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_letter_page"
SLUG = "open-letter-to-the-foreign-secretary"


def main():
    sys.stdout.reconfigure(line_buffering=True)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    django_setup(url, fresh=True)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": "redis://127.0.0.1:6379/14",
        "LOG_LEVEL": "WARNING",
    }
    for command in (["collectstatic", "--no-input", "-v", "0"], ["load_demo"]):
        subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", *command],
            cwd=ROOT,
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
        )
    from letters.models import Letter

    letter = Letter.objects.get(slug=SLUG)
    print_queries(letter, args.names)

    page = f"/letters/{SLUG}/"
    runs = [
        ("trivial view /health/", "/health/", {}),
        ("letter page 1, as readers get it", page, {}),
        ("letter page 1, rendered each time", page, {"LETTER_PAGE_CACHE_SECONDS": "0"}),
        ("letter page 900 (deep, not cached)", f"{page}?page=900", {}),
    ]
    results = {}
    for label, path, extra in runs:
        results[label] = measure(env, extra, path, args)
    drop_index()
    label = "letter page 1, rendered, no index"
    results[label] = measure(env, {"LETTER_PAGE_CACHE_SECONDS": "0"}, page, args)
    restore_index()

    trivial = results["trivial view /health/"]
    print(f"wrk, {args.seconds} s each, {args.connections} connections, {2 * CORES} workers:")
    for label, result in results.items():
        print(
            f"  {label:38s} {result['rate']:7,.0f}/s  p50 {result['p50_us'] / 1000:6.1f} ms"
            f" ({result['p50_us'] / trivial['p50_us']:5.1f}x trivial)  "
            f"p95 {result['p95_us'] / 1000:6.1f} ms  p99 {result['p99_us'] / 1000:6.1f} ms  "
            f"errors {result['error_count']}"
        )


def print_queries(letter, names):
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from signatories.models import Signatory

    client = Client()
    with CaptureQueriesContext(connection) as ten:
        client.get(letter.get_absolute_url())
    start = time.perf_counter()
    add_signatories(letter, names)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE signatories_signatory")
    print(f"setup: {names:,} approved signatories in {time.perf_counter() - start:.1f} s")
    caches["process"].clear()
    with CaptureQueriesContext(connection) as many:
        client.get(letter.get_absolute_url())
    print(
        f"letter page queries, rendered: {len(ten)} with the seed's 23 names, "
        f"{len(many)} with {names:,} more"
    )
    names_query = Signatory.objects.filter(letter=letter).for_delivery()[:100]
    print("plan of the names on page 1:")
    for line in names_query.explain(analyze=True).splitlines():
        print(f"  {line}")


def measure(env, extra, path, args):
    server = Gunicorn({**env, **extra}, workers=2 * CORES)
    try:
        wrk(f"{server.url}{path}", script="get.lua", seconds=3, connections=args.connections)
        return wrk(
            f"{server.url}{path}",
            script="get.lua",
            seconds=args.seconds,
            connections=args.connections,
        )
    finally:
        server.stop()


def drop_index():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX signatory_delivery_order_idx")


def restore_index():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE INDEX signatory_delivery_order_idx ON signatories_signatory "
            "(letter_id, kind DESC, sort_key, id)"
        )


if __name__ == "__main__":
    main()

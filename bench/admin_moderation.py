"""How fast organisers clear a big queue in the admin, on PostgreSQL.

Prints, in one run:
- the time to approve 10,000 signatures with one admin action ("select all"),
  through the real admin view and the moderation service;
- the time to load the signatory changelist with 100,000 rows (the default
  queue and "All"), beside the admin index page as a baseline measured in the
  same process with the same middleware.

Usage: .venv/bin/python bench/admin_moderation.py [--rows 100000] [--approve 10000]
Needs PostgreSQL (BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/bench_letters);
the database is dropped and created afresh.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def fresh_database(url):
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def timed(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--approve", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_letters")
    fresh_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")

    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import reverse

    from letters.models import Letter
    from signatories.models import Signatory
    from signatories.names import derive_sort_name, sort_key
    from tests.factories import LetterFactory

    setup_test_environment()
    # Production serves collected, hashed files; the bench renders pages without collecting.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
    letter = LetterFactory(status=Letter.Status.OPEN)

    start = time.perf_counter()
    surnames = ["Anderson", "Bowring", "Жанат", "Қанатов", "la Falce", "Lavery", "Øberg", "Zernova"]
    batch = []
    for i in range(args.rows):
        name = f"Person{i} {surnames[i % len(surnames)]}"
        sort_name = derive_sort_name(name)
        batch.append(
            Signatory(
                letter=letter,
                name=name,
                affiliation="member of Unite, personal capacity",
                email=f"person{i}@example.net",
                sort_name=sort_name,
                sort_key=sort_key(sort_name),
                status=Signatory.Status.PENDING if i < args.approve else Signatory.Status.APPROVED,
                confirmed_at="2026-11-01T12:00Z",
            )
        )
        if len(batch) == 5000:
            Signatory.objects.bulk_create(batch)
            batch = []
    Signatory.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(f"setup: {args.rows:,} signatories in {time.perf_counter() - start:.1f} s")

    client = Client()
    client.force_login(user)
    changelist = reverse("admin:signatories_signatory_changelist")
    index = reverse("admin:index")

    def get(url):
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    for url in (index, changelist, changelist + "?queue=all"):
        get(url)  # warm up
    baseline, _ = timed(lambda: get(index), args.repeat)
    queue, _ = timed(lambda: get(changelist), args.repeat)
    everything, _ = timed(lambda: get(changelist + "?queue=all"), args.repeat)
    print(f"admin index (baseline):          p50 {baseline * 1000:7.1f} ms")
    print(
        f"changelist, default queue:       p50 {queue * 1000:7.1f} ms"
        f"  ({queue / baseline:.1f}x baseline; {args.approve:,} rows awaiting)"
    )
    print(
        f"changelist, all {args.rows:,} rows:  p50 {everything * 1000:7.1f} ms"
        f"  ({everything / baseline:.1f}x baseline)"
    )

    first = Signatory.objects.filter(status=Signatory.Status.PENDING).values_list("pk", flat=True)[
        0
    ]
    start = time.perf_counter()
    response = client.post(
        changelist,
        {"action": "approve", "select_across": "1", "index": "0", "_selected_action": [first]},
    )
    elapsed = time.perf_counter() - start
    assert response.status_code == 302, response.status_code
    approved = Signatory.objects.filter(status=Signatory.Status.APPROVED).count()
    assert approved == args.rows, approved
    print(
        f"approve {args.approve:,} with one admin action: {elapsed * 1000:7.1f} ms"
        f"  (all {approved:,} now approved; audit entries: "
        f"{Signatory.objects.filter(moderation_entries__isnull=False).count():,})"
    )
    print("aims (issue 4): approve 10,000 under 2 s; changelist at 100,000 under 300 ms")


if __name__ == "__main__":
    main()

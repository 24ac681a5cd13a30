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
import time

from _common import DEFAULT_URL, add_signatories, django_setup


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

    django_setup(os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL), fresh=True)
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from letters.models import Letter
    from signatories.models import Signatory
    from tests.factories import LetterFactory

    user = get_user_model().objects.create_superuser("bench", "bench@example.org", "x")
    letter = LetterFactory(status=Letter.Status.OPEN)
    start = time.perf_counter()
    add_signatories(letter, args.rows, pending=args.approve)
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

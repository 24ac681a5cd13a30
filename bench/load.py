"""Signatures per second through the real stack, and what each optimisation is worth.

PostgreSQL-backed gunicorn (config/gunicorn.conf.py, workers from the core
count), Redis for the abuse counters, a local SMTP sink, and wrk driving sign
POSTs from a second process on loopback: unique e-mails with a share of
repeats, each from its own client address in X-Forwarded-For with loopback as
the trusted proxy, as behind a real proxy. Then, in order:

1. the trivial view (/health/, same middleware, same tool) and the sign run;
   every accepted signature checked in the database exactly once;
2. the mail drain: two `db_worker` processes deliver every confirmation;
   every row mailed once, and the page's count equal to the published rows
   after some links are followed;
3. each optimisation undone in turn (bench/app.py), against a baseline;
4. two app instances sharing PostgreSQL and Redis: the load split across
   them, the rate-limit ceiling across both, sessions and CSRF across them;
5. worker memory after the run against after warm-up; EXPLAIN of the hot
   queries.

    .venv/bin/python bench/load.py                   # --seconds 60 --connections 32
    .venv/bin/python bench/load.py --skip-undo --skip-instances

Needs PostgreSQL (BENCH_DATABASE_URL, default .../bench_load, dropped and
recreated), Redis on 127.0.0.1:6379 (database 14 is flushed) and wrk.
"""

import argparse
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import address_keys, addresses_starting, django_setup, fresh_database
from bench._serve import (
    CORES,
    ROOT,
    VENV_BIN,
    Browser,
    Gunicorn,
    SmtpSink,
    cpu_by_program,
    cpu_shares,
    form_fields,
    wrk,
)

DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/bench_load"
REDIS_URL = "redis://127.0.0.1:6379/14"
SLUG = "open-letter-to-the-foreign-secretary"
SIGN_PATH = f"/letters/{SLUG}/sign/"
REPEAT_EVERY = 10  # every tenth request repeats an address, in capitals
ADMIN_PASSWORD = secrets.token_urlsafe(16)

# Each optimisation of issue 9 and how the bench undoes it: environment or code (bench/app.py).
UNDO = {
    "ip-password-hasher": ("IP hashed with keyed HMAC", {}),
    "count-per-request": ("no COUNT(*) per signature", {}),
    "email-lookup-off-index": ("repeat lookup on the unique index", {}),
    "email-encryption": ("addresses encrypted at rest", {}),
    "no-persistent-connections": (
        "persistent connections",
        {"CONN_MAX_AGE": "0"},
    ),
    "pool-instead": ("persistent connections, no pool", {"DATABASE_POOL_MAX_SIZE": "2"}),
    "client-side-binding": ("prepared statements", {"DATABASE_SERVER_SIDE_BINDING": "0"}),
    "mail-in-request": ("mail off the request path", {"TASKS_BACKEND": "immediate"}),
    "task-per-signature": ("confirmation outbox", {}),
    "session-write": ("no session write", {}),
    "redis-client-per-call": ("one Redis round trip per check", {}),
}


def main():
    sys.stdout.reconfigure(line_buffering=True)  # progress as it happens, even into a file
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=60, help="the main sign run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--undo-seconds", type=int, default=15)
    parser.add_argument("--skip-undo", action="store_true")
    parser.add_argument("--skip-instances", action="store_true")
    parser.add_argument(
        "--only-encryption",
        action="store_true",
        help="only the sign path with and without encryption at rest, alternating",
    )
    args = parser.parse_args()

    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL)
    fresh_database(url)
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    sink = SmtpSink(ROOT / "bench" / "out" / "smtp-sink.txt")
    env = server_env(url, sink.port)
    prepare(env)
    django_setup(url, fresh=False)
    print(f"machine: {CORES} cores; gunicorn workers: {2 * CORES} (two per core)")

    try:
        server = Gunicorn(env, workers=2 * CORES)
        form = Form(server.url, env)
        runs = []
        runs.append(sign_run(server.url, form, "warm", 5, args.connections))
        if args.only_encryption:
            server.stop()
            encryption_cost(env, form, args, rounds=4)
            return
        wrk(f"{server.url}/health/", script="get.lua", seconds=3, connections=args.connections)
        rss_warm = server.worker_rss_mb()

        trivial = wrk(
            f"{server.url}/health/", script="get.lua", seconds=15, connections=args.connections
        )
        report("trivial view /health/", trivial)
        main_run = sign_run(server.url, form, "main", args.seconds, args.connections)
        runs.append(main_run)
        report(f"sign POST, {args.seconds} s", main_run)
        print(
            f"  ratio to the trivial view: {main_run['rate'] / trivial['rate']:.3f} "
            f"(1 : {trivial['rate'] / main_run['rate']:.1f})"
        )
        rss_after = server.worker_rss_mb()
        check_rows(runs)
        print_memory(rss_warm, rss_after)
        errors = server.stop()
        print(f"  tracebacks in the gunicorn log: {len(errors)}")

        drain(env, sink)
        server = Gunicorn(env, workers=2 * CORES)
        check_count(server.url, sink)
        server.stop()

        if not args.skip_undo:
            undo_each(env, form, args)
            encryption_cost(env, form, args)
        if not args.skip_instances:
            two_instances(env, args.connections)
        explain_hot_queries()
    finally:
        sink.stop()


def server_env(url, smtp_port):
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        **address_keys(),  # the bench reads back what the servers stored
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "REDIS_URL": REDIS_URL,
        "TRUSTED_PROXIES": "127.0.0.1",
        "TASKS_BACKEND": "database",
        "EMAIL_URL": f"smtp://127.0.0.1:{smtp_port}",
        "LOG_LEVEL": "WARNING",
        "PUBLIC_COUNT_CACHE_SECONDS": "2",
        # The defaults otherwise: persistent connections with health checks
        # (CONN_MAX_AGE=60), prepared statements, no pool.
    }


def prepare(env):
    """Migrate, collect static files, load the demo letter, make an admin; flush Redis."""
    manage = [str(VENV_BIN / "python"), "manage.py"]
    for command in (
        ["migrate", "--no-input", "-v", "0"],
        ["collectstatic", "--no-input", "-v", "0"],
        ["load_demo"],
    ):
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)
    subprocess.run(
        [*manage, "createsuperuser", "--no-input", "--username", "bench", "--email", "b@x.test"],
        cwd=ROOT,
        env={**env, "DJANGO_SUPERUSER_PASSWORD": ADMIN_PASSWORD},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


class Form:
    """One visitor's CSRF cookie and token, and a form stamp of its own for every request.

    A stamp is spent by the request that sends it (signatories/abuse.py), as
    each person's browser sends its own; the bench signs them with the
    server's key, as the page would, and hands wrk a file of them.
    """

    STAMPS_PER_SECOND = 3000  # above any rate measured here

    def __init__(self, base, env):
        from django.conf import settings

        browser = Browser()
        status, html = browser.request(f"{base}/letters/{SLUG}/")
        assert status == 200, status
        self.token, _ = form_fields(html)
        self.cookie = browser.cookie("csrftoken")
        self.key = env["SECRET_KEY"]
        time.sleep(settings.SIGN_MIN_FORM_SECONDS + 0.5)  # a person takes longer to type

    def fresh_stamp(self):
        from django.conf import settings

        from signatories.abuse import form_stamp

        return form_stamp(time.time() - settings.SIGN_MIN_FORM_SECONDS - 5, key=self.key)

    def env(self, run_id, seconds):
        path = ROOT / "bench" / "out" / f"stamps-{run_id}.txt"
        count = int(seconds * self.STAMPS_PER_SECOND) + 1000
        path.write_text("\n".join(self.fresh_stamp() for _ in range(count)) + "\n")
        return {
            "RUN_ID": run_id,
            "SIGN_PATH": SIGN_PATH,
            "CSRF_TOKEN": self.token,
            "CSRF_COOKIE": self.cookie,
            "STAMPS_FILE": str(path),
            "REPEAT_EVERY": str(REPEAT_EVERY),
        }


def sign_run(base, form, run_id, seconds, connections, threads=2):
    result = wrk(
        base,
        script="sign.lua",
        seconds=seconds,
        connections=connections,
        threads=threads,
        env={**form.env(run_id, seconds), "WRK_THREADS": str(threads)},
    )
    result.update(run_id=run_id, connections=connections, wrk_threads=threads)
    return result


def report(label, result):
    cpu = result["cpu"]
    tool = cpu.get("wrk", 0)
    top = ", ".join(f"{name} {share:.0%}" for name, share in list(cpu.items())[:5])
    print(
        f"{label}: {result['rate']:,.0f}/s, p50 {result['p50_us'] / 1000:.1f} ms, "
        f"p95 {result['p95_us'] / 1000:.1f} ms, p99 {result['p99_us'] / 1000:.1f} ms, "
        f"errors {result['error_count']}; wrk's own CPU {tool:.1%} of the machine ({top})"
    )


def expected_addresses(result):
    """Per run: every unique address wrk generated, and those whose response it surely got.

    Each wrk connection has at most one request in flight and a thread's
    requests are numbered in the order they are sent, so at the end only a
    thread's last `connections per thread` requests can be cut off.
    """
    generated, surely_answered = set(), set()
    per_thread = result["connections"] // result["wrk_threads"]
    for thread in result["threads"]:
        last = thread["generated"]
        for n in range(1, last + 1):
            if n > REPEAT_EVERY and n % REPEAT_EVERY == 0:
                continue  # a repeat of an earlier address
            if thread["tid"] == 0 and n == 1:
                continue  # wrk builds thread 0's first request only to inspect it, never sends it
            address = f"load-{result['run_id']}-{thread['tid']}-{n}@example.net"
            generated.add(address)
            if n <= last - per_thread:
                surely_answered.add(address)
    return generated, surely_answered


def check_rows(runs):
    """Every accepted signature in the database exactly once; nothing else."""
    import collections

    for result in runs:
        generated, answered = expected_addresses(result)
        rows = collections.Counter(addresses_starting(f"load-{result['run_id']}-").values())
        stored = set(rows)
        doubled = [address for address, n in rows.items() if n > 1]
        codes = {}
        for thread in result["threads"]:
            for code, count in thread["codes"].items():
                codes[code] = codes.get(code, 0) + count
        lost = answered - stored
        strays = stored - generated
        print(
            f"  run {result['run_id']!r}: {result['requests']:,} responses {codes}, "
            f"{sum(rows.values()):,} rows; lost {len(lost)}, doubled {len(doubled)}, "
            f"not sent by wrk {len(strays)}, cut off in flight at the end "
            f"{len(generated - answered)} (of which stored {len((generated - answered) & stored)})"
        )


def print_memory(warm, after):
    deltas = [after[pid] - warm[pid] for pid in warm if pid in after]
    print(
        "  worker memory (RSS) after warm-up: "
        + ", ".join(f"{mb:.1f}" for mb in warm.values())
        + " MB; after the run: "
        + ", ".join(f"{mb:.1f}" for mb in after.values())
        + f" MB; largest growth {max(deltas):+.1f} MB"
    )


def drain(env, sink):
    """Two db_worker processes deliver every queued confirmation; every row mailed once."""
    from django.db.models import Q
    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    from signatories.models import Signatory

    loaded = addresses_starting("load-")
    owed = len(loaded)
    print(f"mail drain: {owed:,} confirmations owed, two db_worker processes")
    workers = [
        subprocess.Popen(
            [
                str(VENV_BIN / "python"),
                "manage.py",
                "db_worker",
                "--no-startup-delay",
                "--interval",
                "0.2",
                "--worker-id",
                f"bench-{i}",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in (1, 2)
    ]
    before, start = cpu_by_program(), time.monotonic()
    # A drain that ends while another holds a lease queues a sweep for when the
    # lease runs out (an hour on): that one is not part of this drain.
    # django-tasks-db stores "no run_after" as the year 9999.
    due = Q(run_after__lte=timezone.now()) | Q(run_after__year=9999)
    pending = DBTaskResult.objects.filter(Q(status="RUNNING") | (Q(status="READY") & due))
    # Any row owed either mail (the demo's names are confirmed and owe none).
    owing = Signatory.objects.filter(
        Q(confirmation_due_at__isnull=False) | Q(already_signed_due_at__isnull=False)
    )
    while pending.exists() or owing.exists():
        time.sleep(0.2)
    seconds = time.monotonic() - start
    shares = cpu_shares(before, cpu_by_program(), seconds)
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=30)

    lines = sink.lines()
    confirmations = [rcpt.lower() for rcpt, kind, _ in lines if kind == "confirm"]
    others = [rcpt for rcpt, kind, _ in lines if kind != "confirm"]
    addresses = set(loaded.values())
    twice = len(confirmations) - len(set(confirmations))
    failed = DBTaskResult.objects.filter(status="FAILED").count()
    print(
        f"  {len(lines):,} mails in {seconds:.1f} s: {len(lines) / seconds:,.0f} mails/s "
        f"({len(confirmations):,} confirmations, {len(others):,} 'already signed'); "
        f"rows never mailed {len(addresses - set(confirmations))}, mailed twice {twice}, "
        f"failed tasks {failed}; CPU (python: the two workers and the sink): "
        + ", ".join(f"{name} {share:.0%}" for name, share in list(shares.items())[:4])
    )


def check_count(base, sink, follow=500):
    """Confirm some signatures as people do (open the link, press the button); the public
    count must then equal the published rows."""
    from django.conf import settings

    from letters.models import Letter
    from signatories.models import Signatory

    links = [link for _, kind, link in sink.lines() if kind == "confirm"][:follow]
    browser = Browser()
    statuses = {}
    for link in links:
        page = re.sub(r"^https?://[^/]+", base, link).split("?")[0]
        _, html = browser.request(page)  # asks; sets the CSRF cookie
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        status, _ = browser.request(page, {"csrfmiddlewaretoken": token})  # the button
        statuses[status] = statuses.get(status, 0) + 1
    time.sleep(settings.PUBLIC_COUNT_CACHE_SECONDS + 1)
    _, body = browser.request(f"{base}/letters/{SLUG}/count.json")
    shown = int(re.search(r'"count": (\d+)', body).group(1))
    letter = Letter.objects.get(slug=SLUG)
    published = Signatory.objects.filter(letter=letter).published().count()
    print(
        f"  confirmed {len(links)} signatures by their links {statuses}; "
        f"count.json shows {shown:,}, "
        f"published rows {published:,}: {'equal' if shown == published else 'DIFFERENT'}"
    )


def undo_each(env, form, args):
    """Each optimisation undone on its own, against a baseline measured the same way."""
    print(f"each optimisation undone ({args.undo_seconds} s each, same tool and connections):")
    baseline = undo_run(env, form, "", {}, args)
    print(f"  {'all in place (baseline)':42s} {baseline:8,.0f}/s")
    for name, (what, extra_env) in UNDO.items():
        rate = undo_run(env, form, name, extra_env, args)
        gain = f"{baseline / rate:5.1f}x" if rate else "  all"
        print(f"  {what + ' undone':42s} {rate:8,.1f}/s   with it: {gain} as many ({name})")


def undo_run(env, form, undo, extra_env, args, *, tag=None, forget_rows=False):
    """One server with `undo` undone: its sign rate.

    `tag` names the run's addresses: a run that reused another's would only
    repeat them. `forget_rows` deletes what it stored, so runs compared with
    each other all start from the same table.
    """
    import redis
    from django.db import connection
    from django_tasks_db.models import DBTaskResult

    from signatories.models import Signatory

    # Each run starts level: nothing owed from the last one (the in-request mail
    # variant would otherwise drain it), no drain flag or rate counters in Redis.
    Signatory.objects.exclude(confirmation_due_at=None).update(confirmation_due_at=None)
    DBTaskResult.objects.all().delete()
    redis.Redis.from_url(REDIS_URL).flushdb()
    last_pk = Signatory.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    server = Gunicorn({**env, **extra_env}, workers=2 * CORES, undo=undo)
    try:
        tag = tag or undo or "base"
        sign_run(server.url, form, f"u-{tag}-w", 3, args.connections)
        result = sign_run(server.url, form, f"u-{tag}", args.undo_seconds, args.connections)
        if result["error_count"]:
            print(f"  ({undo or 'baseline'}: {result['error_count']} errors: {result['errors']})")
        return result["rate"]
    finally:
        server.stop()
        # A run without encryption stores plain addresses the app cannot read: never kept.
        # (SQL, not the ORM: its delete would load, and so decrypt, those rows.)
        if forget_rows or undo == "email-encryption":
            with connection.cursor() as cursor:
                cursor.execute("DELETE FROM signatories_signatory WHERE id > %s", [last_pk])


def encryption_cost(env, form, args, rounds=3):
    """The sign path with and without encryption at rest, alternating, in the same run."""
    print(f"encryption at rest ({rounds} rounds of {args.undo_seconds} s each way, alternating):")
    pairs = []
    for n in range(rounds):
        # ABBA: neither side always runs first (a warmer cache, a busier moment).
        order = ("", "email-encryption") if n % 2 == 0 else ("email-encryption", "")
        rates = {
            undo: undo_run(
                env, form, undo, {}, args, tag=f"enc{n}-{undo or 'base'}", forget_rows=True
            )
            for undo in order
        }
        with_it, without = rates[""], rates["email-encryption"]
        pairs.append((with_it, without))
        print(f"  round {n + 1}: encrypted {with_it:8,.0f}/s, plain {without:8,.0f}/s")
    ratios = sorted(with_it / without for with_it, without in pairs)
    print(
        f"  encrypted / plain: median {ratios[len(ratios) // 2]:.3f} "
        f"(rounds: {', '.join(f'{r:.3f}' for r in ratios)})"
    )


def two_instances(env, connections):
    """Two app instances on two ports, sharing PostgreSQL and Redis."""
    from django.conf import settings

    print("two app instances (each with one worker per core), sharing PostgreSQL and Redis:")
    a, b = Gunicorn(env, workers=CORES), Gunicorn(env, workers=CORES)
    try:
        form = Form(a.url, env)
        results = {}

        def load(name, server):
            results[name] = sign_run(
                server.url, form, f"two-{name}", 20, connections // 2, threads=1
            )

        threads = [threading.Thread(target=load, args=pair) for pair in (("a", a), ("b", b))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        total = sum(r["rate"] for r in results.values())
        errors = sum(r["error_count"] for r in results.values())
        print(
            f"  20 s split across both: {total:,.0f} signatures/s "
            f"(a {results['a']['rate']:,.0f}, b {results['b']['rate']:,.0f}), errors {errors}"
        )
        check_rows(list(results.values()))

        # The hard ceiling, from one address, alternating between the instances.
        if time.time() % 60 > 40:  # fixed one-minute windows: start in a fresh one
            time.sleep(61 - time.time() % 60)
        limit = settings.SIGN_HARD_LIMIT_PER_MINUTE
        browser, outcomes = Browser(), {}
        for i in range(2 * limit):
            server = (a, b)[i % 2]
            status, _ = browser.request(
                f"{server.url}{SIGN_PATH}",
                sign_fields(form.token, form.fresh_stamp(), f"ceiling-{i}@example.net"),
                headers={"X-Forwarded-For": "198.51.100.7", "Cookie": f"csrftoken={form.cookie}"},
            )
            outcomes[status] = outcomes.get(status, 0) + 1
        print(
            f"  one address, {2 * limit} attempts alternating a/b: {outcomes} "
            f"(ceiling {limit} a minute across both)"
        )

        # CSRF: the form from a, posted to b. Sessions: log in on a, use the admin on b.
        browser = Browser()
        _, html = browser.request(f"{a.url}/letters/{SLUG}/")
        token, stamp = form_fields(html)
        time.sleep(settings.SIGN_MIN_FORM_SECONDS + 0.5)
        status, _ = browser.request(
            f"{b.url}{SIGN_PATH}",
            sign_fields(token, stamp, "crossed@example.net"),
            headers={"X-Forwarded-For": "198.51.100.8"},
        )
        print(f"  sign form from a posted to b: {status}")
        admin = Browser()
        _, html = admin.request(f"{a.url}/admin/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
        login, _ = admin.request(
            f"{a.url}/admin/login/?next=/admin/",
            {"csrfmiddlewaretoken": token, "username": "bench", "password": ADMIN_PASSWORD},
        )
        status, page = admin.request(f"{b.url}/admin/")
        print(
            f"  admin login on a: {login}; the admin index on b with that session: {status}"
            f"{' (logged in)' if 'Log out' in page else ' (NOT logged in)'}"
        )
    finally:
        a.stop()
        b.stop()


def sign_fields(token, stamp, email):
    return {
        "csrfmiddlewaretoken": token,
        "name": "Ceiling Test",
        "affiliation": "",
        "email": email,
        "kind": "individual",
        "display": "full",
        "website": "",
        "rendered": stamp,
    }


def explain_hot_queries():
    from django.db import connection
    from django.utils import timezone

    from letters.models import Letter
    from signatories.models import Signatory
    from signatories.outboxes import CONFIRMATIONS
    from signatories.services.signing import insert_statement

    letter = Letter.objects.get(slug=SLUG)
    signatory = Signatory(letter=letter, name="Ada Lovelace", email="ada@example.net")
    signatory.set_sort_name()
    print("plans of the hot queries (EXPLAIN):")
    with connection.cursor() as cursor:
        for label, (sql, params) in (
            ("the sign INSERT", insert_statement(signatory)),
            (
                "the outbox claim",
                CONFIRMATIONS.claim_statement(100, now=timezone.now(), lease_until=timezone.now()),
            ),
        ):
            cursor.execute(f"EXPLAIN {sql}", params)
            print(f"  {label}:")
            for (line,) in cursor.fetchall():
                print(f"    {line}")
    repeat = Signatory.objects.filter(letter=letter).with_email("ada@example.net")
    print("  a repeat's read-back:")
    for line in repeat.explain().splitlines():
        print(f"    {line}")


if __name__ == "__main__":
    main()

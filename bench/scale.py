"""Six million names: every supporter and organiser operation as one letter grows.

One letter grows from 1,000 to 100,000, 1,000,000 and 6,000,000 signatures
(COPY, bench/_scale_data.py: names in Latin, Cyrillic and Kazakh letters,
affiliations, every status and display choice, a few per cent
organisations, addresses encrypted and hashed as the app stores them), on a
PostgreSQL cluster of the bench's own, tuned as a production server of this
size would be. At each size it measures each operation below: time (p50 of
several runs where a run is short), peak memory growth of the process that
does the work, the queries it makes, and the ratio to its figure at the
first size. Then one table, with each cost's growth per tenfold of names.

- the public letter page (first, last, a page in the middle, a typed
  surname), uncached, beside the trivial view /health/, and the first and
  last page as production serves them (kept a few seconds per process); the
  count, and a check that no COUNT(*) is on any public request's path;
- the signed PDF (a process of its own, up to --pdf-up-to names; beyond,
  projected) and the contacts CSV (likewise);
- the moderation queue's default view, every view of the queue, a name
  search (common, rare, an organisation), the letter's admin page;
- a bulk approval of 100,000 (as many as await, below that) in batches,
  with sign requests going on beside it (their p99);
- the purge of the unconfirmed, anonymisation (undone afterwards but at the
  last size), re-encryption (up to --reencrypt-up-to rows), the receipts'
  copies from a PDF's page map;
- importing 100,000 CSV rows into a letter of its own, on PostgreSQL (and
  once on SQLite, at the end);
- the sign path through gunicorn and Redis (wrk, 15 s), on the empty
  letter and at each size, and at the last size beside a bulk decision and
  beside anonymisation;
- mail at 1,000,000 names: an update queued for every consenting signatory,
  and how many mails a second one, two and four workers send to the local
  SMTP sink (each for --mail-seconds).

Usage (after `make install` and `make bench-deps`, for wrk):

    .venv/bin/python bench/scale.py                       # 1k .. 6M, about an hour
    .venv/bin/python bench/scale.py --sizes 1000,100000   # a quick look

Needs PostgreSQL 15's binaries (its own cluster under bench/out/scale/),
Redis on 127.0.0.1:6379 (database 13, flushed), wrk.
"""

import argparse
import collections
import contextlib
import csv
import json
import math
import os
import secrets
import statistics
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import address_keys, django_setup
from bench._scale_data import copy_signatures
from bench._serve import ROOT, VENV_BIN, Browser, Gunicorn, SmtpSink, form_fields, wrk
from bench._stack import Postgres

OUT = ROOT / "bench" / "out" / "scale"
REDIS_URL = "redis://127.0.0.1:6379/13"
SLUG = "letter-that-went-viral"
SIDE = "a-letter-beside-it"
DEFAULT_SIZES = [1_000, 100_000, 1_000_000, 6_000_000]
# A production-like server of this machine's size (24 GB, SSD): what an operator sets.
PG_SETTINGS = {
    "shared_buffers": "4GB",
    "effective_cache_size": "12GB",
    "work_mem": "32MB",
    "maintenance_work_mem": "1GB",
    "max_wal_size": "16GB",
    "checkpoint_timeout": "15min",
    "random_page_cost": "1.1",
    "jit": "off",
    "max_connections": "200",
}
ORGANISER = "scale-organiser"


def log(message=""):
    print(message, flush=True)


# Figures: one cell of the table per operation and size.


class Figure:
    def __init__(self, seconds, *, memory_mb=None, queries=None, note=""):
        self.seconds, self.memory_mb, self.queries, self.note = seconds, memory_mb, queries, note


class Table:
    def __init__(self):
        self.rows = collections.OrderedDict()

    def add(self, operation, size, figure):
        self.rows.setdefault(operation, {})[size] = figure
        memory = f", +{figure.memory_mb:.1f} MB" if figure.memory_mb is not None else ""
        queries = f", {figure.queries} queries" if figure.queries is not None else ""
        note = f" ({figure.note})" if figure.note else ""
        log(f"  {operation:<44} {_time(figure.seconds):>10}{memory}{queries}{note}")

    def print(self, sizes):
        log()
        log("operation".ljust(44) + "".join(f"{_size(s):>24}" for s in sizes) + "   per tenfold")
        for operation, cells in self.rows.items():
            line = operation.ljust(44)
            first = next((cells[s] for s in sizes if s in cells), None)
            for size in sizes:
                cell = cells.get(size)
                if cell is None:
                    line += " " * 24
                    continue
                ratio = cell.seconds / first.seconds if first and first.seconds else 1
                memory = f" {cell.memory_mb:+.0f}MB" if cell.memory_mb is not None else ""
                queries = f" q{cell.queries}" if cell.queries is not None else ""
                line += f"{_time(cell.seconds)} {ratio:4.1f}x{memory}{queries}".rjust(24)
            line += f"   {_slope(cells, sizes)}"
            log(line)
        log()
        log("Each cell: time, ratio to the first size, peak memory growth (MB), queries (q).")
        log("Per tenfold: how the time grows when the letter grows ten times (1.0x: flat;")
        log("10x: linear), fitted from the smallest to the largest size measured.")


def _time(seconds):
    if seconds is None:
        return "-"
    return f"{seconds * 1000:.1f} ms" if seconds < 1 else f"{seconds:.1f} s"


def _size(size):
    return f"{size / 1_000_000:g}M names" if size >= 1_000_000 else f"{size:,} names"


def _slope(cells, sizes):
    measured = [(s, cells[s].seconds) for s in sizes if s and s in cells and cells[s].seconds]
    if len(measured) < 2:
        return ""
    (small, t_small), (big, t_big) = measured[0], measured[-1]
    if big == small:
        return ""
    return f"{(t_big / t_small) ** (1 / math.log10(big / small)):.2f}x"


def p50(samples):
    return statistics.median(samples)


def p99(samples):
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# The stack: PostgreSQL of our own, Redis, an SMTP sink, gunicorn, task workers.


class Stack:
    def __init__(self):
        OUT.mkdir(parents=True, exist_ok=True)
        log("starting PostgreSQL (its own cluster), the SMTP sink, gunicorn ...")
        self.pg = Postgres(OUT / "pg", "scale", PG_SETTINGS)
        self.sink = SmtpSink(OUT / "sink.txt")
        self.env = {
            **os.environ,
            "DATABASE_URL": self.pg.url,
            "DEBUG": "0",
            "SECRET_KEY": os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50)),
            **address_keys(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
            "REDIS_URL": REDIS_URL,
            "TRUSTED_PROXIES": "127.0.0.1",
            "TASKS_BACKEND": "database",
            "EMAIL_URL": f"smtp://127.0.0.1:{self.sink.port}",
            "LOG_LEVEL": "WARNING",
            "SECOND_FACTOR_REQUIRED": "0",
            "LETTER_PAGE_CACHE_SECONDS": "0",  # every page measured is rendered
            "WORKER_SWEEP_SECONDS": "3600",  # no sweep in the middle of a mail rate
        }
        os.environ.update(self.env)  # this process reads what the servers read
        django_setup(self.pg.url, fresh=False, test_environment=False)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        # gunicorn serves the collected, hashed static files, as production does.
        subprocess.run(
            [str(VENV_BIN / "python"), "manage.py", "collectstatic", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=self.env,
            check=True,
        )
        import redis

        redis.Redis.from_url(REDIS_URL).flushdb()
        self.web = None

    def start_web(self):
        self.web = Gunicorn({**self.env, "BENCH_UNDO": ""}, workers=4)

    def workers(self, count):
        command = [str(VENV_BIN / "python"), "manage.py", "worker", "--no-reload", "--worker-id"]
        log_file = open(OUT / "workers.log", "a")  # noqa: SIM115
        quiet = {"stdout": log_file, "stderr": log_file}
        return [
            subprocess.Popen([*command, f"scale-{n}"], cwd=ROOT, env=self.env, **quiet)
            for n in range(count)
        ]

    def stop(self):
        if self.web:
            self.web.stop()
        self.sink.stop()
        self.pg.stop()


# The letter and the people who run it.


def setup_letters():
    from django.contrib.auth import get_user_model

    from campaign.models import Campaign
    from letters.models import Letter
    from signatories.roles import roles_setup
    from teams.models import Role
    from teams.services import team_member_set

    roles_setup()
    campaign = Campaign.objects.create(
        title="Justice for Kazakhstan's oil workers", slug="justice", summary="s", background="b"
    )
    letters = {}
    for slug, title in [(SLUG, "Open letter to the Foreign Secretary"), (SIDE, "Another letter")]:
        letters[slug] = Letter.objects.create(
            campaign=campaign,
            title=title,
            slug=slug,
            addressee="The Foreign Secretary",
            salutation="Dear Foreign Secretary,",
            body="We urge you to act.\n\nAnd to act again.",
            closing="Yours sincerely,",
            status=Letter.Status.OPEN,
            moderation=Letter.Moderation.POST,
        )
    user = get_user_model().objects.create_user(ORGANISER)  # logged in by the client
    team_member_set(campaign=campaign, user=user, role=Role.ORGANISER)
    return letters[SLUG], letters[SIDE], user


def grow(url, letter, start, stop):
    """COPY rows start..stop of the letter, then VACUUM ANALYZE (autovacuum would, later)."""
    import psycopg

    began = time.perf_counter()
    copy_signatures(url, letter.pk, start, stop)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE signatories_signatory")
    from signatories.services.tally import tallies_compact

    tallies_compact()
    return time.perf_counter() - began


# Measuring in this process: time, queries, and (separately) Python memory.


def measure(fn, *, runs=5, memory=False):
    """(p50 seconds over runs, queries of one run, peak MB of one run if asked)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        fn()  # a warm-up run, counted for its queries
    queries = len(captured.captured_queries)
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        fn()
        times.append(time.perf_counter() - began)
    peak = None
    if memory:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return p50(times), queries, peak, captured.captured_queries


def public_pages(table, size, letter):
    from django.test import Client

    from letters.name_list import NameList

    client = Client()
    url = letter.get_absolute_url()
    trivial, q_trivial, _, _ = measure(lambda: client.get("/health/"), runs=21)
    table.add("trivial view /health/", size, Figure(trivial, queries=q_trivial))
    names = NameList(letter)
    middle = names.page(typed="M").next  # a position halfway through the alphabet
    cases = [
        ("letter page, first", {}),
        ("letter page, last", {"last": "1"}),
        ("letter page, middle (a position)", {"after": middle.encode() if middle else ""}),
        ("letter page, a typed surname", {"from": "Қасымова"}),
    ]
    for label, params in cases:
        seconds, queries, peak, captured = measure(
            lambda params=params: client.get(url, params), runs=11, memory=True
        )
        table.add(
            label,
            size,
            Figure(
                seconds, memory_mb=peak, queries=queries, note=f"{seconds / trivial:.1f}x trivial"
            ),
        )
        assert_no_count(label, captured)
    for label, path in [
        ("count.json (uncached)", f"/letters/{letter.slug}/count.json"),
        ("embed (uncached)", f"/letters/{letter.slug}/embed/"),
    ]:
        from django.core.cache import cache

        def fetch(path=path):
            cache.clear()
            client.get(path)

        seconds, queries, _, captured = measure(fetch, runs=11)
        table.add(label, size, Figure(seconds, queries=queries))
        assert_no_count(label, captured)


def http_pages(table, size, base, letter, env, *, connections=2, seconds=10):
    """The pages as readers get them through gunicorn (4 workers), uncached, beside /health/.

    As many connections as cores: each request has a worker and a core, so
    p50 is what one request costs end to end, not time queued behind others.
    """
    from letters.name_list import NameList

    trivial = wrk(f"{base}/health/", script="get.lua", seconds=seconds, connections=connections)
    table.add(
        "HTTP: trivial view /health/",
        size,
        Figure(trivial["p50_us"] / 1e6, note=f"{trivial['rate']:,.0f}/s"),
    )
    # The floor of any page that reads the database: /ready/ makes one `SELECT 1` (and
    # Django's health check of the connection before it), and draws nothing.
    floor = wrk(f"{base}/ready/", script="get.lua", seconds=seconds, connections=connections)
    table.add(
        "HTTP: one database round trip /ready/",
        size,
        Figure(
            floor["p50_us"] / 1e6,
            note=f"{floor['p50_us'] / trivial['p50_us']:.1f}x trivial, {floor['rate']:,.0f}/s",
        ),
    )
    middle = NameList(letter).page(typed="M").next
    url = f"{base}{letter.get_absolute_url()}"
    for label, query in [
        ("HTTP: letter page, first", ""),
        ("HTTP: letter page, last", "?last=1"),
        (
            "HTTP: letter page, middle",
            "?" + urlencode({"after": middle.encode()}) if middle else "",
        ),
    ]:
        r = wrk(url + query, script="get.lua", seconds=seconds, connections=connections)
        ratio = r["p50_us"] / trivial["p50_us"]
        note = f"{ratio:.1f}x trivial, p99 {r['p99_us'] / 1000:.0f} ms, {r['rate']:,.0f}/s"
        table.add(label, size, Figure(r["p50_us"] / 1e6, note=f"{note}, errors {r['error_count']}"))
    # The same pages as production serves them: the first and the last page kept whole in
    # each process for LETTER_PAGE_CACHE_SECONDS (letters/page_cache.py), the default 10.
    served = Gunicorn({**env, "LETTER_PAGE_CACHE_SECONDS": "10"}, workers=4)
    try:
        for label, query in [
            ("HTTP: letter page, first, as served (kept 10 s)", ""),
            ("HTTP: letter page, last, as served (kept 10 s)", "?last=1"),
        ]:
            page = f"{served.url}{letter.get_absolute_url()}{query}"
            r = wrk(page, script="get.lua", seconds=seconds, connections=connections)
            ratio = r["p50_us"] / trivial["p50_us"]
            note = f"{ratio:.1f}x trivial, p99 {r['p99_us'] / 1000:.0f} ms, {r['rate']:,.0f}/s"
            table.add(label, size, Figure(r["p50_us"] / 1e6, note=note))
    finally:
        served.stop()


def assert_no_count(label, captured):
    counts = [q["sql"] for q in captured if "COUNT(" in q["sql"].upper()]
    if counts:
        raise AssertionError(f"{label}: a COUNT on the request path: {counts[0][:200]}")


def count_exactness(table, size, letter):
    """The journal's count beside what a COUNT over the rows says, and what that COUNT costs."""
    from django.db.models import Count

    from signatories.models import Signatory, States, Tally
    from signatories.selectors import signatory_counts
    from signatories.services.tally import tallies_compact

    seconds, queries, _, _ = measure(lambda: signatory_counts(letter=letter), runs=21)
    journal = signatory_counts(letter=letter)["published"]
    began = time.perf_counter()
    counted = Signatory.objects.filter(letter=letter).aggregate(
        n=Count("pk", filter=States.PUBLISHED)
    )["n"]
    count_seconds = time.perf_counter() - began
    rows = Tally.objects.filter(letter=letter).count()
    table.add(
        "count (the journal's sums)",
        size,
        Figure(seconds, queries=queries, note=f"{journal:,} = COUNT {counted:,}: "
               f"{'exact' if journal == counted else 'OFF'}; journal rows {rows}"),
    )  # fmt: skip
    table.add("  what a COUNT(*) of them would cost", size, Figure(count_seconds, queries=1))
    began = time.perf_counter()
    tallies_compact()
    table.add("count journal fold (the sweep's)", size, Figure(time.perf_counter() - began))
    if journal != counted:
        raise AssertionError(f"the journal says {journal}, COUNT says {counted}")


def admin_pages(table, size, letter, user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    queue = "/admin/signatories/signatory/"
    cases = [
        ("admin: queue, default view", {}),
        ("admin: queue, held as suspect", {"queue": "suspect"}),
        ("admin: queue, approved", {"queue": "approved"}),
        ("admin: queue, rejected", {"queue": "rejected"}),
        ("admin: queue, unconfirmed", {"queue": "unconfirmed"}),
        ("admin: queue, withdrawn", {"queue": "withdrawn"}),
        ("admin: queue, all", {"queue": "all"}),
        ("admin: queue, organisations", {"queue": "all", "kind__exact": "organisation"}),
        ("admin: name search, common (Smith)", {"q": "Smith"}),
        ("admin: name search, rare (Мырынбаев)", {"q": "Мырынбаев"}),
        ("admin: name search, two words", {"q": "Жанат Қанатов"}),
        ("admin: search by a whole address", {"q": f"s{size // 2}.l{letter.pk}@example.org"}),
    ]
    for label, params in cases:
        seconds, queries, _, _ = measure(lambda params=params: client.get(queue, params), runs=5)
        table.add(label, size, Figure(seconds, queries=queries))
    change = f"/admin/letters/letter/{letter.pk}/change/"
    seconds, queries, _, _ = measure(lambda: client.get(change), runs=5)
    table.add(
        "admin: the letter's page (counts, duplicates)", size, Figure(seconds, queries=queries)
    )


# In processes of their own: the PDF, the CSV, imports (peak memory is theirs).


CHILD = """
import json, os, resource, sys, time
sys.path.insert(0, {root!r})
from bench._common import django_setup
django_setup(os.environ["DATABASE_URL"], fresh=False)
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
def peak():
    # VmHWM, this process's own high-water mark: getrusage's ru_maxrss would start
    # at the parent's, which Linux carries across fork and exec.
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024
{body}
"""

PDF_CHILD = """
from letters.models import Letter
from letters.pdf import render_letter_pdf
letter = Letter.objects.select_related("campaign", "hand_in_event").get(slug=sys.argv[1])
render_letter_pdf(Letter.objects.get(slug="warm-up"), os.devnull)  # fonts loaded
base, stats = rss(), {}
began = time.perf_counter()
names = render_letter_pdf(letter, sys.argv[2], stats=stats)
print(json.dumps({"seconds": time.perf_counter() - began, "names": names,
                  "pages": stats["pages"], "size": os.path.getsize(sys.argv[2]),
                  "growth": peak() - base}))
"""

CSV_CHILD = """
from letters.models import Letter
from letters.csv_export import csv_lines
letter = Letter.objects.get(slug=sys.argv[1])
"".join(csv_lines(Letter.objects.get(slug="warm-up")))
base, rows = rss(), 0
began = time.perf_counter()
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for chunk in csv_lines(letter):
        out.write(chunk)
        rows += chunk.count("\\n")
print(json.dumps({"seconds": time.perf_counter() - began, "rows": rows - 1,
                  "growth": peak() - base}))
"""

IMPORT_CHILD = """
from letters.models import Letter
from signatories.paper import import_rows, parse_csv
letter = Letter.objects.get(slug=sys.argv[1])
base = rss()
began = time.perf_counter()
parsed = parse_csv(open(sys.argv[2], "rb").read())
summary = import_rows(letter=letter, rows=parsed.rows)
print(json.dumps({"seconds": time.perf_counter() - began, "added": summary.added,
                  "refused": summary.refused,
                  "growth": peak() - base}))
"""


def child(body, *args, env):
    out = subprocess.run(
        [sys.executable, "-c", CHILD.format(root=str(ROOT), body=body), *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def pdf_and_csv(table, size, letter, env, pdf_up_to):
    if size <= pdf_up_to:
        r = child(PDF_CHILD, letter.slug, OUT / "signed.pdf", env=env)
        table.add(
            "signed PDF (own process)",
            size,
            Figure(r["seconds"], memory_mb=r["growth"],
                   note=f"{r['names']:,} names, {r['pages']:,} pages, {r['size'] / 2**20:.1f} MB"),
        )  # fmt: skip
        check_pdf(OUT / "signed.pdf", r["pages"])
    r = child(CSV_CHILD, letter.slug, OUT / "contacts.csv", env=env)
    table.add(
        "contacts CSV (own process)",
        size,
        Figure(r["seconds"], memory_mb=r["growth"], note=f"{r['rows']:,} rows"),
    )


def check_pdf(path, pages):
    """qpdf --check, every font embedded, the last page's number read back by pdftotext."""
    subprocess.run(["qpdf", "--check", str(path)], check=True, stdout=subprocess.DEVNULL)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
    assert all(" yes " in line for line in fonts.splitlines()[2:]), fonts
    last = subprocess.run(
        ["pdftotext", "-f", str(pages), "-l", str(pages), str(path), "-"],
        capture_output=True,
        text=True,
    ).stdout
    assert f"Page {pages} of {pages}" in last, last[-200:]


def import_csv(table, size, env, rows=100_000):
    """100,000 CSV rows into a letter of their own (then removed), in a process of its own."""
    from campaign.models import Campaign
    from letters.models import Letter
    from signatories.models import Signatory

    path = OUT / "import.csv"
    if not path.exists():
        write_import_file(path, rows)
    target = Letter.objects.create(
        campaign=Campaign.objects.get(slug="justice"),
        title="A paper drive",
        slug=f"paper-drive-{size}",
        addressee="a",
        salutation="s",
        body="b",
        status=Letter.Status.CLOSED,
    )
    r = child(IMPORT_CHILD, target.slug, path, env=env)
    table.add(
        "import 100,000 CSV rows (PostgreSQL)",
        size,
        Figure(r["seconds"], memory_mb=r["growth"],
               note=f"{r['added']:,} added, {r['refused']} refused"),
    )  # fmt: skip
    Signatory.objects.filter(letter=target).delete()
    target.delete()
    # Not measured: the 100,000 dead rows just left would have autovacuum clean them up
    # on the two cores while the next steps (signing, a bulk decision) are measured.
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE signatories_signatory")


def write_import_file(path, rows):
    from bench._scale_data import FIRST, SURNAMES

    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "organisation", "email", "kind", "updates"])
        scripts = list(FIRST)
        for n in range(rows):
            script = scripts[n % 3]
            surname = SURNAMES[script][n % len(SURNAMES[script])].replace("_", " ")
            name = f"{FIRST[script][n % len(FIRST[script])]} {surname} {n}"
            if n % 50 == 0:
                name = name.upper()  # a sheet filled in in capitals
            writer.writerow(
                [
                    name,
                    "RMT" if n % 2 else "",
                    f"paper{n}@example.org" if n % 3 else "",
                    "organisation" if n % 40 == 0 else ("person" if n % 997 == 0 else ""),
                    "yes" if n % 4 == 0 else "",
                ]
            )


def import_on_sqlite(table, size, rows=100_000):
    """The same file into a fresh SQLite database: `make run`'s database."""
    database = OUT / "import.sqlite3"
    database.unlink(missing_ok=True)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}"}
    manage = [str(VENV_BIN / "python"), "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*manage, "shell", "-c",
         "from tests.factories import LetterFactory; LetterFactory(slug='paper-drive')"],
        cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    r = child(IMPORT_CHILD, "paper-drive", OUT / "import.csv", env=env)
    table.add(
        "import 100,000 CSV rows (SQLite)",
        size,
        Figure(r["seconds"], memory_mb=r["growth"], note=f"{r['added']:,} added"),
    )


# Writes over many rows, each in batches.


def bulk_approve(table, size, letter, user, signer=None):
    """Approve up to 100,000 awaiting signatures (the admin's action), batch by batch; then
    put them back as they were (not measured)."""
    from signatories.models import Signatory
    from signatories.services.moderation import PARALLEL_FROM, signatories_decide

    awaiting = Signatory.objects.filter(letter=letter).awaiting_decision().order_by("pk")
    ids = list(awaiting.values_list("pk", flat=True)[:100_000])
    chosen = (
        Signatory.objects.filter(pk__in=ids)
        if len(ids) < 30_000
        else awaiting.filter(pk__lte=ids[-1])
    )
    load = signer.start() if signer else None
    began = time.perf_counter()
    action = signatories_decide(queryset=chosen, decision="approve", moderator=user)
    seconds = time.perf_counter() - began
    beside = signer.stop(load) if signer else None
    streams = "two connections" if action.count > PARALLEL_FROM else "one connection"
    note = f"{action.count:,} approved in batches of 2,000, on {streams}"
    if beside:
        note += f"; signing beside it: {beside}"
    table.add(f"bulk approve {min(len(ids), 100_000):,}", size, Figure(seconds, note=note))
    signatories_decide(queryset=chosen, decision="restore", moderator=user)


def purge(table, size):
    from signatories.services.retention import signatories_purge_unconfirmed

    began = time.perf_counter()
    count = signatories_purge_unconfirmed(older_than_days=30)
    table.add(
        "purge unconfirmed (older than 30 days)",
        size,
        Figure(time.perf_counter() - began, note=f"{count:,} deleted"),
    )


def anonymise(table, size, letter, *, undo, signer=None):
    """Anonymise the whole letter in batches; put the addresses back after unless it is the
    last size (a copy of the columns kept aside, restored with one UPDATE, not measured)."""
    from django.db import connection

    from signatories.services.retention import signatories_anonymise

    with connection.cursor() as cursor:
        if undo:
            cursor.execute(
                "CREATE TEMP TABLE kept AS SELECT id, email, email_hash, ip_hash "
                "FROM signatories_signatory WHERE letter_id = %s",
                [letter.pk],
            )
    load = signer.start() if signer else None
    began = time.perf_counter()
    count = signatories_anonymise(letter=letter)
    seconds = time.perf_counter() - began
    beside = signer.stop(load) if signer else None
    note = f"{count:,} rows"
    if beside:
        note += f"; signing beside it: {beside}"
    table.add("anonymise the letter", size, Figure(seconds, note=note))
    if undo:
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE signatories_signatory s SET email = k.email, email_hash = k.email_hash, "
                "ip_hash = k.ip_hash, anonymised_at = NULL FROM kept k WHERE s.id = k.id"
            )
            cursor.execute("DROP TABLE kept")


def reencrypt(table, size):
    """Every address under a new key: the whole table, as `reencrypt_emails` does."""
    from django.test.utils import override_settings

    from signatories.crypto import new_key
    from signatories.services.encryption import signatories_reencrypt

    keys = [new_key(), *os.environ["EMAIL_ENCRYPTION_KEYS"].split(",")]
    with override_settings(EMAIL_ENCRYPTION_KEYS=keys):
        began = time.perf_counter()
        progress = signatories_reencrypt(batch_size=2000)
        seconds = time.perf_counter() - began
    table.add(
        "re-encrypt every address (whole table)",
        size,
        Figure(seconds, note=f"{progress.changed:,} of {progress.done:,} rows rewritten"),
    )
    with override_settings(EMAIL_ENCRYPTION_KEYS=keys):
        began = time.perf_counter()
        again = signatories_reencrypt(batch_size=2000)  # a second run only reads
    table.add(
        "  run again (only reads)",
        size,
        Figure(time.perf_counter() - began, note=f"{again.changed} rewritten"),
    )
    with override_settings(EMAIL_ENCRYPTION_KEYS=keys[1:] + keys[:1]):
        signatories_reencrypt(batch_size=5000)  # back under the bench's key, not measured


def receipts(table, size, letter):
    """The receipts' copies from a PDF's page map, as at hand-in (in a transaction undone)."""
    from django.db import transaction
    from django.utils import timezone

    from letters.models import Delivery, SignedPdf, Update, UpdateKind
    from letters.services.pdf_making import signed_pdf_make
    from letters.services.updates import update_send

    began = time.perf_counter()
    signed = signed_pdf_make(signed=SignedPdf.objects.create(letter=letter))
    table.add(
        "signed PDF made by the task, kept in parts",
        size,
        Figure(time.perf_counter() - began, note=f"{signed.page_count:,} pages"),
    )
    with transaction.atomic():
        Delivery.objects.create(
            letter=letter,
            signature_count=signed.signature_count,
            signed_pdf=signed,
            sha256=signed.sha256,
            recorded_at=timezone.now(),
        )
        update = Update.objects.create(letter=letter, kind=UpdateKind.RECEIPT, subject="Delivered")
        letter.refresh_from_db()
        began = time.perf_counter()
        copies = update_send(update=update)
        table.add(
            "receipts queued from the page map",
            size,
            Figure(time.perf_counter() - began, note=f"{copies:,} copies"),
        )
        transaction.set_rollback(True)
    signed.delete()


# Signing through gunicorn, with wrk.


class Signer:
    """Sign requests from wrk at the big letter; start() in the background, stop() the figures."""

    def __init__(self, base, env, letter, *, connections=8):
        from django.conf import settings

        self.base, self.env, self.letter, self.connections = base, env, letter, connections
        browser = Browser()
        status, html = browser.request(f"{base}/letters/{letter.slug}/")
        assert status == 200, status
        self.token, _ = form_fields(html)
        self.cookie = browser.cookie("csrftoken")
        time.sleep(settings.SIGN_MIN_FORM_SECONDS + 0.5)
        self.runs = 0

    def _env(self, seconds):
        from django.conf import settings

        from signatories.abuse import form_stamp

        self.runs += 1
        path = OUT / f"stamps-{self.runs}.txt"
        key = self.env["SECRET_KEY"]
        when = time.time() - settings.SIGN_MIN_FORM_SECONDS - 5
        stamps = (form_stamp(when, key=key) for _ in range(seconds * 800))  # above any rate here
        path.write_text("\n".join(stamps) + "\n")
        return {
            "RUN_ID": f"s{self.runs}x{secrets.token_hex(3)}",
            "SIGN_PATH": f"/letters/{self.letter.slug}/sign/",
            "CSRF_TOKEN": self.token,
            "CSRF_COOKIE": self.cookie,
            "STAMPS_FILE": str(path),
            "REPEAT_EVERY": "0",
            "WRK_THREADS": "2",
        }

    def run(self, seconds=15):
        result = wrk(
            self.base,
            script="sign.lua",
            seconds=seconds,
            connections=self.connections,
            env=self._env(seconds),
        )
        return result

    def start(self, seconds=120):
        """wrk in the background for up to `seconds`; stop() ends it and reads its figures."""
        command = [
            "wrk", "-t2", f"-c{self.connections}", f"-d{seconds}s", "--timeout", "10s",
            "-s", str(ROOT / "bench" / "wrk" / "sign.lua"), self.base,
        ]  # fmt: skip
        out = open(OUT / "wrk-beside.txt", "w")  # noqa: SIM115
        process = subprocess.Popen(
            command, env={**os.environ, **self._env(seconds)}, stdout=out, stderr=out
        )
        time.sleep(3)  # wrk has read its stamps and is sending
        return process, time.monotonic()

    def stop(self, load):
        process, _ = load
        process.send_signal(2)  # SIGINT: wrk prints its summary and its done()
        process.wait(timeout=120)
        text = (OUT / "wrk-beside.txt").read_text()
        line = next((ln for ln in text.splitlines() if ln.startswith("RESULT ")), None)
        if line is None:
            return "wrk gave no figures"
        r = json.loads(line[7:])
        rate = r["requests"] / (r["duration_us"] / 1e6)
        return (
            f"{rate:,.0f} signatures/s, p50 {r['p50_us'] / 1000:.0f} ms, "
            f"p99 {r['p99_us'] / 1000:.0f} ms, errors {sum(r['errors'].values())}"
        )


def sign_figure(table, label, size, signer):
    r = signer.run()
    table.add(
        label,
        size,
        Figure(
            r["p50_us"] / 1e6,
            note=f"{r['rate']:,.0f}/s, p99 {r['p99_us'] / 1000:.0f} ms, errors {r['error_count']}",
        ),
    )
    return r


# Mail at a million names.


def mail(table, size, letter, stack, seconds):
    """Mails a second with 1, 2 and 4 workers to the local SMTP sink: a backlog of
    confirmations (as after an outage), then an update to every consenting signatory."""
    from django.utils import timezone

    from letters.models import RecipientStatus, Update, UpdateRecipient
    from letters.outboxes import UPDATE_COPIES
    from letters.services.updates import update_send
    from signatories.models import Signatory
    from signatories.outboxes import CONFIRMATIONS

    pending = Signatory.objects.filter(letter=letter, confirmed_at__isnull=True).exclude(
        email_hash=""
    )
    Signatory.objects.filter(confirmation_due_at__isnull=False).update(confirmation_due_at=None)
    owed = pending.update(confirmation_due_at=timezone.now())
    rates(table, size, stack, seconds, CONFIRMATIONS, f"confirmations ({owed:,} owed)")
    Signatory.objects.filter(confirmation_due_at__isnull=False).update(confirmation_due_at=None)

    update = Update.objects.create(
        letter=letter, subject="The hand-in is on Monday", body="Join us at the Foreign Office."
    )
    began = time.perf_counter()
    tracemalloc.start()
    copies = update_send(update=update)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    table.add(
        "an update queued for every consenting one",
        size,
        Figure(time.perf_counter() - began, memory_mb=peak, note=f"{copies:,} copies"),
    )
    rates(table, size, stack, seconds, UPDATE_COPIES, "update copies")
    UpdateRecipient.objects.filter(update=update).exclude(status=RecipientStatus.SENT).delete()


def rates(table, size, stack, seconds, outbox, label):
    """Run 1, 2, then 4 workers on an outbox for `seconds` each; mails a second at the sink."""
    from django.core.cache import cache
    from django_tasks_db.models import DBTaskResult

    from mailing.services import outbox_schedule

    for workers in (1, 2, 4):
        DBTaskResult.objects.all().delete()  # none left over from the last round
        cache.delete(outbox.scheduled_key)
        processes = stack.workers(workers)
        outbox_schedule(outbox=outbox)
        time.sleep(5)  # the workers start and take their first batches
        first = len(stack.sink.lines())
        time.sleep(seconds)
        last = len(stack.sink.lines())
        for process in processes:
            process.kill()  # a stopped worker would first drain the whole outbox
        for process in processes:
            process.wait(timeout=30)
        rate = (last - first) / seconds
        table.add(
            f"mail: {label}, {workers} worker{'s' * (workers > 1)}",
            size,
            Figure(1 / rate if rate else None,
                   note=f"{rate:,.0f} mails/s, {rate / workers:,.0f} a worker"),
        )  # fmt: skip


# The run.


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)))
    parser.add_argument("--pdf-up-to", type=int, default=1_000_000)
    parser.add_argument("--reencrypt-up-to", type=int, default=1_000_000)
    parser.add_argument("--mail-at", type=int, default=1_000_000)
    parser.add_argument("--mail-seconds", type=int, default=30)
    parser.add_argument("--skip-sign", action="store_true")
    parser.add_argument(
        "--only",
        default="pages,admin,delivery,import,writes,mail",
        help="groups of measurements to run (pages, admin, delivery, import, writes, mail)",
    )
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    only = set(args.only.split(","))

    stack = Stack()
    table = Table()
    signer = None
    try:
        letter, side, user = setup_letters()
        from tests.factories import LetterFactory

        LetterFactory(slug="warm-up")
        stack.start_web()
        signer = None if args.skip_sign else Signer(stack.web.url, stack.env, letter)
        if signer:
            log("the empty letter:")
            empty = sign_figure(table, "sign POST (wrk, 15 s), p50", 0, signer)
            grow(stack.pg.url, side, 0, 100_000)  # something for a decision beside signing
            load = signer.start()
            bulk_started = time.perf_counter()
            bulk_approve_side(side, user)
            beside = signer.stop(load)
            log(f"  sign POST beside a bulk decision on another letter: {beside} "
                f"({time.perf_counter() - bulk_started:.1f} s)")  # fmt: skip
        have = 0
        for number, size in enumerate(sizes):
            log(f"\n{size:,} names: growing the letter ...")
            seconds = grow(stack.pg.url, letter, have, size)
            have = size
            log(f"  grown in {seconds:.0f} s (COPY, VACUUM ANALYZE)")
            last = number == len(sizes) - 1
            if "pages" in only:
                public_pages(table, size, letter)
                http_pages(table, size, stack.web.url, letter, stack.env)
                count_exactness(table, size, letter)
            if "admin" in only:
                admin_pages(table, size, letter, user)
            if "delivery" in only:
                pdf_and_csv(table, size, letter, stack.env, args.pdf_up_to)
                if size <= args.pdf_up_to:
                    receipts(table, size, letter)
            if "import" in only:
                import_csv(table, size, stack.env)
            if signer:
                sign_figure(table, "sign POST (wrk, 15 s), p50", size, signer)
            if "writes" in only:
                bulk_approve(table, size, letter, user, signer=signer if last else None)
                purge(table, size)
                if size <= args.reencrypt_up_to:
                    reencrypt(table, size)
            if "mail" in only and size == args.mail_at:
                mail(table, size, letter, stack, args.mail_seconds)
            if "writes" in only:
                anonymise(table, size, letter, undo=not last, signer=signer if last else None)
        if "import" in only:
            import_on_sqlite(table, sizes[-1])
        if signer:
            log(f"\nsign path: empty letter p50 {empty['p50_us'] / 1000:.1f} ms, "
                f"{empty['rate']:,.0f}/s")  # fmt: skip
    finally:
        # What was measured is printed even when a later step fails or is interrupted.
        table.print([0, *sizes] if signer else sizes)
        stack.stop()


def bulk_approve_side(side, user):
    from signatories.models import Signatory
    from signatories.services.moderation import signatories_decide

    awaiting = Signatory.objects.filter(letter=side).awaiting_decision()
    signatories_decide(queryset=awaiting, decision="approve", moderator=user)
    signatories_decide(queryset=Signatory.objects.filter(letter=side), decision="restore",
                       moderator=user)  # fmt: skip


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()

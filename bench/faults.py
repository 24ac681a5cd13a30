"""Faults injected into the production layout under a sign load, and what nobody had to do after.

The stack is the one `deploy/` ships, on loopback, with instances of its own:

- PostgreSQL: a cluster of its own (initdb under bench/out/faults/, a free
  port), never the server the tests use, so stopping it hard harms nothing;
- Redis: a server of its own on a free port, no persistence;
- a local SMTP sink (bench/smtp_sink.py) that can be stopped and started;
- gunicorn with config/gunicorn.conf.py and two workers, serving config.wsgi
  (so web requests carry the production statement and lock timeouts);
- two `manage.py worker` processes, restarted if they exit by a supervisor
  thread that does what systemd's `Restart=always`, `RestartSec=2` does in
  deploy/systemd/letters-worker@.service;
- nginx with deploy/nginx/letters-common.conf for the slow-client scenario.

Signers post the form from several threads, each signature with an address
of its own, and every request is logged: what the client got, and when.
After each scenario the bench waits for the mail, then checks every logged
request against the database and the sink:

- signatures: accepted (the thank-you redirect) but not stored is lost;
  two rows for one address is doubled;
- mails: a stored signature whose confirmation never reached the sink within
  the claim lease plus a minute after the fault cleared is missing; two
  confirmations to one address is doubled (at most one per killed worker is
  the promise, see mailing/outbox.py);
- recovery: from the moment the fault cleared to the last failed request,
  and to the last owed mail.

Leases are shortened so a run takes minutes (MAIL_CLAIM_LEASE_SECONDS and
TASK_LEASE_SECONDS 120 s instead of an hour and 15 minutes, and so the
longest wait between two tries of a mail, MAIL_RETRY_MAX_SECONDS, 60 s
instead of 30 minutes); the sweep keeps its production period of 60 s.

    .venv/bin/python bench/faults.py                        # every scenario, ~20 min
    .venv/bin/python bench/faults.py --only postgres-restart worker-kill

Needs `make install` (PostgreSQL 15's binaries, redis-server, nginx).
"""

import argparse
import collections
import contextlib
import http.client
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import address_keys, addresses_starting
from bench._nginx import Nginx, free_port
from bench._serve import ROOT, VENV_BIN, Browser, form_fields, wait_for
from bench._stack import Postgres

OUT = ROOT / "bench" / "out" / "faults"
SLUG = "open-letter-to-the-foreign-secretary"
SIGN_PATH = f"/letters/{SLUG}/sign/"
LETTER_PATH = f"/letters/{SLUG}/"
LEASE_SECONDS = 120
RETRY_MAX_SECONDS = 60  # a lease must outlast the longest wait between tries
SWEEP_SECONDS = 60
RESTART_SECONDS = 2  # RestartSec= in deploy/systemd/letters-worker@.service


def log(message):
    print(message, flush=True)


# The services, each one we can stop, freeze and start again.


class Redis:
    def __init__(self):
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        _wait_for_port(self.port)

    def kill(self):
        self.process.kill()
        self.process.wait()

    def freeze(self):
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.process.send_signal(signal.SIGCONT)

    def stop(self):
        self.thaw()
        self.process.terminate()
        self.process.wait()


class Sink:
    """bench/smtp_sink.py on a fixed port, appending to one file across restarts."""

    def __init__(self):
        self.port = free_port()
        self.path = OUT / "smtp-sink.txt"
        self.path.write_text("")
        self.start()

    def start(self):
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(self.port), str(self.path)]
        )
        _wait_for_port(self.port)

    def stop(self):
        self.process.terminate()
        self.process.wait()

    def confirmations(self, prefix):
        """Recipient -> when each confirmation mail to it arrived, for addresses from prefix."""
        arrivals = collections.defaultdict(list)
        for line in self.path.read_text().splitlines():
            rcpt, kind, _, when = line.split("\t")
            if kind == "confirm" and rcpt.lower().startswith(prefix):
                arrivals[rcpt.lower()].append(float(when))
        return arrivals


def _wait_for_port(port, timeout=15):
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


class Web:
    """gunicorn as letters-web.service runs it: the production config and WSGI module."""

    def __init__(self, env, workers=2):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = OUT / "gunicorn.log"
        self.process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "-c", "config/gunicorn.conf.py", "--bind",
             f"127.0.0.1:{self.port}", "--workers", str(workers), "config.wsgi:application"],
            cwd=ROOT,
            env={**env, "SITE_URL": self.url},
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "w"),  # noqa: SIM115
        )  # fmt: skip
        wait_for(f"{self.url}/health/")

    def worker_pids(self):
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return sorted(int(pid) for pid in out.split())

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=40)


class Workers:
    """Two `manage.py worker` processes, each restarted RESTART_SECONDS after it exits (systemd)."""

    def __init__(self, env, count=2):
        self.env = env
        self.processes = {}
        self.restarts = collections.Counter()
        self.log = open(OUT / "workers.log", "w")  # noqa: SIM115
        self.stopping = threading.Event()
        for n in range(1, count + 1):
            self._start(f"faults-{n}")
        self.supervisor = threading.Thread(target=self._supervise, daemon=True)
        self.supervisor.start()

    def _start(self, worker_id):
        self.processes[worker_id] = subprocess.Popen(
            [str(VENV_BIN / "python"), "manage.py", "worker", "--no-reload", "--worker-id",
             worker_id],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=self.log,
        )  # fmt: skip

    def _supervise(self):
        while not self.stopping.is_set():
            for worker_id, process in list(self.processes.items()):
                if process.poll() is not None and not self.stopping.is_set():
                    time.sleep(RESTART_SECONDS)
                    self.restarts[worker_id] += 1
                    self._start(worker_id)
            time.sleep(0.1)

    def kill(self, worker_id):
        self.processes[worker_id].kill()

    def stop(self):
        self.stopping.set()
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            process.wait(timeout=150)


# The clients.


class Outcome:
    """Every request a client thread sent: its label, what came back, and when."""

    def __init__(self):
        self.rows = []
        self.lock = threading.Lock()

    def add(self, *row):
        with self.lock:
            self.rows.append(row)


def _request(host, port, method, path, body=None, headers=None, timeout=10):
    conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        response.read()
        return response.status, response.getheader("Retry-After")
    except TimeoutError:
        return "timeout", None
    except (OSError, http.client.HTTPException):
        return "cut off", None
    finally:
        conn.close()


class Signers:
    """Threads posting the sign form as people do: each with its own address and client IP."""

    def __init__(self, base, form, prefix, *, threads=4, per_second=20):
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname, parts.port
        self.form, self.prefix = form, prefix
        self.interval = 1 / per_second
        self.outcome = Outcome()
        self.stopping = threading.Event()
        self.threads = [
            threading.Thread(target=self._run, args=(n,), daemon=True) for n in range(threads)
        ]
        for thread in self.threads:
            thread.start()

    def _run(self, tid):
        n = 0
        while not self.stopping.is_set():
            n += 1
            email = f"{self.prefix}-{tid}-{n}@example.net"
            body = urllib.parse.urlencode(
                {
                    "csrfmiddlewaretoken": self.form.token,
                    "name": f"Signer {n} Қанатов",
                    "affiliation": "member of Unite, personal capacity",
                    "email": email,
                    "kind": "individual",
                    "display": "full",
                    "website": "",
                    "rendered": self.form.stamp(),
                }
            )
            headers = {
                "Content-Type": "application/x-www-form-urlencoded",
                "Cookie": f"csrftoken={self.form.cookie}",
                "X-Forwarded-For": f"10.{tid}.{n // 250 % 250}.{n % 250 + 1}",
            }
            started = time.time()
            status, retry_after = _request(self.host, self.port, "POST", SIGN_PATH, body, headers)
            ended = time.time()
            self.outcome.add(email, status, retry_after, started, ended)
            time.sleep(max(0.0, self.interval - (ended - started)))

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        return self.outcome.rows


class Readers:
    """Threads reading a page in a loop; what they got and how long it took."""

    def __init__(self, base, path, *, threads=2, timeout=10, pause=0.05):
        parts = urllib.parse.urlsplit(base)
        self.args = (parts.hostname, parts.port, "GET", path)
        self.timeout, self.pause = timeout, pause
        self.outcome = Outcome()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]
        for thread in self.threads:
            thread.start()

    def _run(self):
        while not self.stopping.is_set():
            started = time.time()
            status, _ = _request(*self.args, timeout=self.timeout)
            ended = time.time()
            self.outcome.add(self.args[3], status, None, started, ended)
            time.sleep(self.pause)

    def stop(self):
        self.stopping.set()
        for thread in self.threads:
            thread.join()
        return self.outcome.rows


class Form:
    """A visitor's CSRF cookie and token; per post a fresh stamp signed with the server's key."""

    def __init__(self, base, key):
        browser = Browser()
        status, html = browser.request(f"{base}{LETTER_PATH}")
        assert status == 200, status
        self.token, _ = form_fields(html)
        self.cookie = browser.cookie("csrftoken")
        self.key = key

    def stamp(self):
        from signatories.abuse import form_stamp

        return form_stamp(time.time() - 10, key=self.key)  # typed in ten seconds


class SlowClients:
    """Connections that send half a request's headers, then a byte every few seconds."""

    def __init__(self, port, count=20):
        self.sockets = []
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
            self.sockets.append(sock)
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._dribble, daemon=True)
        self.thread.start()

    def _dribble(self):
        while not self.stopping.wait(3):
            for sock in self.sockets:
                with contextlib.suppress(OSError):  # the server gave up on it, as nginx should
                    sock.sendall(b"x")

    def stop(self):
        self.stopping.set()
        self.thread.join()
        for sock in self.sockets:
            sock.close()


# Checks after a scenario.


def percentile(values, share):
    ordered = sorted(values)
    if not ordered:
        return 0.0
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def statuses(rows):
    return dict(sorted(collections.Counter(str(row[1]) for row in rows).items()))


def stored_rows(prefix):
    """Address -> rows in the database, and the addresses still owed a confirmation."""
    from django.db import connections

    from signatories.models import Signatory

    connections.close_all()  # the bench's own connection may predate a restart
    addresses = addresses_starting(prefix)
    counts = collections.Counter(addresses.values())
    owing = Signatory.objects.exclude(confirmation_due_at=None).values_list("pk", flat=True)
    owed = {addresses[pk] for pk in owing if pk in addresses}
    return dict(counts), owed


class Scenario:
    def __init__(self, name, what):
        self.name, self.what = name, what
        self.prefix = f"f-{name}"
        self.cleared = None
        self.killed_workers = 0
        self.extra = []


def settle(scenario, signed, sink, *, deadline_seconds):
    """Wait for the mail owed, then compare every logged request with the database and sink."""
    accepted = {row[0].lower() for row in signed if row[1] == 302}
    deadline = scenario.cleared + deadline_seconds
    while True:
        try:
            counts, owed = stored_rows(scenario.prefix)
        except Exception as error:  # the database may still be coming back
            log(f"  (database not readable yet: {type(error).__name__})")
            time.sleep(1)
            continue
        mails = sink.confirmations(scenario.prefix)
        if (set(counts) <= set(mails) and not owed) or time.time() > deadline:
            break
        time.sleep(0.5)
    first_seen = {address: min(times) for address, times in mails.items()}
    sent_at = {row[0].lower(): row[4] for row in signed}
    owed_at_clear = [first_seen[a] for a in first_seen if sent_at.get(a, 0) <= scenario.cleared]
    mail_recovery = max(owed_at_clear, default=scenario.cleared) - scenario.cleared
    mail_wait = max((first_seen[a] - sent_at[a] for a in first_seen if a in sent_at), default=0)
    missing = set(counts) - set(mails)
    failures = [row for row in signed if row[1] != 302 and row[3] >= scenario.cleared - 600]
    last_failure = max((row[4] for row in failures), default=None)
    web_recovery = max(0.0, last_failure - scenario.cleared) if last_failure else 0.0
    return {
        "clients": statuses(signed),
        "accepted": len(accepted),
        "stored": len(counts),
        "lost": len(accepted - set(counts)),
        "doubled": sum(1 for n in counts.values() if n > 1),
        "stored_unanswered": len(set(counts) - accepted),
        "mails_missing": len(missing),
        "mails_doubled": sum(len(times) - 1 for times in mails.values()),
        "killed": scenario.killed_workers,
        "web_recovery": web_recovery,
        "mail_recovery": max(0.0, mail_recovery),
        "mail_wait": mail_wait,
        "five_hundreds": sum(1 for row in signed if row[1] == 500),
        "retry_after": sum(1 for row in signed if row[1] == 503 and row[2]),
        "five_oh_threes": sum(1 for row in signed if row[1] == 503),
    }


def report(scenario, result, readers=None):
    log(f"{scenario.name}: {scenario.what}")
    log(f"  sign requests: {result['clients']}")
    if readers:
        for label, rows in readers.items():
            latencies = [row[4] - row[3] for row in rows]
            log(
                f"  {label}: {statuses(rows)}, p50 {percentile(latencies, 0.5) * 1000:.0f} ms, "
                f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms, "
                f"max {max(latencies, default=0) * 1000:.0f} ms"
            )
    log(
        f"  signatures: accepted {result['accepted']:,}, stored {result['stored']:,} "
        f"(of which not answered with the thank-you page {result['stored_unanswered']}); "
        f"lost {result['lost']}, doubled {result['doubled']}"
    )
    log(
        f"  mails: missing {result['mails_missing']}, doubled {result['mails_doubled']} "
        f"(task workers killed {result['killed']}; task workers that exited and were "
        f"restarted {result['restarts']})"
    )
    log(
        f"  recovery with no human: last failed sign request {result['web_recovery']:.1f} s "
        f"after the fault cleared; every mail owed by then sent {result['mail_recovery']:.1f} s "
        f"after it; longest wait of any mail {result['mail_wait']:.1f} s; "
        f"500s {result['five_hundreds']}; 503s {result['five_oh_threes']} "
        f"(with Retry-After {result['retry_after']})"
    )
    for line in scenario.extra:
        log(f"  {line}")


# The scenarios: each runs a sign load around its fault and returns the scenario.


def run_loaded(stack, scenario, fault, *, before=5, after=10, base=None, readers=None):
    base = base or stack.web.url
    restarts = sum(stack.workers.restarts.values())
    signers = Signers(base, stack.form, scenario.prefix)
    reader_threads = {
        label: Readers(*where) if isinstance(where, tuple) else Readers(base, where)
        for label, where in (readers or {}).items()
    }
    time.sleep(before)
    fault(scenario)
    scenario.cleared = scenario.cleared or time.time()
    time.sleep(after)
    signed = signers.stop()
    read = {label: r.stop() for label, r in reader_threads.items()}
    result = settle(scenario, signed, stack.sink, deadline_seconds=LEASE_SECONDS + 60 + 30)
    result["restarts"] = sum(stack.workers.restarts.values()) - restarts
    report(scenario, result, read)
    return scenario.name, result


def scenario_baseline(stack):
    return run_loaded(
        stack,
        Scenario("baseline", "no fault: the same load for 15 s"),
        lambda s: None,
        readers={"letter page": LETTER_PATH},
    )


def outage(stack, name, what, *, down, up, seconds, after=10, readers=None):
    """One part of the stack broken for `seconds` under the sign load, then mended."""

    def fault(scenario):
        down()
        time.sleep(seconds)
        up()
        scenario.cleared = time.time()

    return run_loaded(stack, Scenario(name, what), fault, after=after, readers=readers)


def scenario_postgres_restart(stack):
    return outage(
        stack,
        "postgres-restart",
        "PostgreSQL stopped hard (immediate) for 6 s, then started",
        down=stack.pg.stop_hard,
        up=stack.pg.start,
        seconds=6,
        after=20,
        readers={"letter page": LETTER_PATH, "/ready/": "/ready/"},
    )


def scenario_redis_stop(stack):
    return outage(
        stack,
        "redis-stop",
        "Redis killed for 15 s, then started empty",
        down=stack.redis.kill,
        up=stack.redis.start,
        seconds=15,
        readers={"letter page": LETTER_PATH},
    )


def scenario_redis_freeze(stack):
    return outage(
        stack,
        "redis-freeze",
        "Redis frozen (SIGSTOP) for 15 s, then thawed",
        down=stack.redis.freeze,
        up=stack.redis.thaw,
        seconds=15,
        readers={"letter page": LETTER_PATH},
    )


def scenario_gunicorn_kill(stack):
    def fault(scenario):
        pids = stack.web.worker_pids()
        for pid in pids:
            os.kill(pid, signal.SIGKILL)
            time.sleep(3)
        scenario.cleared = time.time()
        scenario.extra.append(
            f"gunicorn workers killed: {len(pids)}; the master started new ones: "
            f"{len(set(stack.web.worker_pids()) - set(pids))}"
        )

    return run_loaded(
        stack,
        Scenario("gunicorn-kill", "each gunicorn worker killed (SIGKILL) mid-load, 3 s apart"),
        fault,
    )


def scenario_worker_kill(stack):
    """Each task worker killed while it runs a drain (its id on a RUNNING task)."""

    def fault(scenario):
        from django.db import connections
        from django_tasks_db.models import DBTaskResult

        for worker_id in list(stack.workers.processes):
            deadline = time.time() + 30
            while time.time() < deadline:
                connections.close_all()
                running = DBTaskResult.objects.filter(status="RUNNING").values_list(
                    "worker_ids", flat=True
                )
                if any(ids and ids[-1] == worker_id for ids in running):
                    stack.workers.kill(worker_id)
                    scenario.killed_workers += 1
                    break
                time.sleep(0.01)
            time.sleep(3)
        scenario.cleared = time.time()
        scenario.extra.append(
            f"killed while draining: {scenario.killed_workers} of "
            f"{len(stack.workers.processes)}; restarted by the supervisor "
            f"{RESTART_SECONDS} s later"
        )

    return run_loaded(
        stack,
        Scenario("worker-kill", "each task worker killed (SIGKILL) while it runs a drain"),
        fault,
    )


def scenario_smtp_down(stack):
    return outage(
        stack,
        "smtp-down",
        "the SMTP server down for 60 s, then back",
        down=stack.sink.stop,
        up=stack.sink.start,
        seconds=60,
    )


def scenario_table_lock(stack):
    def fault(scenario):
        import psycopg

        with psycopg.connect(stack.pg.url.replace("postgres://", "postgresql://")) as conn:
            conn.execute("LOCK TABLE signatories_signatory IN ACCESS EXCLUSIVE MODE")
            time.sleep(40)
        scenario.cleared = time.time()

    return run_loaded(
        stack,
        Scenario("table-lock", "ACCESS EXCLUSIVE lock on the signatory table held for 40 s"),
        fault,
        readers={"/health/": "/health/", "/ready/": "/ready/", "letter page": LETTER_PATH},
    )


def scenario_slow_headers(stack):
    """20 connections dribbling headers: through nginx, then straight at gunicorn for contrast."""
    scenario = Scenario("slow-headers", "20 slow-header connections through nginx for 20 s")
    nginx = stack.nginx
    quiet = Readers(nginx.url, LETTER_PATH, threads=2)
    time.sleep(10)
    quiet_rows = quiet.stop()

    def fault(scenario):
        slow = SlowClients(nginx.port)
        time.sleep(20)
        slow.stop()
        scenario.cleared = time.time()

    # Signers straight to gunicorn, with their own addresses: through nginx they would all
    # be 127.0.0.1 (it sets X-Forwarded-For itself) and meet the per-address ceiling.
    name, result = run_loaded(
        stack,
        scenario,
        fault,
        readers={"other readers through nginx": (nginx.url, LETTER_PATH)},
    )
    latencies = [row[4] - row[3] for row in quiet_rows]
    log(
        f"  same readers through nginx with no attack: p50 "
        f"{percentile(latencies, 0.5) * 1000:.0f} ms, "
        f"p99 {percentile(latencies, 0.99) * 1000:.0f} ms"
    )
    # The contrast: the same attack straight at gunicorn's sync workers.
    readers = Readers(stack.web.url, LETTER_PATH, threads=2, timeout=5)
    slow = SlowClients(stack.web.port)
    time.sleep(15)
    slow.stop()
    direct = readers.stop()
    latencies = [row[4] - row[3] for row in direct]
    log(
        f"  contrast, the same 20 connections straight at gunicorn for 15 s: readers "
        f"{statuses(direct)}, p50 {percentile(latencies, 0.5) * 1000:.0f} ms, p99 "
        f"{percentile(latencies, 0.99) * 1000:.0f} ms (client timeout 5 s)"
    )
    return name, result


def _post_unread(port, headers, body):
    """POST body in chunks; a server that answers before reading it all still gets heard.

    http.client gives up at the first broken pipe; a browser, like this,
    reads the answer the server sent before it stopped reading.
    """
    head = f"POST {SIGN_PATH} HTTP/1.1\r\nHost: localhost\r\nContent-Length: {len(body)}\r\n"
    head += "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    sent = 0
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(head.encode() + b"\r\n")
            while sent < len(body):
                sock.sendall(body[sent : sent + 65536])
                sent += 65536
        except OSError:
            pass  # the server stopped reading: its answer is in the socket
        try:
            answer = sock.recv(4096).split(b" ", 2)
            return int(answer[1]), min(sent, len(body))
        except (OSError, IndexError, ValueError):
            return "no answer", min(sent, len(body))


def scenario_big_upload(stack):
    """A 20 MB multipart body with a file part, to the sign form: refused, nothing stored."""

    boundary = "faultsbench"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n'
            f'{stack.form.token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="email"'
            f"\r\n\r\nf-upload@example.net\r\n--{boundary}\r\nContent-Disposition: form-data; "
            f'name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
        ).encode()
        + b"\0" * (20 * 1024 * 1024)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "Cookie": f"csrftoken={stack.form.cookie}",
    }
    answers = {}
    for label, url in (("straight to gunicorn", stack.web.url), ("through nginx", stack.nginx.url)):
        started = time.time()
        status, sent = _post_unread(urllib.parse.urlsplit(url).port, headers, body)
        answers[label] = (
            f"{status} after {(time.time() - started) * 1000:.0f} ms, "
            f"{sent / 2**20:.1f} of {len(body) / 2**20:.0f} MB sent"
        )
    stored = len(addresses_starting("f-upload"))
    log(
        "big-upload: a 20 MB multipart body with a file part to the sign form: "
        f"{answers}; stored {stored}"
    )


SCENARIOS = {
    "baseline": scenario_baseline,
    "postgres-restart": scenario_postgres_restart,
    "redis-stop": scenario_redis_stop,
    "redis-freeze": scenario_redis_freeze,
    "gunicorn-kill": scenario_gunicorn_kill,
    "worker-kill": scenario_worker_kill,
    "smtp-down": scenario_smtp_down,
    "table-lock": scenario_table_lock,
    "slow-headers": scenario_slow_headers,
    "big-upload": scenario_big_upload,
}


class Stack:
    def __init__(self):
        shutil.rmtree(OUT, ignore_errors=True)
        OUT.mkdir(parents=True)
        self.parts = []  # what has started, stopped in reverse order
        try:
            self._start()
        except BaseException:
            self.stop()
            raise

    def _start(self):
        self.pg = self._started(Postgres(OUT / "pg", "faults"))
        self.redis = self._started(Redis())
        self.sink = self._started(Sink())
        key = secrets.token_urlsafe(50)
        self.env = {
            **os.environ,
            "DATABASE_URL": self.pg.url,
            "REDIS_URL": self.redis.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.sink.port}",
            "TASKS_BACKEND": "database",
            "DEBUG": "0",
            "SECRET_KEY": key,
            **address_keys(),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "TRUSTED_PROXIES": "127.0.0.1",
            "LOG_LEVEL": "WARNING",
            "PUBLIC_COUNT_CACHE_SECONDS": "2",
            "MAIL_CLAIM_LEASE_SECONDS": str(LEASE_SECONDS),
            "MAIL_RETRY_MAX_SECONDS": str(RETRY_MAX_SECONDS),
            "TASK_LEASE_SECONDS": str(LEASE_SECONDS),
            "WORKER_SWEEP_SECONDS": str(SWEEP_SECONDS),
        }
        manage = [str(VENV_BIN / "python"), "manage.py"]
        for command in (["migrate", "--no-input", "-v", "0"], ["collectstatic", "--no-input",
                        "-v", "0"], ["load_demo"]):  # fmt: skip
            subprocess.run(
                manage + command, cwd=ROOT, env=self.env, check=True, stdout=subprocess.DEVNULL
            )
        os.environ.update(DATABASE_URL=self.pg.url, SECRET_KEY=key, REDIS_URL="")
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        import django

        django.setup()
        self.web = self._started(Web(self.env))
        self.workers = self._started(Workers(self.env))
        self.nginx = self._started(Nginx(OUT / "nginx", f"127.0.0.1:{self.web.port}"))
        self.form = Form(self.web.url, key)

    def _started(self, part):
        self.parts.append(part)
        return part

    def stop(self):
        for part in reversed(self.parts):
            try:
                part.stop()
            except Exception as error:  # stop the rest whatever one does
                log(f"stopping {type(part).__name__}: {error}")

    def tracebacks(self):
        counts = {}
        for name in ("gunicorn.log", "workers.log"):
            counts[name] = (OUT / name).read_text().count("Traceback")
        return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", nargs="+", choices=list(SCENARIOS), help="these scenarios")
    args = parser.parse_args()
    names = args.only or list(SCENARIOS)
    # A SIGTERM (Ctrl-C's cousin from `kill`) still stops every server this started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    stack = Stack()
    results = []
    try:
        log(
            f"stack: PostgreSQL on :{stack.pg.port}, Redis on :{stack.redis.port}, SMTP sink on "
            f":{stack.sink.port}, gunicorn (2 workers) on :{stack.web.port}, nginx on "
            f":{stack.nginx.port}, 2 task workers; leases {LEASE_SECONDS} s, sweep every "
            f"{SWEEP_SECONDS} s; 4 signers at up to 20/s each"
        )
        for name in names:
            outcome = SCENARIOS[name](stack)
            if outcome:
                results.append(outcome)
        summary(results, stack.tracebacks())
    finally:
        stack.stop()


def summary(results, tracebacks):
    bound = LEASE_SECONDS + 60
    log("")
    log(
        f"{'scenario':18s} {'accepted':>8s} {'lost':>4s} {'dbl':>4s} {'500s':>4s} {'503s':>5s} "
        f"{'mail miss':>9s} {'mail dbl':>8s} {'killed':>6s} {'web back':>8s} {'mail back':>9s}"
    )
    for name, r in results:
        log(
            f"{name:18s} {r['accepted']:8,d} {r['lost']:4d} {r['doubled']:4d} "
            f"{r['five_hundreds']:4d} {r['five_oh_threes']:5d} {r['mails_missing']:9d} "
            f"{r['mails_doubled']:8d} {r['killed']:6d} {r['web_recovery']:7.1f}s "
            f"{r['mail_recovery']:8.1f}s"
        )
    ok = all(
        r["lost"] == 0
        and r["doubled"] == 0
        and r["five_hundreds"] == 0
        and r["mails_missing"] == 0
        and r["mails_doubled"] <= r["killed"]
        and r["mail_recovery"] <= bound
        for _, r in results
    )
    log(f"tracebacks in the logs: {tracebacks}")
    log(
        f"every scenario: nothing lost or doubled, no 500, every mail within the lease + 60 s "
        f"({bound} s), at most one double per killed worker: {'yes' if ok else 'NO'}"
    )


if __name__ == "__main__":
    main()

"""Processes for the HTTP benches: gunicorn, an SMTP sink, wrk, and CPU/memory readings."""

import collections
import http.cookiejar
import json
import os
import re
import resource
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
CORES = os.cpu_count() or 1
TICK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (http://127.0.0.1)
                if response.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


class Gunicorn:
    """One app instance: gunicorn with our production config, on its own port."""

    def __init__(self, env, *, workers, undo=""):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ROOT / "bench" / "out" / f"gunicorn-{self.port}.log"
        env = {**env, "BENCH_UNDO": undo, "SITE_URL": self.url}
        self.process = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                "-c",
                "config/gunicorn.conf.py",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                str(workers),
                "--max-requests",
                "0",  # no restarts mid-measurement: the memory reading must see one process
                "bench.app:application",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=open(self.log, "w"),  # noqa: SIM115
        )
        wait_for(f"{self.url}/health/")

    def worker_pids(self):
        out = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in out.split()]

    def worker_rss_mb(self):
        sizes = {}
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            sizes[pid] = int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024
        return sizes

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)
        errors = [line for line in self.log.read_text().splitlines() if "Traceback" in line]
        self.log.unlink()
        return errors


class SmtpSink:
    def __init__(self, path):
        self.port = free_port()
        self.path = Path(path)
        self.path.write_text("")
        self.process = subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / "smtp_sink.py"), str(self.port), str(path)]
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the SMTP sink did not start")

    def lines(self):
        """(recipient, kind, link) per mail received."""
        return [line.split("\t")[:3] for line in self.path.read_text().splitlines()]

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def cpu_by_program():
    """CPU seconds so far, per program name, over every process on the machine."""
    totals = collections.Counter()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        name = "kernel threads" if name.startswith(("kworker", "ksoftirq")) else name
        totals[name] += (int(fields[11]) + int(fields[12])) / TICK
    return totals


def cpu_shares(before, after, seconds):
    """Each program's share of the whole machine (all cores) over the interval."""
    shares = {
        name: (after[name] - before.get(name, 0)) / (seconds * CORES)
        for name in after
        if after[name] - before.get(name, 0) > 0
    }
    return dict(sorted(shares.items(), key=lambda item: -item[1]))


def wrk(url, *, script, seconds, connections, threads=2, env=None):
    """Run wrk; returns its summary (requests, latencies, errors, per thread) and CPU shares."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "wrk" / script),
        url,
    ]
    before, start = cpu_by_program(), time.monotonic()
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True
    ).stdout
    seconds = time.monotonic() - start
    shares = cpu_shares(before, cpu_by_program(), seconds)
    # wrk has exited before the second reading; its own CPU comes from the kernel's child totals.
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = (after.ru_utime - children.ru_utime) + (after.ru_stime - children.ru_stime)
    shares["wrk"] = used / (seconds * CORES)
    shares = dict(sorted(shares.items(), key=lambda item: -item[1]))
    result = json.loads(next(line[7:] for line in out.splitlines() if line.startswith("RESULT ")))
    result["rate"] = result["requests"] / (result["duration_us"] / 1e6)
    result["cpu"] = shares
    result["error_count"] = sum(result["errors"].values())
    return result


class Browser:
    """A cookie-keeping HTTP client for the checks between runs (not for load)."""

    def __init__(self):
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def request(self, url, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(url, data=body, headers=headers or {})  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def cookie(self, name):
        return next((c.value for c in self.jar if c.name == name), None)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def form_fields(html):
    """The hidden fields of the sign form: the CSRF token and the signed render time."""
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    stamp = re.search(r'name="rendered" value="([^"]+)"', html).group(1)
    return token, stamp

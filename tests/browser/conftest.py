"""Playwright driving Debian's chromium against Django's live server.

Playwright's sync API runs an event loop in the test's thread; Django refuses
ORM calls there unless told it is safe, which it is: the test and the live
server never share a connection at the same time.
"""

import json
import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
VNU = (
    Path(__file__).resolve().parents[2] / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
)
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no chromium at {CHROMIUM}: `make install` installs Debian's")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # This machine has no internet: keep chromium from calling out.
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    # axe is injected as a script; the site's own CSP rightly forbids that.
    return {**browser_context_args, "bypass_csp": True}


@pytest.fixture
def axe():
    """Run axe-core on the page; return the serious and critical violations."""

    def check(page):
        page.add_script_tag(path=str(AXE))
        results = page.evaluate("async () => await axe.run(document)")
        return [
            (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
            for v in results["violations"]
            if v["impact"] in {"serious", "critical"}
        ]

    return check


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def step(request, page):
    """Screenshot each step of a journey; kept under test-results/ only if the test fails."""
    shots = []

    def take(name):
        shots.append((name, page.screenshot(full_page=True)))

    yield take
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        folder = Path("test-results") / request.node.name
        folder.mkdir(parents=True, exist_ok=True)
        for number, (name, png) in enumerate(shots, start=1):
            (folder / f"{number:02d}-{name}.png").write_bytes(png)


@pytest.fixture
def fast_signing(settings):
    """A robot types faster than the anti-bot check allows a person to."""
    settings.SIGN_MIN_FORM_SECONDS = 0


@pytest.fixture(scope="session")
def vnu():
    """The Nu HTML checker as a local service, once per test process; returns check(html).

    check(html) gives the checker's errors as "line: message" strings. The
    jar comes from npm (`make install`) and runs on Debian's Java.
    """
    java = shutil.which("java")
    if not VNU.exists() or java is None:
        pytest.skip("the Nu HTML checker needs `make install` (vnu.jar and Java)")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [java, "-Xss4m", "-cp", str(VNU), "nu.validator.servlet.Main", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/?out=json"

    def check(html):
        request = urllib.request.Request(
            url,
            data=html.encode("utf-8"),
            headers={"Content-Type": "text/html; charset=utf-8"},
        )
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            messages = json.load(response)["messages"]
        return [
            f"{m.get('lastLine', '?')}: {m['message']} [{m.get('extract', '').strip()}]"
            for m in messages
            if m["type"] == "error" or m.get("subType") == "fatal"
        ]

    deadline = time.monotonic() + 90
    while True:
        try:
            check("<!doctype html><html lang=en><title>up</title>")
            break
        except (OSError, urllib.error.URLError):
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("the Nu HTML checker did not start") from None
            time.sleep(0.5)
    yield check
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture
def validated(page, vnu, axe):
    """check(label): the page as served passes the Nu HTML checker, and axe in the browser.

    The checker reads the HTML the server sent for the page now shown (the
    browser's own DOM would hide what it repaired, such as nested forms);
    axe reads the page as the browser shows it. Each page checked is
    recorded, so a test can list what it covered.
    """
    documents = []
    page.on(
        "response",
        lambda r: (
            documents.append(r)
            if r.request.resource_type == "document" and r.frame == page.main_frame
            else None
        ),
    )
    checked = []

    def check(label):
        assert documents, "no page has been loaded"
        html_errors = vnu(documents[-1].text())
        violations = axe(page)
        assert (label, html_errors, violations) == (label, [], [])
        checked.append(label)

    check.pages = checked
    return check

"""Playwright driving Debian's chromium against Django's live server.

Playwright's sync API runs an event loop in the test's thread; Django refuses
ORM calls there unless told it is safe, which it is: the test and the live
server never share a connection at the same time.
"""

import os
from pathlib import Path

import pytest

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"
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

"""deploy/nginx in front of the app: Debian's nginx with the shipped settings, a signing
journey through it, its body limit, and slow clients kept off the app."""

import http.cookiejar
import re
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from bench._nginx import Nginx, nginx_available
from signatories.models import Signatory
from tests.factories import LetterFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def nginx(live_server, tmp_path):
    """nginx on a loopback port, TLS off, with the site's shared settings, proxying to the app."""
    if not nginx_available():
        pytest.skip("needs nginx: `make install` installs Debian's")
    server = Nginx(tmp_path, live_server.url.removeprefix("http://"))
    yield server.url
    server.stop()


def test_a_supporter_signs_through_nginx(nginx, settings):
    settings.SIGN_MIN_FORM_SECONDS = 0
    letter = LetterFactory(moderation="post")
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = browser.open(f"{nginx}{letter.get_absolute_url()}", timeout=10)
    html = page.read().decode()
    assert page.status == 200 and letter.title in html
    fields = dict(re.findall(r'name="(csrfmiddlewaretoken|rendered)" value="([^"]+)"', html))
    form = urllib.parse.urlencode(
        {
            **fields,
            "name": "Қанат Әбілов",
            "affiliation": "Unite",
            "email": "kanat@example.net",
            "kind": "individual",
            "display": "full",
            "website": "",
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - our own loopback nginx
        f"{nginx}/letters/{letter.slug}/sign/",
        data=form,
        headers={"Referer": f"{nginx}{letter.get_absolute_url()}"},
    )
    thanks = browser.open(request, timeout=10)
    assert thanks.status == 200 and thanks.url.startswith(f"{nginx}/letters/{letter.slug}/thanks/")
    assert Signatory.objects.get(letter=letter).name == "Қанат Әбілов"


def test_nginx_refuses_a_body_past_its_limit_before_the_app_sees_it(nginx):
    letter = LetterFactory()
    request = urllib.request.Request(  # noqa: S310 - our own loopback nginx
        f"{nginx}/letters/{letter.slug}/sign/", data=b"x" * (4 * 1024 * 1024), method="POST"
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)  # noqa: S310 - our own loopback nginx
    assert refused.value.code == 413
    assert not Signatory.objects.exists()


def test_slow_header_clients_do_not_hold_the_app(nginx):
    """20 connections dribbling their headers: nginx holds them; other readers are answered."""
    slow = []
    for _ in range(20):
        sock = socket.create_connection(nginx.removeprefix("http://").split(":"), timeout=5)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nX-Slow: ")
        slow.append(sock)
    try:
        for _ in range(5):
            started = time.monotonic()
            with urllib.request.urlopen(f"{nginx}/health/", timeout=5) as response:  # noqa: S310
                assert response.read() == b"ok"
            assert time.monotonic() - started < 5  # answered, not queued behind them
    finally:
        for sock in slow:
            sock.close()

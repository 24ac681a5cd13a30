"""Redis down or frozen: signing and the letter page go on, counting in local memory."""

import logging
import socket
import threading

import pytest
from django.core.cache import caches

from signatories.models import Signatory
from tests.helpers import REDIS, redis_up, sign_data, sign_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen_redis():
    """A server that accepts connections and never answers, as a stopped (SIGSTOP) Redis."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    held = []

    def accept():
        while True:
            try:
                held.append(server.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    yield server.getsockname()[1], held
    server.close()
    for connection in held:
        connection.close()


def _use_redis(settings, url, timeout=0.2, retry=5):
    settings.REDIS_RETRY_SECONDS = retry
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": timeout, "socket_timeout": timeout},
        },
    }


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed again: nothing listens there


def test_with_redis_down_signing_and_the_letter_page_work(
    client, letter, settings, on_commit, mailoutbox, caplog
):
    _use_redis(settings, f"redis://127.0.0.1:{_closed_port()}/0")
    caplog.set_level(logging.WARNING, logger="config.cache")

    with on_commit():
        response = client.post(sign_url(letter), sign_data())
    assert response.status_code == 302 and response["Location"].endswith("/thanks/?shown=full#main")
    assert Signatory.objects.filter(letter=letter).count() == 1
    assert len(mailoutbox) == 1  # the confirmation
    assert client.get(letter.get_absolute_url()).status_code == 200
    assert client.get(f"{letter.get_absolute_url()}count.json").status_code == 200
    warnings = [r for r in caplog.records if r.name == "config.cache"]
    assert len(warnings) == 1 and "Redis unreachable" in warnings[0].getMessage()


def test_with_redis_down_the_limits_still_count_in_the_process(client, letter, settings):
    _use_redis(settings, f"redis://127.0.0.1:{_closed_port()}/0")
    settings.SIGN_HARD_LIMIT_PER_MINUTE = 3
    answers = [
        client.post(sign_url(letter), sign_data(email=f"p{i}@example.net")).status_code
        for i in range(5)
    ]
    assert answers == [302, 302, 302, 429, 429]
    assert Signatory.objects.filter(letter=letter).count() == 3


def test_a_reused_form_stamp_is_refused_while_redis_is_down(client, letter, settings):
    _use_redis(settings, f"redis://127.0.0.1:{_closed_port()}/0")
    data = sign_data()
    assert client.post(sign_url(letter), data).status_code == 302
    again = client.post(sign_url(letter), {**data, "email": "other@example.net"})
    assert again.status_code == 409
    assert Signatory.objects.filter(letter=letter).count() == 1


def test_a_frozen_redis_costs_one_timeout_then_is_left_alone(
    client, letter, settings, frozen_redis
):
    port, held = frozen_redis
    _use_redis(settings, f"redis://127.0.0.1:{port}/0", timeout=0.2, retry=60)
    for i in range(4):
        response = client.post(sign_url(letter), sign_data(email=f"f{i}@example.net"))
        assert response.status_code == 302
        assert client.get(letter.get_absolute_url()).status_code == 200
    assert Signatory.objects.filter(letter=letter).count() == 4
    assert len(held) == 1  # one connection tried; then memory until REDIS_RETRY_SECONDS


def test_redis_is_used_again_once_it_answers(client, letter, settings):
    if not redis_up():
        pytest.skip("needs Redis on 127.0.0.1:6379")
    _use_redis(settings, REDIS, retry=0)
    cache = caches["default"]
    cache.clear()
    cache._down_until = 0.0
    cache.set("probe", 1)
    assert cache._cache.get_client().get(cache.make_key("probe")) is not None  # in Redis itself
    cache.clear()

"""The abuse counters on a real Redis, as production runs them: shared, and keyed by hash."""

import os
import socket

import pytest

from tests.helpers import sign_data, sign_url

# A database of its own per xdist worker: each test flushes it.
REDIS = f"redis://127.0.0.1:6379/{10 + int(os.environ.get('PYTEST_XDIST_WORKER', 'gw0')[2:] or 0)}"


def redis_up():
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=0.5).close()
    except OSError:
        return False
    return True


pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not redis_up(), reason="needs Redis on 127.0.0.1:6379"),
]


@pytest.fixture
def redis_cache(settings):
    from django.core.cache import caches

    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "config.cache.RedisCache", "LOCATION": REDIS},
    }
    caches["default"].clear()
    yield caches["default"]
    caches["default"].clear()


def test_the_hard_ceiling_holds_across_clients_through_redis(client, letter, settings, redis_cache):
    from django.test import Client

    settings.SIGN_HARD_LIMIT_PER_MINUTE = 3
    instances = [client, Client(), Client()]  # as if behind different app processes
    statuses = [
        instances[i % 3]
        .post(sign_url(letter), sign_data(email=f"p{i}@example.net"), REMOTE_ADDR="203.0.113.8")
        .status_code
        for i in range(5)
    ]
    assert statuses == [302, 302, 302, 429, 429]

    keys = [key.decode() for key in redis_cache._cache.get_client().keys("*")]
    assert [key for key in keys if ":abuse:sign-any:" in key]
    assert not any("203.0.113.8" in key for key in keys)  # the address is hashed

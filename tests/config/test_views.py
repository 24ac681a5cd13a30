"""The health check that a proxy or load balancer polls on each app host."""

from unittest import mock

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"].startswith("text/plain")


def test_health_refuses_writes(client):
    assert client.post(reverse("health")).status_code == 405


def test_ready_touches_the_database(client):
    response = client.get(reverse("ready"))
    assert response.status_code == 200 and response.content == b"ready"
    assert "no-cache" in response["Cache-Control"]


def test_ready_is_a_503_when_the_database_is_away(client, caplog):
    from django.db import OperationalError

    with mock.patch("config.views.connection.cursor", side_effect=OperationalError("gone")):
        response = client.get(reverse("ready"))
    assert response.status_code == 503 and response.content == b"database unavailable"
    assert "Not ready" in caplog.text


def test_a_database_that_is_away_gives_a_503_with_a_retry_message(letter):
    from django.db import OperationalError
    from django.test import Client

    client = Client(raise_request_exception=False)
    with mock.patch("letters.views.letter_get_public", side_effect=OperationalError("gone")):
        response = client.get(letter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 503 and response["Retry-After"] == "30"
    html = response.content.decode()
    assert '<html lang="ru">' in html and "Пожалуйста, попробуйте через минуту" in html


def test_any_other_error_is_still_a_500(letter):
    from django.test import Client

    client = Client(raise_request_exception=False)
    with mock.patch("letters.views.letter_get_public", side_effect=RuntimeError("bug")):
        response = client.get(letter.get_absolute_url())
    assert response.status_code == 500
    assert "Sorry, something went wrong on our side" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_lock_held_past_lock_timeout_is_a_quick_503(letter):
    """A table locked by a stuck transaction: the sign request gives up, it does not hang."""
    import threading

    from django.db import connection, connections
    from django.test import Client

    from tests.helpers import sign_data, sign_url

    if connection.vendor != "postgresql":
        pytest.skip("lock_timeout is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SET lock_timeout = '300ms'")  # as DB_LOCK_TIMEOUT_MS sets it at connect
    locked, release = threading.Event(), threading.Event()

    def hold_the_lock():
        other = connections.create_connection("default")
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute("LOCK TABLE signatories_signatory IN ACCESS EXCLUSIVE MODE")
            locked.set()
            release.wait(30)
            cursor.execute("ROLLBACK")
        other.close()

    holder = threading.Thread(target=hold_the_lock)
    holder.start()
    try:
        assert locked.wait(10)
        response = Client(raise_request_exception=False).post(sign_url(letter), sign_data())
    finally:
        release.set()
        holder.join()
    assert response.status_code == 503
    from signatories.models import Signatory

    assert not Signatory.objects.exists()


def test_web_processes_get_statement_and_lock_timeouts_on_postgresql():
    import os
    import subprocess
    import sys

    code = (
        "import config.wsgi;"
        "from django.conf import settings;"
        "print(settings.DATABASES['default']['OPTIONS'].get('options'))"
    )
    env = {**os.environ, "DATABASE_URL": "postgres://u@127.0.0.1:5432/x"}
    for name in ("DB_STATEMENT_TIMEOUT_MS", "DB_LOCK_TIMEOUT_MS"):
        env.pop(name, None)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "-c statement_timeout=5000 -c lock_timeout=1000", out.stderr
    commands = subprocess.run(
        [
            sys.executable,
            "-c",
            code.replace("import config.wsgi;", "import django; django.setup();"),
        ],
        env={**env, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
    )
    assert commands.stdout.strip() == "None", commands.stderr  # migrations and workers: no cut-off


def test_staff_refused_an_admin_page_see_the_admins_look_and_a_way_back(moderator_client, letter):
    response = moderator_client.get(reverse("admin:letters_letter_csv", args=[letter.pk]))
    assert response.status_code == 403
    html = response.content.decode()
    assert "Your role does not open this page" in html
    assert 'href="/admin/"' in html and "Open letters: organisers" in html

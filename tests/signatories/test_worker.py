"""The production path: mail queued in the database, sent by `manage.py db_worker`."""

import io

import pytest
from django.core.management import call_command

from signatories.models import Signatory
from tests.helpers import sign_data, sign_url


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.mark.django_db(transaction=True)
def test_the_worker_sends_the_confirmation_once(client, letter, database_tasks, mailoutbox):
    from django_tasks_db.models import DBTaskResult

    response = client.post(sign_url(letter), sign_data(email="queued@example.net"))

    assert response.status_code == 302
    assert mailoutbox == []  # nothing is sent inside the request
    task = DBTaskResult.objects.get()
    assert "queued@example.net" not in str(task.args_kwargs)  # the queue holds an id, no address

    for _ in range(2):
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())

    assert [m.to for m in mailoutbox] == [["queued@example.net"]]
    assert Signatory.objects.get().confirmed_at is None

"""Confirmations go out through an outbox: a signature marks its row, workers drain it.

A burst of signatures queues one drain task, not one task each; two workers
share the work and every mail is sent exactly once. The last test is the production
path end to end: mail queued in the database, sent by `manage.py db_worker`.
"""

import io
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.test import Client
from django_tasks_db.models import DBTaskResult

from mailing.drain import outbox_drain
from signatories.models import Signatory
from signatories.outboxes import CONFIRMATIONS
from tests.factories import SignatoryFactory
from tests.helpers import sign_data, sign_url
from tests.smtp import run_worker

pytestmark = pytest.mark.django_db(transaction=True)


def sign(letter, n, **extra):
    client = Client(REMOTE_ADDR=f"203.0.113.{n}")
    return client.post(sign_url(letter), sign_data(email=f"burst{n}@example.net", **extra))


def test_a_burst_of_signatures_queues_one_drain_that_mails_each_once(
    letter, smtp, database_tasks, shared_cache
):
    smtp.start()
    for n in range(5):
        assert sign(letter, n).status_code == 302

    tasks = DBTaskResult.objects.all()
    assert [(t.task_path, t.args_kwargs["args"]) for t in tasks] == [
        ("mailing.tasks.drain_outbox", ["confirmations"])
    ]
    assert Signatory.objects.exclude(confirmation_due_at=None).count() == 5

    run_worker()

    assert sorted(d.rcpt_tos[0] for d in smtp.deliveries) == [
        f"burst{n}@example.net" for n in range(5)
    ]
    assert all("/s/confirm/" in d.body for d in smtp.deliveries)
    assert not Signatory.objects.filter(confirmation_due_at__isnull=False).exists()
    assert not Signatory.objects.filter(confirmation_sent_at=None).exists()

    # The drain is over, so the next signature queues a new one, and only its mail goes.
    assert sign(letter, 9).status_code == 302
    run_worker()
    assert len(smtp.deliveries) == 6
    assert smtp.deliveries[-1].rcpt_tos == ["burst9@example.net"]


def test_with_a_per_process_cache_each_signature_queues_its_own_drain(letter, database_tasks):
    """A worker in another process could never clear a flag kept in this one's memory."""
    for n in range(3):
        sign(letter, n)
    paths = DBTaskResult.objects.values_list("task_path", flat=True)
    assert list(paths) == ["mailing.tasks.drain_outbox"] * 3


def test_a_repeat_gets_its_own_already_signed_mail_and_no_second_confirmation(
    letter, smtp, database_tasks
):
    smtp.start()
    sign(letter, 1)
    sign(letter, 1, name="Ada again")
    run_worker()

    assert [d.rcpt_tos for d in smtp.deliveries].count(["burst1@example.net"]) == 2
    bodies = sorted(d.body for d in smtp.deliveries)
    assert sum("/s/confirm/" in body for body in bodies) == 2  # the already-signed mail links too
    assert Signatory.objects.count() == 1


def test_a_bot_signature_is_kept_but_never_mailed(letter, smtp, database_tasks):
    smtp.start()
    assert sign(letter, 1, website="http://spam.example").status_code == 302
    run_worker()
    assert smtp.deliveries == []
    assert Signatory.objects.get().confirmation_due_at is None


def test_a_row_already_mailed_by_a_resend_is_not_mailed_again(letter, smtp, database_tasks):
    from django.utils import timezone

    smtp.start()
    sign(letter, 1)
    Signatory.objects.update(confirmation_sent_at=timezone.now())  # a resend got there first
    run_worker()
    assert smtp.deliveries == []


def test_claims_never_overlap(letter):
    due = SignatoryFactory.create_batch(7, letter=letter, confirmation_due_at="2026-11-23T12:00Z")

    first, second, third = (CONFIRMATIONS.claim(3) for _ in range(3))

    assert len(first) == 3 and len(second) == 3 and len(third) == 1
    assert sorted(first + second + third) == sorted(s.pk for s in due)
    assert CONFIRMATIONS.claim(3) == []


@pytest.mark.postgres
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent transactions")
def test_two_drains_at_once_send_every_mail_exactly_once(letter, smtp, settings):
    settings.MAIL_BATCH_SIZE = 10
    SignatoryFactory.create_batch(
        120, letter=letter, confirmation_due_at="2026-11-23T12:00Z", confirmed_at=None
    )
    smtp.start()
    barrier = threading.Barrier(2)
    errors = []

    def drain():
        try:
            barrier.wait(timeout=10)
            outbox_drain(outbox=CONFIRMATIONS)
        except Exception as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=drain) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    recipients = [d.rcpt_tos[0] for d in smtp.deliveries]
    assert len(recipients) == 120
    assert len(set(recipients)) == 120
    assert not Signatory.objects.filter(confirmation_sent_at=None).exists()


def test_a_drain_that_fails_midway_gives_the_rest_back_and_the_next_sends_each_once(
    letter, smtp, database_tasks, shared_cache, monkeypatch
):
    from django.utils import timezone

    smtp.start()
    for n in range(5):
        sign(letter, n)
    real_send, calls = CONFIRMATIONS.send, []

    def send_then_break(*args):
        calls.append(args)
        if len(calls) == 3:
            raise RuntimeError("the worker broke")
        return real_send(*args)

    monkeypatch.setattr(CONFIRMATIONS, "send", send_then_break)
    run_worker()  # the drain fails on its third mail
    assert len(smtp.deliveries) == 2
    assert Signatory.objects.exclude(confirmation_sent_at=None).count() == 2
    assert Signatory.objects.exclude(confirmation_due_at=None).count() == 3  # given back
    retry = DBTaskResult.objects.filter(status="READY").get()  # a drain a minute later
    assert retry.task_path == "mailing.tasks.drain_outbox"

    monkeypatch.setattr(CONFIRMATIONS, "send", real_send)
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # a minute later
    run_worker()
    recipients = [d.rcpt_tos[0] for d in smtp.deliveries]
    assert sorted(recipients) == [f"burst{n}@example.net" for n in range(5)]


def test_rows_leased_by_a_worker_that_died_go_out_when_the_lease_runs_out(
    letter, smtp, database_tasks
):
    from datetime import timedelta

    from django.utils import timezone

    smtp.start()
    sign(letter, 1)
    assert CONFIRMATIONS.claim(10)  # a worker claims the row and is killed
    run_worker()  # the queued drain finds nothing it may take, and queues a sweep
    assert smtp.deliveries == []
    sweep = DBTaskResult.objects.filter(status="READY").get()
    assert sweep.run_after > timezone.now() + timedelta(minutes=59)

    Signatory.objects.update(confirmation_due_at=timezone.now() - timedelta(seconds=1))
    DBTaskResult.objects.filter(pk=sweep.pk).update(run_after=timezone.now())
    run_worker()  # an hour later
    assert [d.rcpt_tos for d in smtp.deliveries] == [["burst1@example.net"]]
    assert Signatory.objects.get().confirmation_due_at is None


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

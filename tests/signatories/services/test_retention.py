"""How long we keep signatories' data: purging the unconfirmed, anonymising after delivery."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from letters.models import Letter
from letters.services.lifecycle import letter_transition
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


class TestRetention:
    def test_purge_unconfirmed_removes_only_old_unconfirmed_and_is_safe_twice(self, letter):
        old = timezone.now() - datetime.timedelta(days=31)
        SignatoryFactory(letter=letter, name="Old Unconfirmed", confirmed_at=None, created_at=old)
        SignatoryFactory(letter=letter, name="New Unconfirmed", confirmed_at=None)
        SignatoryFactory(letter=letter, name="Old Confirmed", created_at=old)

        out = io.StringIO()
        call_command("purge_unconfirmed", stdout=out)
        call_command("purge_unconfirmed", stdout=out)

        assert set(Signatory.objects.values_list("name", flat=True)) == {
            "New Unconfirmed",
            "Old Confirmed",
        }
        assert "Deleted 1 unconfirmed" in out.getvalue()
        assert "Deleted 0 unconfirmed" in out.getvalue()

    def test_anonymise_letter_keeps_names_and_counts_and_is_safe_twice(self, client):
        letter = LetterFactory(status="closed")
        SignatoryFactory(
            letter=letter, name="Kept Name", email="gone@example.net", ip_hash="a" * 64
        )
        letter_transition(letter=letter, to_status="delivered")
        out = io.StringIO()

        call_command("anonymise_letter", letter.slug, stdout=out)
        call_command("anonymise_letter", letter.slug, stdout=out)

        signatory = Signatory.objects.get()
        assert (signatory.email, signatory.ip_hash) == ("", "")
        assert signatory.anonymised_at is not None
        assert "1 signature(s) anonymised" in out.getvalue()
        assert "0 signature(s) anonymised" in out.getvalue()
        assert client.get(letter.get_absolute_url()).context["count"] == 1

    def test_anonymise_refuses_a_letter_still_collecting_unless_forced(self, letter):
        SignatoryFactory(letter=letter)
        with pytest.raises(CommandError, match="not delivered"):
            call_command("anonymise_letter", letter.slug)
        call_command("anonymise_letter", letter.slug, "--force", stdout=io.StringIO())
        assert Signatory.objects.get().email == ""
        with pytest.raises(CommandError, match="No letter"):
            call_command("anonymise_letter", "nope")

    @pytest.mark.django_db(transaction=True)
    def test_delivery_schedules_anonymisation_days_later(self, settings):
        from django_tasks_db.models import DBTaskResult

        settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
        settings.ANONYMISE_AFTER_DELIVERY_DAYS = 90
        letter = LetterFactory(status=Letter.Status.CLOSED)
        SignatoryFactory(letter=letter)

        letter_transition(letter=letter, to_status="delivered")

        task = DBTaskResult.objects.get(task_path="letters.tasks.anonymise_letter_task")
        days = (task.run_after - letter.delivery.recorded_at).days
        assert days == 90

        DBTaskResult.objects.update(run_after=timezone.now())
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())
        assert Signatory.objects.get().email == ""


class TestInBatches:
    """Purges and anonymisation go a batch at a time; cut short, a second run finishes."""

    def test_a_purge_goes_batch_by_batch_and_a_cut_short_one_is_finished_by_the_next(
        self, letter, monkeypatch
    ):
        from signatories.services import retention

        old = timezone.now() - datetime.timedelta(days=31)
        for n in range(7):
            SignatoryFactory(letter=letter, confirmed_at=None, created_at=old, email=f"o{n}@x.net")
        kept = SignatoryFactory(letter=letter, confirmed_at=None, email="new@x.net")
        seen = []
        real = Signatory.objects.filter

        def dies_on_the_third_batch(done):
            seen.append(done)
            if len(seen) == 2:
                raise RuntimeError("killed")

        with pytest.raises(RuntimeError):
            retention.signatories_purge_unconfirmed(
                older_than_days=30, batch_size=3, on_batch=dies_on_the_third_batch
            )
        assert seen == [3, 6] and real(letter=letter).count() == 2  # two batches stayed done
        assert retention.signatories_purge_unconfirmed(older_than_days=30, batch_size=3) == 1
        assert list(real(letter=letter)) == [kept]

    def test_anonymisation_goes_batch_by_batch_and_says_how_far(self, letter):
        from signatories.services.retention import signatories_anonymise

        SignatoryFactory.create_batch(5, letter=letter, ip_hash="b" * 64)
        seen = []
        assert signatories_anonymise(letter=letter, batch_size=2, on_batch=seen.append) == 5
        assert seen == [2, 4, 5]
        assert not Signatory.objects.exclude(email="").exists()
        assert not Signatory.objects.exclude(ip_hash="").exists()
        assert signatories_anonymise(letter=letter, batch_size=2) == 0

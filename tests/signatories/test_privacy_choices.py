"""What signatories choose to publish, how they leave, and how long we keep their data."""

import datetime
import io

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from letters.models import Letter
from letters.pdf import render_letter_pdf
from letters.services.lifecycle import letter_transition
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import link_path, pdf_text, sign_data, sign_url

pytestmark = pytest.mark.django_db


def letter_pdf_text(letter):
    buffer = io.BytesIO()
    render_letter_pdf(letter, buffer)
    return pdf_text(buffer.getvalue())


@pytest.fixture
def choices(letter):
    SignatoryFactory(letter=letter, name="Full Person", affiliation="Full Union")
    SignatoryFactory(letter=letter, name="Name Only", affiliation="Secret Employer", display="name")
    SignatoryFactory(letter=letter, name="Hidden One", affiliation="Hidden Union", display="hidden")
    SignatoryFactory(letter=letter, name="Hidden Two", display="hidden")
    SignatoryFactory(
        letter=letter,
        name="Dockers Branch",
        kind="organisation",
        affiliation="contact: Jane Doe",
        display="name",
    )
    return letter


def test_choices_are_honoured_on_the_page_the_count_and_the_pdf(client, choices):
    page = client.get(choices.get_absolute_url())
    html = page.content.decode()
    text = letter_pdf_text(choices)

    assert page.context["count"] == 5
    assert "and 2 others who asked not to be named" in html
    assert "and 2 others who asked not to be named" in text
    assert "5 signatures" in text
    for body in (html, text):
        assert "Full Union" in body and "Name Only" in body and "Dockers Branch" in body
        for secret in ["Secret Employer", "Hidden One", "Hidden Two", "Hidden Union", "Jane Doe"]:
            assert secret not in body


def test_an_all_hidden_list_still_counts(client, letter):
    SignatoryFactory(letter=letter, display="hidden", name="Nobody Named")
    html = client.get(letter.get_absolute_url()).content.decode()
    assert "1 signatory who asked not to be named" in html
    assert "Nobody Named" not in html


def test_the_form_offers_the_choice_and_stores_it(client, letter, on_commit):
    assert (
        "Count my signature, but do not publish my name"
        in client.get(letter.get_absolute_url()).content.decode()
    )
    with on_commit():
        client.post(sign_url(letter), sign_data(display="hidden"))
    assert Signatory.objects.get().display == "hidden"


class TestErase:
    def test_every_mail_has_an_erase_link_that_asks_then_removes_everything(
        self, client, on_commit, mailoutbox
    ):
        letter = LetterFactory(moderation="post")
        with on_commit():
            client.post(sign_url(letter), sign_data(email="leaving@example.net"))
        with on_commit():
            client.post(sign_url(letter), sign_data(email="LEAVING@example.net"))
        assert all("/s/erase/" in mail.body for mail in mailoutbox)
        client.get(link_path(mailoutbox[0], "confirm"))
        assert client.get(letter.get_absolute_url()).context["count"] == 1

        path = link_path(mailoutbox[0], "erase")
        asked = client.get(path)
        assert asked.status_code == 200
        assert Signatory.objects.exists()

        done = client.post(path)
        assert done.status_code == 200
        assert "have been erased" in done.content.decode()
        assert not Signatory.objects.exists()
        assert client.get(letter.get_absolute_url()).context["count"] == 0
        assert client.post(path).status_code == 400  # nothing left to erase

    def test_after_hand_in_the_pages_say_the_paper_copy_cannot_be_recalled(self, client):
        letter = LetterFactory(status="closed")
        signatory = SignatoryFactory(letter=letter)
        letter_transition(letter=letter, to_status="delivered")
        from signatories import tokens

        for purpose in (tokens.WITHDRAW, tokens.ERASE):
            path = f"/s/{purpose}/{tokens.make_token(signatory, purpose)}/"
            assert "cannot be recalled" in client.get(path).content.decode()


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
        days = (task.run_after - letter.delivery.delivered_at).days
        assert days == 90

        DBTaskResult.objects.update(run_after=timezone.now())
        call_command("db_worker", "--batch", "--no-startup-delay", stdout=io.StringIO())
        assert Signatory.objects.get().email == ""

"""A long list's contacts CSV: written by a worker, kept sealed for a while, then gone."""

import csv
import io
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from letters.models import ContactsExport, ContactsExportPart
from letters.services.contacts_export import (
    contacts_export_make,
    contacts_exports_expire,
)
from signatories import tokens
from signatories.models import Signatory
from signatories.services.links import signatory_erase
from signatories.services.retention import signatories_anonymise
from teams.models import ContactView
from tests.factories import SignatoryFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def long_list(settings, letter):
    """A list 'too long for a request': the threshold brought down to one row."""
    settings.CONTACTS_CSV_DIRECT_ROWS = 1
    SignatoryFactory(letter=letter, name="Жанар Қасымова", email="zhanar@example.kz")
    SignatoryFactory(letter=letter, name="=HYPERLINK(1)", email="ada@example.org")
    SignatoryFactory(letter=letter, name="Not Confirmed", confirmed_at=None)
    return letter


def page_url(letter, everything=False):
    url = reverse("admin:letters_letter_contacts_export", args=[letter.pk])
    return f"{url}?all=1" if everything else url


def prepare(client, letter, capture, everything=False):
    with capture(execute=True):  # the task, run at once here
        return client.post(
            reverse("admin:letters_letter_contacts_export_prepare", args=[letter.pk]),
            {"all": "1"} if everything else {},
        )


def rows_of(response):
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text)))


def test_a_long_lists_csv_is_written_by_a_worker_then_downloaded_and_logged(
    organiser_client, long_list, django_capture_on_commit_callbacks
):
    letter = long_list
    csv_link = reverse("admin:letters_letter_csv", args=[letter.pk])
    assert organiser_client.get(csv_link)["Location"] == page_url(letter)
    html = organiser_client.get(page_url(letter)).content.decode()
    assert "None written yet." in html
    assert "kept encrypted for 60 minutes" in html
    assert not ContactView.objects.exists()  # nothing looked at yet

    asked = prepare(organiser_client, letter, django_capture_on_commit_callbacks)
    assert asked["Location"] == page_url(letter)
    export = ContactsExport.objects.get(letter=letter)
    assert (export.state, export.row_count, export.address_count) == ("ready", 2, 2)
    assert export.requested_by == organiser_client.user
    html = organiser_client.get(page_url(letter)).content.decode()
    assert "Ready</strong>: 2 rows, 2 e-mail addresses" in html
    assert "The list has changed" not in html
    download = reverse("admin:letters_letter_contacts_export_file", args=[letter.pk, export.pk])
    assert download in html
    assert not ContactView.objects.exists()  # written, not yet looked at

    response = organiser_client.get(download)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "no-store" in response["Cache-Control"]
    assert f'filename="{letter.slug}-contacts-' in response["Content-Disposition"]
    rows = rows_of(response)
    assert int(response["Content-Length"]) == export.size
    assert rows[0][:3] == ["name", "organisation", "email"]
    assert {(row[0], row[2]) for row in rows[1:]} == {
        ("Жанар Қасымова", "zhanar@example.kz"),
        ("'=HYPERLINK(1)", "ada@example.org"),
    }
    look = ContactView.objects.get()
    assert (look.user, look.what, look.addresses) == (organiser_client.user, "contacts_csv", 2)


def test_the_parts_at_rest_hold_no_address_in_clear(
    organiser_client, long_list, django_capture_on_commit_callbacks
):
    prepare(organiser_client, long_list, django_capture_on_commit_callbacks)
    stored = b"".join(bytes(part.data) for part in ContactsExportPart.objects.all())
    assert stored
    assert b"zhanar@example.kz" not in stored
    assert "Жанар".encode() not in stored


def test_every_signature_in_any_state_is_its_own_export(
    organiser_client, long_list, django_capture_on_commit_callbacks
):
    letter = long_list
    csv_link = reverse("admin:letters_letter_csv", args=[letter.pk]) + "?all=1"
    assert organiser_client.get(csv_link)["Location"] == page_url(letter, everything=True)
    prepare(organiser_client, letter, django_capture_on_commit_callbacks, everything=True)
    export = ContactsExport.objects.get(letter=letter)
    assert (export.everything, export.row_count) == (True, 3)
    html = organiser_client.get(page_url(letter, everything=True)).content.decode()
    assert "Every signature in any state" in html
    assert "None written yet." in organiser_client.get(page_url(letter)).content.decode()
    response = organiser_client.get(
        reverse("admin:letters_letter_contacts_export_file", args=[letter.pk, export.pk])
    )
    assert "Not Confirmed" in {row[0] for row in rows_of(response)}
    assert ContactView.objects.get().what == "all_csv"


def test_the_list_action_sends_a_long_list_to_its_page(organiser_client, long_list):
    response = organiser_client.post(
        reverse("admin:letters_letter_changelist"),
        {"action": "export_contacts", "_selected_action": [long_list.pk]},
    )
    assert response["Location"] == page_url(long_list)


def test_while_it_is_written_the_page_and_its_json_say_how_far(organiser_client, long_list):
    export = ContactsExport.objects.create(letter=long_list, state="making")
    html = organiser_client.get(page_url(long_list)).content.decode()
    assert "js/worker-progress.js" in html
    progress = reverse(
        "admin:letters_letter_contacts_export_progress", args=[long_list.pk, export.pk]
    )
    assert f'data-progress-url="{progress}"' in html
    assert "Being written since" in html
    cache.set(export.progress_key, (40_000, 1_000_000))
    state = organiser_client.get(progress).json()
    assert state == {
        "state": "making",
        "done": 40_000,
        "total": 1_000_000,
        "words": "Being written: 40,000 of 1,000,000 rows.",
    }
    download = reverse("admin:letters_letter_contacts_export_file", args=[long_list.pk, export.pk])
    assert organiser_client.get(download).status_code == 404  # not ready: nothing to give


def test_a_failure_is_recorded_and_shown(organiser_client, long_list, monkeypatch):
    from letters.services import contacts_export

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(contacts_export, "csv_lines", broken)
    export = contacts_export_make(export=ContactsExport.objects.create(letter=long_list))
    assert export.state == "failed"
    assert not export.parts.exists()
    html = organiser_client.get(page_url(long_list)).content.decode()
    assert "Writing the CSV failed; the server&#x27;s log says why. Ask for it again." in html


def test_a_task_run_twice_or_for_a_removed_export_changes_nothing(long_list):
    from letters.tasks import make_contacts_export_task

    export = contacts_export_make(export=ContactsExport.objects.create(letter=long_list))
    parts = list(export.parts.values_list("pk", flat=True))
    again = contacts_export_make(export=export)
    assert again.state == "ready"
    assert list(again.parts.values_list("pk", flat=True)) == parts
    make_contacts_export_task.call(export.pk + 1000)  # gone: nothing to do, no error


def test_a_newer_export_replaces_the_older_of_its_kind(long_list):
    first = contacts_export_make(export=ContactsExport.objects.create(letter=long_list))
    every = contacts_export_make(
        export=ContactsExport.objects.create(letter=long_list, everything=True)
    )
    second = contacts_export_make(export=ContactsExport.objects.create(letter=long_list))
    assert set(ContactsExport.objects.values_list("pk", flat=True)) == {every.pk, second.pk}
    assert not ContactsExportPart.objects.filter(export_id=first.pk).exists()


def test_the_sweep_removes_exports_past_their_time(settings, long_list):
    settings.EXPORT_KEPT_MINUTES = 60
    old = contacts_export_make(export=ContactsExport.objects.create(letter=long_list))
    ContactsExport.objects.filter(pk=old.pk).update(
        finished_at=timezone.now() - timedelta(minutes=61)
    )
    fresh = contacts_export_make(
        export=ContactsExport.objects.create(letter=long_list, everything=True)
    )
    waiting = ContactsExport.objects.create(letter=long_list)
    contacts_exports_expire()
    assert set(ContactsExport.objects.values_list("pk", flat=True)) == {fresh.pk, waiting.pk}
    assert not ContactsExportPart.objects.filter(export_id=old.pk).exists()


def test_the_worker_sweep_runs_the_expiry():
    from mailing.sweeps import all_sweeps

    assert contacts_exports_expire in all_sweeps()


@pytest.mark.parametrize("how", ["erased by the signer", "deleted in the admin", "anonymised"])
def test_addresses_erased_from_the_letter_take_its_exports_with_them(
    how, admin_client, long_list, django_capture_on_commit_callbacks
):
    export = contacts_export_make(export=ContactsExport.objects.create(letter=long_list))
    other = contacts_export_make(
        export=ContactsExport.objects.create(letter=SignatoryFactory().letter)
    )
    someone = Signatory.objects.get(name="Жанар Қасымова")
    with django_capture_on_commit_callbacks(execute=True):
        if how == "erased by the signer":
            signatory_erase(token=tokens.make_token(someone, tokens.ERASE))
        elif how == "deleted in the admin":
            admin_client.post(
                reverse("admin:signatories_signatory_delete", args=[someone.pk]), {"post": "yes"}
            )
        else:
            signatories_anonymise(letter=long_list)
    assert not ContactsExport.objects.filter(pk=export.pk).exists()
    assert not ContactsExportPart.objects.filter(export_id=export.pk).exists()
    assert ContactsExport.objects.filter(pk=other.pk).exists()  # another letter's stays


def test_an_export_discarded_while_it_is_written_keeps_nothing(long_list, monkeypatch):
    from letters.services import contacts_export

    export = ContactsExport.objects.create(letter=long_list)
    real = contacts_export.csv_lines

    def erased_meanwhile(*args, **kwargs):
        yield from real(*args, **kwargs)
        ContactsExport.objects.filter(pk=export.pk).delete()  # an erasure, mid-write

    monkeypatch.setattr(contacts_export, "csv_lines", erased_meanwhile)
    assert contacts_export_make(export=export) is None
    assert not ContactsExportPart.objects.exists()


def test_only_staff_who_may_see_addresses_reach_any_of_it(
    moderator_client, organiser_client, long_list
):
    export = contacts_export_make(export=ContactsExport.objects.create(letter=long_list))
    for url in [
        page_url(long_list),
        reverse("admin:letters_letter_contacts_export_file", args=[long_list.pk, export.pk]),
        reverse("admin:letters_letter_contacts_export_progress", args=[long_list.pk, export.pk]),
    ]:
        assert moderator_client.get(url).status_code == 403
    prepare_url = reverse("admin:letters_letter_contacts_export_prepare", args=[long_list.pk])
    assert moderator_client.post(prepare_url).status_code == 403
    assert ContactsExport.objects.count() == 1
    assert not ContactView.objects.exists()
    # A GET of the prepare URL asks for nothing: it goes back to the page.
    assert organiser_client.get(prepare_url)["Location"] == page_url(long_list)
    assert ContactsExport.objects.count() == 1


def test_a_short_list_still_streams_at_once(organiser_client, letter):
    SignatoryFactory(letter=letter, name="Ada Lovelace")
    response = organiser_client.get(reverse("admin:letters_letter_csv", args=[letter.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert not ContactsExport.objects.exists()


def test_a_csv_older_than_the_list_says_so(organiser_client, long_list):
    contacts_export_make(export=ContactsExport.objects.create(letter=long_list))
    SignatoryFactory(letter=long_list, name="Гүлнар Іскакова")
    html = organiser_client.get(page_url(long_list)).content.decode()
    assert "The list has changed since this CSV was written: 3 rows now." in html

"""Every look at contact details is written down: who, when, which letter, how many; the
campaign's organisers read it; nobody can change or delete an entry."""

import csv
import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from teams.models import ContactView, ContactViewIsRecord, LookedAt, Role
from tests.factories import SignatoryFactory
from tests.teams.conftest import member_client

pytestmark = pytest.mark.django_db


def entries(**filters):
    return list(ContactView.objects.filter(**filters).values_list("username", "what", "addresses"))


def test_the_contacts_csv_is_logged_with_how_many_addresses(alpha_organiser, two_campaigns):
    letter = two_campaigns["letters"]["a"]
    SignatoryFactory(letter=letter, email="", name="On paper, no address", source="paper")
    response = alpha_organiser.get(reverse("admin:letters_letter_csv", args=[letter.pk]))
    b"".join(response.streaming_content)
    [entry] = ContactView.objects.all()
    assert (entry.username, entry.what, entry.addresses) == ("alpha-org", "contacts_csv", 1)
    assert entry.letter_id == letter.pk and entry.campaign_id == letter.campaign_id
    assert entry.user == alpha_organiser.user and entry.letter_title == letter.title

    alpha_organiser.get(reverse("admin:letters_letter_csv", args=[letter.pk]) + "?all=1")
    assert entries(what=LookedAt.ALL_CSV) == [("alpha-org", "all_csv", 1)]


def test_a_signatures_page_and_the_list_with_addresses_are_logged(alpha_organiser, two_campaigns):
    signer = two_campaigns["signers"]["a"]
    alpha_organiser.get(reverse("admin:signatories_signatory_change", args=[signer.pk]))
    assert entries(what=LookedAt.SIGNATURE_PAGE) == [("alpha-org", "signature_page", 1)]
    SignatoryFactory.create_batch(2, letter=signer.letter)
    alpha_organiser.get(reverse("admin:signatories_signatory_changelist") + "?queue=all")
    assert entries(what=LookedAt.SIGNATURE_LIST) == [("alpha-org", "signature_list", 3)]


def test_the_import_preview_of_rows_with_addresses_is_logged(alpha_organiser, two_campaigns):
    letter = two_campaigns["letters"]["a"]
    upload = io.BytesIO(
        b"name,organisation,email\nAsel Nurlanova,Unite,asel@example.net\nJohn Smith,RMT,\n"
    )
    upload.name = "paper.csv"
    response = alpha_organiser.post(
        reverse("admin:letters_letter_import", args=[letter.pk]), {"file": upload}
    )
    assert response.status_code == 200
    assert entries(what=LookedAt.IMPORT_PREVIEW) == [("alpha-org", "import_preview", 1)]


def test_export_letter_on_the_server_is_logged(two_campaigns, tmp_path):
    letter = two_campaigns["letters"]["a"]
    out = tmp_path / "contacts.csv"
    call_command("export_letter", letter.slug, "--format", "csv", "-o", str(out))
    assert len(list(csv.reader(out.open(encoding="utf-8-sig")))) == 2
    assert entries() == [("(server command)", "command", 1)]


def test_a_moderator_looks_at_no_address_and_nothing_is_logged(alpha_moderator, two_campaigns):
    signer = two_campaigns["signers"]["a"]
    alpha_moderator.get(reverse("admin:signatories_signatory_change", args=[signer.pk]))
    alpha_moderator.get(reverse("admin:signatories_signatory_changelist") + "?queue=all")
    assert not ContactView.objects.exists()


def test_each_campaigns_organisers_read_its_log_and_only_its(
    alpha_organiser, alpha_moderator, two_campaigns, django_user_model
):
    bravo = member_client(django_user_model, two_campaigns["b"], Role.ORGANISER, "bravo-org")
    for client, key in [(alpha_organiser, "a"), (bravo, "b")]:
        letter = two_campaigns["letters"][key]
        client.get(reverse("admin:letters_letter_csv", args=[letter.pk]))
    log = reverse("admin:teams_contactview_changelist")

    page = alpha_organiser.get(log).content.decode()
    assert "alpha-org" in page and "bravo-org" not in page
    bravo_entry = ContactView.objects.get(username="bravo-org")
    change = reverse("admin:teams_contactview_change", args=[bravo_entry.pk])
    assert alpha_organiser.get(change).status_code == 404
    assert alpha_moderator.get(log).status_code == 403


def test_nobody_changes_or_deletes_an_entry(admin_client, alpha_organiser, two_campaigns):
    letter = two_campaigns["letters"]["a"]
    alpha_organiser.get(reverse("admin:letters_letter_csv", args=[letter.pk]))
    entry = ContactView.objects.get()
    change = reverse("admin:teams_contactview_change", args=[entry.pk])
    delete = reverse("admin:teams_contactview_delete", args=[entry.pk])
    for client in (admin_client, alpha_organiser):
        assert client.post(change, {"addresses": 0}).status_code == 403
        assert client.post(delete, {"post": "yes"}).status_code == 403
    page = admin_client.get(change).content.decode()
    assert 'name="_save"' not in page
    entry.addresses = 0
    with pytest.raises(ContactViewIsRecord):
        entry.save()
    with pytest.raises(ContactViewIsRecord):
        entry.delete()
    assert ContactView.objects.get().addresses == 1


def test_on_postgresql_no_sql_changes_or_deletes_an_entry(alpha_organiser, two_campaigns):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    from django.db import ProgrammingError, transaction

    letter = two_campaigns["letters"]["a"]
    alpha_organiser.get(reverse("admin:letters_letter_csv", args=[letter.pk]))
    for statement in (
        "UPDATE teams_contactview SET addresses = 0",
        "DELETE FROM teams_contactview",
    ):
        with (
            pytest.raises(ProgrammingError, match="access log is a record"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(statement)
    assert ContactView.objects.get().addresses == 1

"""The suppression list in the admin: organisers see hashes (never an address), add one by
typing an address, and lift one; moderators see none of it."""

import pytest
from django.urls import reverse

from mailing.models import Suppression, SuppressionReason
from mailing.suppression import address_hash, is_suppressed, suppress

pytestmark = pytest.mark.django_db

LIST = reverse("admin:mailing_suppression_changelist")
ADD = reverse("admin:mailing_suppression_add")


@pytest.fixture
def bounced():
    row, _ = suppress(
        "bounced.member@rmt.org.uk",
        reason=SuppressionReason.BOUNCED,
        provider="mailgun",
        event_id="tok-123",
    )
    return row


def test_organisers_see_the_list_with_hashes_cut_short(organiser_client, bounced):
    html = organiser_client.get(LIST).content.decode()

    assert bounced.email_hash[:12] in html
    assert bounced.email_hash not in html  # only its start
    assert "Bounced (the address does not exist)" in html
    assert "mailgun" in html and "tok-123" in html
    assert "bounced.member" not in html


def test_a_superuser_sees_it_too_and_the_admin_index_lists_it(admin_client, bounced):
    assert admin_client.get(LIST).status_code == 200
    index = admin_client.get(reverse("admin:index")).content.decode()
    assert "Suppressed addresses" in index


def test_moderators_see_none_of_it(moderator_client, bounced):
    assert moderator_client.get(LIST).status_code == 403
    assert moderator_client.get(ADD).status_code == 403


def test_an_address_typed_in_is_kept_as_its_hash_only(organiser_client):
    response = organiser_client.post(ADD, {"address": "Asked.To.Stop@example.kz"}, follow=True)

    row = Suppression.objects.get()
    assert row.email_hash == address_hash("asked.to.stop@example.kz")
    assert row.reason == SuppressionReason.MANUAL
    assert row.added_by == organiser_client.user
    html = response.content.decode()
    assert "no more mail goes to it" in html
    assert "asked.to.stop" not in html.lower()


def test_an_address_already_there_is_said_so_and_not_added_twice(organiser_client, bounced):
    response = organiser_client.post(ADD, {"address": "BOUNCED.member@rmt.org.uk"})

    assert response.status_code == 200
    html = response.content.decode()
    assert "This address is already on the list." in html
    assert "since" not in html and "Bounced" not in html  # nor when, nor why
    assert Suppression.objects.count() == 1


@pytest.mark.parametrize("typed", ["not an address", "a\x00b@example.net", "x" * 10_000 + "@e.kz"])
def test_bad_input_in_the_form_is_a_message_not_a_500(organiser_client, typed):
    response = organiser_client.post(ADD, {"address": typed})
    assert response.status_code == 200
    assert not Suppression.objects.exists()


def test_searching_by_a_whole_address_finds_its_row(organiser_client, bounced):
    suppress("other@example.net", reason=SuppressionReason.MANUAL)
    html = organiser_client.get(LIST, {"q": "Bounced.Member@rmt.org.uk"}).content.decode()
    assert bounced.email_hash[:12] in html
    assert address_hash("other@example.net")[:12] not in html


def test_lifting_one_from_its_page_says_so(organiser_client, bounced):
    url = reverse("admin:mailing_suppression_delete", args=[bounced.pk])
    response = organiser_client.post(url, {"post": "yes"}, follow=True)

    assert "Suppression lifted" in response.content.decode()
    assert not is_suppressed("bounced.member@rmt.org.uk")


def test_lifting_the_selected_from_the_list(organiser_client, bounced):
    from django.contrib.admin.models import DELETION, LogEntry

    other, _ = suppress("other@example.net", reason=SuppressionReason.MANUAL)
    complaint, _ = suppress("complained@example.net", reason=SuppressionReason.COMPLAINED)
    selected = [bounced.pk, other.pk, complaint.pk]
    response = organiser_client.post(
        LIST, {"action": "lift_selected", "_selected_action": selected}, follow=True
    )

    html = response.content.decode()
    assert "2 suppressions lifted" in html
    assert "1 complaint left on the list: only a superuser lifts a complaint" in html
    assert list(Suppression.objects.all()) == [complaint]
    # In the admin's record, as any deletion is.
    logged = LogEntry.objects.filter(action_flag=DELETION, user=organiser_client.user)
    assert logged.count() == 2


def test_a_complaint_is_lifted_by_a_superuser_only(organiser_client, admin_client):
    complaint, _ = suppress("complained@example.net", reason=SuppressionReason.COMPLAINED)
    url = reverse("admin:mailing_suppression_delete", args=[complaint.pk])
    assert organiser_client.post(url, {"post": "yes"}).status_code == 403
    assert Suppression.objects.exists()
    admin_client.post(url, {"post": "yes"})
    assert not Suppression.objects.exists()


def test_a_row_cannot_be_edited(organiser_client, bounced):
    url = reverse("admin:mailing_suppression_change", args=[bounced.pk])
    response = organiser_client.get(url)
    assert response.status_code == 200  # shown, read-only
    assert 'name="_save"' not in response.content.decode()

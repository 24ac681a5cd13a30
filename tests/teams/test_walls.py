"""The walls between campaign teams, through the admin as a member of A's team uses it:
every URL, action and export of campaign B, ids copied or guessed, is a 404 or 403,
changes nothing and shows nothing of B; a moderator of A sees no e-mail anywhere."""

import pytest
from django.test import Client
from django.urls import reverse

from letters.models import ContactsExport, Letter, PaperSheet, SignedPdf
from letters.services.contacts_export import contacts_export_make
from letters.services.pdf_making import signed_pdf_make
from signatories.models import ModerationAction, Signatory
from teams.models import CampaignMember, Role
from teams.services import team_member_set
from tests.teams.conftest import B_MARK, member_client

pytestmark = pytest.mark.django_db


def b_urls(data):
    """Every admin page of campaign B's objects, as someone could copy or guess them."""
    letter, signer = data["letters"]["b"], data["signers"]["b"]
    update, event, campaign = data["updates"]["b"], data["events"]["b"], data["b"]
    urls = [
        reverse("admin:campaign_campaign_change", args=[campaign.pk]),
        reverse("admin:campaign_campaign_history", args=[campaign.pk]),
        reverse("admin:campaign_campaign_delete", args=[campaign.pk]),
        reverse("admin:campaign_event_change", args=[event.pk]),
        reverse("admin:letters_letter_change", args=[letter.pk]),
        reverse("admin:letters_letter_history", args=[letter.pk]),
        reverse("admin:letters_letter_delete", args=[letter.pk]),
        reverse("admin:signatories_signatory_change", args=[signer.pk]),
        reverse("admin:signatories_signatory_history", args=[signer.pk]),
        reverse("admin:signatories_signatory_delete", args=[signer.pk]),
        reverse("admin:letters_update_change", args=[update.pk]),
        reverse("admin:letters_update_preview", args=[update.pk]),
        reverse("admin:letters_update_send", args=[update.pk]),
    ]
    for name in (
        *("deliver", "paper", "import", "signed_pdf", "signed_pdf_prepare", "csv", "sheets"),
        *("contacts_export", "contacts_export_prepare"),
    ):
        urls.append(reverse(f"admin:letters_letter_{name}", args=[letter.pk]))
    b_pdf = signed_pdf_make(signed=SignedPdf.objects.create(letter=letter))
    urls.append(reverse("admin:letters_letter_signed_pdf_file", args=[letter.pk, b_pdf.pk]))
    b_csv = contacts_export_make(export=ContactsExport.objects.create(letter=letter))
    for name in ("contacts_export_file", "contacts_export_progress"):
        urls.append(reverse(f"admin:letters_letter_{name}", args=[letter.pk, b_csv.pk]))
    urls.append(reverse("admin:letters_letter_transition", args=[letter.pk, "closed"]))
    return urls


@pytest.mark.parametrize("who", ["alpha_organiser", "alpha_moderator"])
def test_every_page_of_another_campaign_is_a_404_or_403_and_shows_nothing_of_it(
    who, two_campaigns, request
):
    client = request.getfixturevalue(who)
    for url in b_urls(two_campaigns):
        for method in (client.get, client.post):
            response = method(url)
            assert response.status_code in (403, 404), (url, method.__name__, response)
            assert B_MARK not in response.content.decode(errors="replace"), url
    letter = Letter.objects.get(pk=two_campaigns["letters"]["b"].pk)
    assert letter.status == Letter.Status.OPEN
    assert Signatory.objects.filter(letter=letter).count() == 1


@pytest.mark.parametrize("who", ["alpha_organiser", "alpha_moderator"])
def test_lists_filters_and_searches_hold_only_the_members_campaigns(who, two_campaigns, request):
    client = request.getfixturevalue(who)
    pages = [
        reverse("admin:campaign_campaign_changelist"),
        reverse("admin:campaign_event_changelist"),
        reverse("admin:letters_letter_changelist"),
        reverse("admin:letters_update_changelist"),
        reverse("admin:letters_delivery_changelist"),
        reverse("admin:letters_papersheet_changelist"),
        reverse("admin:signatories_signatory_changelist") + "?queue=all",
        reverse("admin:signatories_signatory_changelist") + "?q=Signer",  # B's name
        reverse("admin:signatories_moderationaction_changelist"),
        reverse("admin:index"),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code in (200, 403), url  # 403: not a page of this role at all
        assert B_MARK not in response.content.decode(), url
    queue = client.get(reverse("admin:signatories_signatory_changelist") + "?queue=all")
    assert "Ayan Alpha" in queue.content.decode()


def test_autocomplete_offers_nothing_of_another_campaign(alpha_organiser, two_campaigns):
    response = alpha_organiser.get(
        reverse("admin:autocomplete"),
        {
            "term": "",
            "app_label": "letters",
            "model_name": "letter",
            "field_name": "hand_in_event",
        },
    )
    assert B_MARK not in response.content.decode()


def test_a_bulk_decision_over_a_mixed_selection_touches_only_the_members_rows(
    alpha_moderator, two_campaigns
):
    a, b = two_campaigns["signers"]["a"], two_campaigns["signers"]["b"]
    Signatory.objects.filter(pk__in=[a.pk, b.pk]).update(status=Signatory.Status.PENDING)
    response = alpha_moderator.post(
        reverse("admin:signatories_signatory_changelist") + "?queue=all",
        {"action": "approve", "_selected_action": [a.pk, b.pk]},
    )
    assert response.status_code == 302
    assert Signatory.objects.get(pk=a.pk).status == Signatory.Status.APPROVED
    assert Signatory.objects.get(pk=b.pk).status == Signatory.Status.PENDING
    [decision] = ModerationAction.objects.all()
    assert decision.count == 1


def test_a_letter_action_over_a_mixed_selection_exports_nothing_of_another_campaign(
    alpha_organiser, two_campaigns
):
    letters = two_campaigns["letters"]
    response = alpha_organiser.post(
        reverse("admin:letters_letter_changelist"),
        {"action": "export_contacts", "_selected_action": [letters["b"].pk]},
    )
    assert "secret@bravo.example" not in response.content.decode(errors="replace")
    both = alpha_organiser.post(
        reverse("admin:letters_letter_changelist"),
        {"action": "export_contacts", "_selected_action": [letters["a"].pk, letters["b"].pk]},
    )
    body = b"".join(both.streaming_content) if both.streaming else both.content
    assert b"secret@bravo.example" not in body
    assert b"ayan@alpha.example" in body  # only A's letter was left in the selection


def test_the_organiser_of_a_sees_and_exports_a_contacts(alpha_organiser, two_campaigns):
    signer = two_campaigns["signers"]["a"]
    page = alpha_organiser.get(reverse("admin:signatories_signatory_change", args=[signer.pk]))
    assert "ayan@alpha.example" in page.content.decode()
    csv = alpha_organiser.get(
        reverse("admin:letters_letter_csv", args=[two_campaigns["letters"]["a"].pk])
    )
    assert b"ayan@alpha.example" in b"".join(csv.streaming_content)


def test_a_moderator_of_a_sees_no_e_mail_anywhere(alpha_moderator, two_campaigns):
    signer, letter = two_campaigns["signers"]["a"], two_campaigns["letters"]["a"]
    pages = [
        reverse("admin:signatories_signatory_changelist") + "?queue=all",
        reverse("admin:signatories_signatory_changelist") + "?q=alpha.example",
        reverse("admin:signatories_signatory_change", args=[signer.pk]),
        reverse("admin:letters_letter_change", args=[letter.pk]),
    ]
    for url in pages:
        response = alpha_moderator.get(url)
        assert response.status_code == 200, url
        assert "ayan@alpha.example" not in response.content.decode(), url
    for name in ("csv", "import", "paper"):
        url = reverse(f"admin:letters_letter_{name}", args=[letter.pk])
        assert alpha_moderator.get(url).status_code == 403, url


def test_a_moderator_here_and_organiser_there_sees_e_mail_only_there(
    two_campaigns, django_user_model
):
    client = member_client(django_user_model, two_campaigns["a"], Role.ORGANISER, "both")
    team_member_set(campaign=two_campaigns["b"], user=client.user, role=Role.MODERATOR)
    a, b = two_campaigns["signers"]["a"], two_campaigns["signers"]["b"]
    seen_a = client.get(reverse("admin:signatories_signatory_change", args=[a.pk]))
    seen_b = client.get(reverse("admin:signatories_signatory_change", args=[b.pk]))
    assert "ayan@alpha.example" in seen_a.content.decode()
    assert seen_b.status_code == 200 and "secret@bravo.example" not in seen_b.content.decode()
    listing = client.get(reverse("admin:signatories_signatory_changelist") + "?queue=all")
    assert "@" not in "".join(
        line for line in listing.content.decode().splitlines() if "example" in line
    )
    csv_b = client.get(reverse("admin:letters_letter_csv", args=[two_campaigns["letters"]["b"].pk]))
    assert csv_b.status_code == 403


def test_a_new_paper_sheet_or_letter_can_only_point_at_the_members_campaigns(
    alpha_organiser, two_campaigns
):
    page = alpha_organiser.get(reverse("admin:letters_letter_add"))
    assert B_MARK not in page.content.decode()
    response = alpha_organiser.post(
        reverse("admin:letters_letter_add"),
        {"campaign": two_campaigns["b"].pk, "title": "Sneaky", "slug": "sneaky"},
    )
    assert response.status_code == 200  # the form refuses the choice
    assert not Letter.objects.filter(slug="sneaky").exists()
    assert not PaperSheet.objects.exists()


def test_a_staff_member_on_no_team_sees_no_campaign(roles, two_campaigns, django_user_model):
    user = django_user_model.objects.create_user("loner", password="x", is_staff=True)
    user.groups.add(roles["Organisers"])
    client = Client()
    client.force_login(user)
    response = client.get(reverse("admin:letters_letter_changelist"))
    assert response.status_code == 200
    assert "Alpha letter" not in response.content.decode()
    assert B_MARK not in response.content.decode()


def test_a_superuser_sees_every_campaign(admin_client, two_campaigns):
    response = admin_client.get(reverse("admin:letters_letter_changelist"))
    assert "Alpha letter" in response.content.decode()
    assert B_MARK in response.content.decode()


def test_a_campaign_started_by_an_organiser_is_theirs_to_organise(alpha_organiser):
    response = alpha_organiser.post(
        reverse("admin:campaign_campaign_add"),
        {
            "title": "Charlie",
            "slug": "charlie",
            "summary": "A third campaign",
            **{
                f"{prefix}-{field}": value
                for prefix in ("demands", "events", "resources", "team")
                for field, value in (("TOTAL_FORMS", 0), ("INITIAL_FORMS", 0))
            },
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    member = CampaignMember.objects.get(campaign__slug="charlie")
    assert member.user == alpha_organiser.user and member.role == Role.ORGANISER


def test_the_queues_letter_filter_lists_the_teams_letters_without_reading_signatures(
    alpha_moderator, two_campaigns
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("admin:signatories_signatory_changelist")
    with CaptureQueriesContext(connection) as queries:
        response = alpha_moderator.get(url)
    cl = response.context["cl"]
    (letters,) = [spec for spec in cl.filter_specs if spec.title == "letter"]
    assert [c["display"] for c in letters.choices(cl)][1:] == ["Alpha letter"]
    # Django's own related filter reads every signature's letter (a DISTINCT over the table).
    assert not any("DISTINCT" in q["sql"] for q in queries.captured_queries)
    chosen = alpha_moderator.get(url, {"queue": "all", "letter__id__exact": "nonsense"})
    assert chosen.status_code == 200

"""The bot-wave pages (clusters, preview, one decision, undo) and the switch that pauses signing."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from signatories.models import ModerationAction, ModerationEntry, Signatory, SigningPause
from signatories.pause import signing_pause_current
from signatories.services.waves import wave_decide
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import sign_data, sign_url
from tests.signatories.wave_data import BOT_DOMAIN, build_wave

pytestmark = pytest.mark.django_db


def waves_url(letter, **query):
    url = reverse("admin:signatories_waves_letter", args=[letter.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def preview_links(html):
    """The preview links on the clusters page, in page order, unescaped."""
    return [
        link.replace("&amp;", "&")
        for link in re.findall(
            r'href="(/admin/signatories/signatory/waves/\d+/preview/[^"]+)"', html
        )
    ]


def hidden_fields(html):
    return dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))


@pytest.fixture
def wave(post_letter):
    real, bots = build_wave(post_letter)
    return post_letter, set(real), set(bots)


def statuses(pks):
    return dict(Signatory.objects.filter(pk__in=pks).values_list("pk", "status"))


def test_a_wave_of_500_bots_among_500_real_signatures_is_found_rejected_and_undone(
    moderator_client, wave
):
    letter, real, bots = wave
    before = {**statuses(real), **statuses(bots)}

    # The clusters: the wave's network address leads, its 500 names among the samples.
    page = moderator_client.get(waves_url(letter))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Read <strong>1000</strong> signatures" in html
    kinds = {kind.kind: kind for kind in page.context["kinds"]}
    address = kinds["address"].clusters[0]
    assert address.size == 500 and {row.pk for row in address.rows} == bots
    assert "from one network address" not in address.signs  # it is one
    assert address.signs[0] == "one name shape" and address.signs[1].startswith("within")
    assert kinds["shape"].clusters[0].size == 500
    # A burst holds the wave, and the odd real signer who signed in those minutes.
    burst = {row.pk for row in kinds["burst"].clusters[0].rows}
    assert len(bots & burst) > 490 and len(burst - bots) < 5  # a quiet first minute aside
    domain = kinds["domain"].clusters[0]
    assert domain.size == 500 and domain.signs[0] == "from one network address"
    assert "@" not in html and BOT_DOMAIN not in html  # a moderator sees no address, no domain

    # The preview says what will change, and changes nothing.
    link = preview_links(html)[0]
    assert "decision=reject" in link and "kind=address" in link
    preview = moderator_client.get(link)
    assert preview.status_code == 200
    text = preview.content.decode()
    assert "<strong>500</strong> signatures will be rejected" in text
    assert "250 now awaiting a decision" in text and "250 now not confirmed by e-mail yet" in text
    assert "250 of them are on the public list now and will leave it" in text
    assert {**statuses(real), **statuses(bots)} == before

    # One decision rejects the wave and leaves every real signature as it was.
    done = moderator_client.post(link.split("?")[0], hidden_fields(text))
    assert done.status_code == 302 and done["Location"].endswith("#decisions")
    assert set(statuses(bots).values()) == {"rejected"}
    assert statuses(real) == {pk: before[pk] for pk in real}
    action = ModerationAction.objects.get(letter=letter)
    assert action.decision == "reject" and action.count == 500
    assert action.moderator == moderator_client.user
    assert ModerationEntry.objects.filter(action=action).count() == 500
    assert "from one network address" in action.note and BOT_DOMAIN not in action.note

    # The page now: the wave is gone from the clusters, the decision is listed with its undo.
    after = moderator_client.get(waves_url(letter)).content.decode()
    assert "500 signatures rejected, in one decision" in after
    assert "Read <strong>500</strong> signatures" in after
    undo_url = reverse("admin:signatories_wave_undo", args=[action.pk])
    assert undo_url in after

    # Someone approves one of the wave meanwhile: the undo leaves it alone, and says so.
    one = min(bots)
    moderator_client.post(
        reverse("admin:signatories_signatory_changelist") + "?queue=all",
        {"action": "approve", "_selected_action": [one]},
    )
    assert statuses([one]) == {one: "approved"}
    ask = moderator_client.get(undo_url).content.decode()
    assert "<strong>499</strong> signatures will go back" in ask
    assert "<strong>1</strong> was decided on since by someone else" in ask
    undone = moderator_client.post(undo_url, follow=True).content.decode()
    assert "Undone: 499 signatures back as before" in undone
    assert "1 decided on since by someone else was left alone" in undone
    assert {**statuses(real), **statuses(bots - {one})} == {
        pk: status for pk, status in before.items() if pk != one
    }
    assert statuses([one]) == {one: "approved"}
    undo = ModerationAction.objects.get(undoes=action)
    assert undo.decision == "undo" and undo.count == 499 and "left alone" in undo.note
    # Undone once: the page offers it no more, and pressing again changes nothing.
    assert undo_url not in moderator_client.get(waves_url(letter)).content.decode()
    again = moderator_client.post(undo_url, follow=True).content.decode()
    assert "undone already" in again
    assert ModerationAction.objects.filter(undoes=action).count() == 1


def test_holding_a_cluster_takes_it_off_a_post_moderated_list_and_the_undo_puts_it_back(
    moderator_client, wave
):
    letter, _real, bots = wave
    link = next(
        link
        for link in preview_links(moderator_client.get(waves_url(letter)).content.decode())
        if "decision=hold" in link and "kind=shape" in link
    )
    text = moderator_client.get(link).content.decode()
    assert "will be held for a decision" in text
    moderator_client.post(link.split("?")[0], hidden_fields(text))
    held = Signatory.objects.filter(pk__in=bots)
    assert set(held.values_list("status", "suspicion")) == {("pending", "wave")}
    assert not Signatory.objects.filter(pk__in=bots).published().exists()
    action = ModerationAction.objects.get(decision="hold")
    assert set(action.entries.values_list("from_suspicion", flat=True)) == {""}
    moderator_client.post(reverse("admin:signatories_wave_undo", args=[action.pk]))
    assert set(held.values_list("suspicion", flat=True)) == {""}
    assert Signatory.objects.filter(pk__in=bots).published().count() == 250


def test_a_preview_that_is_stale_decides_nothing_and_shows_the_cluster_again(
    moderator_client, wave
):
    letter, _real, bots = wave
    link = preview_links(moderator_client.get(waves_url(letter)).content.decode())[0]
    fields = hidden_fields(moderator_client.get(link).content.decode())
    Signatory.objects.filter(pk=min(bots)).update(status="rejected")  # decided meanwhile
    response = moderator_client.post(link.split("?")[0], fields)
    assert response.status_code == 409
    assert "changed after you looked" in response.content.decode()
    assert not ModerationAction.objects.filter(letter=letter).exists()


@pytest.mark.parametrize(
    "query",
    [
        "",
        "decision=approve&kind=address&key=x&since=2026-01-01T00:00Z&upto=1",
        "decision=reject&kind=address&key=x&since=not-a-date&upto=1",
        "decision=reject&kind=address&key=x&since=2026-01-01T00:00Z&upto=%00",
        # Well formed, but no such moment; a digit int() does not read.
        "decision=reject&kind=address&key=x&since=2024-13-01T00:00&upto=1",
        "decision=reject&kind=address&key=x&since=2026-01-01T00:00Z&upto=%C2%B2",
    ],
)
def test_a_broken_preview_address_is_a_clear_400(moderator_client, letter, query):
    url = reverse("admin:signatories_wave_preview", args=[letter.pk]) + "?" + query
    response = moderator_client.get(url)
    assert response.status_code == 400
    assert "Start again from the clusters" in response.content.decode()


def test_an_undo_of_no_such_decision_is_a_404(moderator_client):
    for action_id in ["²", "٣", "99999"]:
        url = reverse("admin:signatories_wave_undo", args=[action_id])
        assert moderator_client.get(url).status_code == 404


def test_a_cluster_gone_since_is_a_404_that_says_so(moderator_client, letter):
    url = reverse("admin:signatories_wave_preview", args=[letter.pk])
    query = "?decision=reject&kind=address&key=nothing&since=2026-01-01T00:00Z&upto=1"
    response = moderator_client.get(url + query)
    assert response.status_code == 404
    assert "not there any more" in response.content.decode()


@pytest.mark.parametrize(
    "since", ["2999-01-01T00:00", "yesterday", "\x00", "9" * 10_000, "2024-13-01T00:00"]
)
def test_a_bad_window_falls_back_to_the_last_day_with_a_message(moderator_client, letter, since):
    response = moderator_client.get(waves_url(letter), {"since": since})
    assert response.status_code == 200


def test_an_organiser_sees_the_domain_a_moderator_never_does(organiser_client, wave):
    letter, _, _ = wave
    html = organiser_client.get(waves_url(letter)).content.decode()
    assert f"@{BOT_DOMAIN}" in html
    assert "real20.0@" not in html and "@gmail.com" in html  # domains only, never an address


def test_the_clusters_page_costs_the_same_queries_at_any_size(
    moderator_client, post_letter, django_assert_max_num_queries
):
    build_wave(post_letter, bots=20, real=20)
    moderator_client.get(waves_url(post_letter))  # the team and session settle in
    with django_assert_max_num_queries(12) as small:
        moderator_client.get(waves_url(post_letter))
    build_wave(post_letter, bots=400, real=400, seed=3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        moderator_client.get(waves_url(post_letter))


def test_the_window_reads_no_more_than_its_bound(moderator_client, post_letter, monkeypatch):
    from signatories import waves

    monkeypatch.setattr(waves, "WINDOW_ROWS", 100)
    build_wave(post_letter, bots=150, real=150)
    html = moderator_client.get(waves_url(post_letter)).content.decode()
    assert "Read <strong>100</strong> signatures" in html and "the newest 100 only" in html


def test_another_campaigns_letter_and_decision_are_404(roles, django_user_model):
    from django.test import Client

    from teams.services import team_member_set

    mine, theirs = LetterFactory(), LetterFactory()
    user = django_user_model.objects.create_user("aigerim", password="x", is_staff=True)
    user.groups.add(roles["Moderators"])
    team_member_set(campaign=mine.campaign, user=user, role="moderator")
    client = Client()
    client.force_login(user)
    bots = [SignatoryFactory(letter=theirs, status="pending").pk for _ in range(5)]
    boss = django_user_model.objects.create_superuser("boss", password="x")
    action = wave_decide(letter=theirs, pks=bots, decision="reject", moderator=boss, note="x")
    assert client.get(waves_url(mine)).status_code == 200
    assert client.get(waves_url(theirs)).status_code == 404
    preview = reverse("admin:signatories_wave_preview", args=[theirs.pk])
    assert client.get(preview).status_code == 404
    undo = reverse("admin:signatories_wave_undo", args=[action.pk])
    assert client.get(undo).status_code == 404
    assert client.post(undo).status_code == 404
    assert set(statuses(bots).values()) == {"rejected"}


def test_the_letter_page_and_the_signatures_list_link_to_the_bot_waves(organiser_client, letter):
    page = organiser_client.get(reverse("admin:letters_letter_change", args=[letter.pk]))
    assert waves_url(letter) in page.content.decode()
    listing = organiser_client.get(reverse("admin:signatories_signatory_changelist"))
    assert reverse("admin:signatories_waves") in listing.content.decode()
    chooser = organiser_client.get(reverse("admin:signatories_waves"))
    assert chooser.status_code == 302 and chooser["Location"] == waves_url(letter)


def test_the_decisions_record_links_to_its_undo(admin_client, letter, admin_user):
    pks = [SignatoryFactory(letter=letter, status="pending").pk for _ in range(5)]
    action = wave_decide(letter=letter, pks=pks, decision="reject", moderator=admin_user, note="n")
    page = admin_client.get(reverse("admin:signatories_moderationaction_change", args=[action.pk]))
    assert reverse("admin:signatories_wave_undo", args=[action.pk]) in page.content.decode()


# The pause of signing.

SWITCH = reverse("admin:signatories_signingpause_switch")
PAUSES = reverse("admin:signatories_signingpause_changelist")


def test_a_superuser_pauses_signing_and_the_sign_view_stops_then_restarts(
    admin_client, client, letter
):
    page = admin_client.get(PAUSES)
    assert "Pause signing on every letter" in page.content.decode()
    message = "Signing is paused while we deal with fake names. Back tonight."
    response = admin_client.post(SWITCH, {"message": message})
    assert response.status_code == 302
    record = SigningPause.objects.get()
    assert record.paused and record.message == message and record.changed_at
    assert record.changed_by.username == "admin"

    # Every letter page shows the message and no form; a POST to sign stores nothing.
    other = LetterFactory()
    for each in (letter, other):
        html = client.get(each.get_absolute_url()).content.decode()
        assert message in html and 'name="email"' not in html
    refused = client.post(sign_url(letter), sign_data(email="new@example.net"))
    assert refused.status_code == 409 and message in refused.content.decode()
    assert not Signatory.objects.exists()

    # Lifted: the form is back and signing works.
    admin_client.post(SWITCH, {"paused": "no"})
    assert SigningPause.objects.count() == 2 and not signing_pause_current().paused
    html = client.get(letter.get_absolute_url()).content.decode()
    assert message not in html and 'name="email"' in html
    signed = client.post(sign_url(letter), sign_data(email="new@example.net"))
    assert signed.status_code == 302
    assert Signatory.objects.filter(letter=letter).count() == 1
    record_page = admin_client.get(PAUSES).content.decode()
    assert "Paused" in record_page and "Resumed" in record_page


def test_a_pause_needs_its_message(admin_client):
    response = admin_client.post(SWITCH, {"message": "   "})
    assert response.status_code == 400
    assert not SigningPause.objects.exists()
    assert admin_client.post(SWITCH, {"message": "x" * 10_000}).status_code == 400
    assert admin_client.get(SWITCH).status_code == 405


def test_organisers_and_moderators_cannot_flip_it_unless_given_the_permission(
    organiser_client, moderator_client
):
    assert organiser_client.get(PAUSES).status_code == 403
    assert organiser_client.post(SWITCH, {"message": "Stop"}).status_code == 403
    assert moderator_client.post(SWITCH, {"message": "Stop"}).status_code == 403
    assert not SigningPause.objects.exists()
    organiser_client.user.user_permissions.add(Permission.objects.get(codename="pause_signing"))
    assert organiser_client.post(SWITCH, {"message": "Stop"}).status_code == 302
    assert signing_pause_current().paused


def test_the_bot_wave_page_shows_the_pause(moderator_client, admin_client, letter):
    admin_client.post(SWITCH, {"message": "Paused for a wave."})
    html = moderator_client.get(waves_url(letter)).content.decode()
    assert "Paused" in html and "Paused for a wave." in html


def test_with_several_letters_the_moderator_chooses_one(moderator_client):
    first, second = LetterFactory(title="First letter"), LetterFactory(title="Second letter")
    LetterFactory(title="A draft", status="draft")
    page = moderator_client.get(reverse("admin:signatories_waves"))
    html = page.content.decode()
    assert page.status_code == 200
    assert waves_url(first) in html and waves_url(second) in html and "A draft" not in html
    chosen = moderator_client.get(reverse("admin:signatories_waves"), {"letter": second.pk})
    assert chosen["Location"] == waves_url(second)

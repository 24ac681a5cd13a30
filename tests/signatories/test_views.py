"""Signing through the form, and the confirm, withdraw and erase pages."""

import re
import time
from unittest import mock

import pytest
from django.core.cache import caches
from django.urls import reverse

from letters.services.lifecycle import letter_transition
from signatories.models import Signatory
from tests.factories import EventFactory, LetterFactory, SignatoryFactory
from tests.helpers import link_path, sign_data, sign_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed(client, on_commit, mailoutbox):
    """A letter signed through the web form; returns (letter, the confirmation mail)."""

    def _signed(**letter_fields):
        letter = LetterFactory(**letter_fields)
        with on_commit():
            client.post(sign_url(letter), sign_data(name="Жанат Мырынбаев"))
        return letter, mailoutbox[-1]

    return _signed


def test_supporter_journey_on_a_post_moderated_letter(client, signed):
    letter, mail = signed(moderation="post")
    assert "Жанат Мырынбаев" not in client.get(letter.get_absolute_url()).content.decode()

    asked = client.get(link_path(mail, "confirm"))  # what a mail scanner also fetches
    assert asked.status_code == 200
    assert "Confirm my signature</button>" in asked.content.decode()
    assert Signatory.objects.get().confirmed_at is None
    confirmed = client.post(link_path(mail, "confirm"))  # the button

    assert confirmed.status_code == 200
    assert "Your name is now on the letter" in confirmed.content.decode()
    page = client.get(letter.get_absolute_url())
    assert "Жанат Мырынбаев" in page.content.decode()
    assert page.context["count"] == 1


def test_pre_moderated_confirmation_says_an_organiser_checks_first(client, signed):
    letter, mail = signed(moderation="pre")

    confirmed = client.post(link_path(mail, "confirm"))

    assert "An organiser will check" in confirmed.content.decode()
    assert client.get(letter.get_absolute_url()).context["count"] == 0
    Signatory.objects.update(status=Signatory.Status.APPROVED)
    assert client.get(letter.get_absolute_url()).context["count"] == 1


def test_following_the_confirmation_link_twice_is_harmless(client, signed):
    _, mail = signed()
    client.post(link_path(mail, "confirm"))
    confirmed_at = Signatory.objects.get().confirmed_at

    for again in (client.get(link_path(mail, "confirm")), client.post(link_path(mail, "confirm"))):
        assert again.status_code == 409
        assert "Already confirmed" in again.content.decode()
    assert Signatory.objects.get().confirmed_at == confirmed_at


def test_expired_link_is_a_410_that_says_how_to_get_a_new_one(client, signed):
    _, mail = signed()
    with mock.patch("django.core.signing.time.time", return_value=time.time() + 30 * 86400):
        response = client.get(link_path(mail, "confirm"))
    assert response.status_code == 410
    assert "sign the letter again" in response.content.decode()
    assert Signatory.objects.get().confirmed_at is None


@pytest.mark.parametrize("token", ["garbage", "1.abc:1abc:abc", "%00", "x" * 5000])
def test_forged_links_are_a_400(client, signed, token):
    signed()
    response = client.get(f"/s/confirm/{token}/")
    assert response.status_code == 400
    assert "This link is not valid" in response.content.decode()
    assert client.get(f"/s/withdraw/{token}/").status_code == 400
    assert client.post(f"/s/withdraw/{token}/").status_code == 400
    assert Signatory.objects.get().confirmed_at is None


def test_withdraw_asks_first_then_withdraws_once(client, signed):
    letter, mail = signed(moderation="post")
    client.post(link_path(mail, "confirm"))
    path = link_path(mail, "withdraw")

    asked = client.get(path)
    assert asked.status_code == 200
    assert Signatory.objects.get().withdrawn_at is None  # a GET (or a mail scanner) changes nothing

    done = client.post(path)
    assert done.status_code == 200
    assert "has been withdrawn" in done.content.decode()
    page = client.get(letter.get_absolute_url())
    assert page.context["count"] == 0
    assert "Жанат" not in page.content.decode()

    assert client.post(path).status_code == 409
    assert client.get(path).status_code == 409


def test_confirm_after_withdrawal_does_not_bring_the_name_back(client, signed):
    letter, mail = signed(moderation="post")
    client.post(link_path(mail, "withdraw"))

    response = client.post(link_path(mail, "confirm"))

    assert response.status_code == 409
    assert client.get(link_path(mail, "confirm")).status_code == 409
    assert client.get(letter.get_absolute_url()).context["count"] == 0


def test_repeat_signature_gives_exactly_the_same_response(client, letter, on_commit, mailoutbox):
    with on_commit():
        first = client.post(sign_url(letter), sign_data(email="ada@example.net"))
    with on_commit():
        second = client.post(sign_url(letter), sign_data(email="ADA@example.NET"))

    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert first.content == second.content
    assert Signatory.objects.count() == 1
    assert mailoutbox[1].subject.startswith("You have already signed")


def test_sign_redirects_to_the_thank_you_page(client, letter, mailoutbox, on_commit):
    with on_commit():
        response = client.post(sign_url(letter), sign_data(consents_to_updates="on"))

    assert response.status_code == 302
    thanks_url = reverse("letters:thanks", kwargs={"slug": letter.slug})
    assert response["Location"] == f"{thanks_url}?shown=full#main"  # the display choice just made
    signatory = Signatory.objects.get()
    assert signatory.consents_to_updates is True
    assert len(mailoutbox) == 1
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200
    assert "check your e-mail" in thanks.content.decode().lower()


def test_invalid_form_is_a_400_with_messages_next_to_the_fields(client, letter):
    response = client.post(sign_url(letter), sign_data(name="", email="nope"))

    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"name", "email"}
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="nope"' in html
    assert not Signatory.objects.exists()


def test_get_on_the_sign_url_goes_back_to_the_letter(client, letter):
    response = client.get(sign_url(letter))
    assert response.status_code == 302
    assert response["Location"] == letter.get_absolute_url()


# The sign request under load: one query, and the database has the last word on closing.


@pytest.mark.django_db(transaction=True)  # autocommit, as in production: no savepoints
def test_a_sign_request_is_one_insert_once_the_letter_is_cached(
    client, letter, database_tasks, shared_cache, django_assert_num_queries
):
    """The letter comes from the cache and the first signature of a burst queued the drain."""
    assert client.post(sign_url(letter), sign_data(email="first@example.net")).status_code == 302
    with django_assert_num_queries(1) as queries:
        response = client.post(sign_url(letter), sign_data(email="second@example.net"))
    assert response.status_code == 302
    assert queries.captured_queries[0]["sql"].startswith("INSERT")
    assert Signatory.objects.count() == 2


def test_a_letter_closed_after_it_was_cached_takes_no_more_names(client, letter):
    assert client.post(sign_url(letter), sign_data(email="first@example.net")).status_code == 302
    cached = caches["process"].get(f"letter-lean:{letter.slug}")
    assert cached.is_open  # what the next request will use

    letter_transition(letter=letter, to_status=letter.Status.CLOSED)
    response = client.post(sign_url(letter), sign_data(email="late@example.net"))

    assert response.status_code == 409
    assert "closed" in response.content.decode().lower()
    assert list(Signatory.objects.values_list("email", flat=True)) == ["first@example.net"]


def test_a_reopened_letter_takes_names_at_once(client, letter):
    letter_transition(letter=letter, to_status=letter.Status.CLOSED)
    assert client.post(sign_url(letter), sign_data(email="a@example.net")).status_code == 409

    letter_transition(letter=letter, to_status=letter.Status.OPEN)
    assert client.post(sign_url(letter), sign_data(email="a@example.net")).status_code == 302
    assert Signatory.objects.count() == 1


def test_a_repeat_reads_the_row_back_and_changes_nothing(client, letter):
    client.post(sign_url(letter), sign_data(email="ada@example.net", name="Ada Lovelace"))
    client.post(sign_url(letter), sign_data(email="ADA@example.net", name="Someone Else"))
    assert list(Signatory.objects.values_list("name", flat=True)) == ["Ada Lovelace"]


def test_head_works_on_public_pages_and_never_confirms(client, letter, on_commit, mailoutbox):
    event = EventFactory(campaign=letter.campaign)
    for url in [
        "/",
        letter.campaign.get_absolute_url(),
        letter.get_absolute_url(),
        event.get_ics_url(),
    ]:
        assert client.head(url).status_code == 200, url
    with on_commit():
        client.post(sign_url(letter), sign_data())
    assert client.head(link_path(mailoutbox[0], "confirm")).status_code == 200
    assert Signatory.objects.get().confirmed_at is None


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
        client.post(link_path(mailoutbox[0], "confirm"))
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


def test_a_form_sent_twice_is_refused_the_second_time(client, letter, on_commit, mailoutbox):
    data = sign_data()
    with on_commit():
        first = client.post(sign_url(letter), data)
    with on_commit():
        second = client.post(sign_url(letter), {**data, "email": "someone.else@example.net"})
    assert first.status_code == 302
    assert second.status_code == 409
    assert "This form has been sent already" in second.content.decode()
    assert Signatory.objects.count() == 1 and len(mailoutbox) == 1


def test_a_form_left_open_too_long_comes_back_fresh(client, letter, on_commit, mailoutbox):
    from signatories.abuse import form_stamp

    old = form_stamp(time.time() - 13 * 3600)
    response = client.post(sign_url(letter), sign_data(rendered=old))
    assert response.status_code == 400
    html = response.content.decode()
    assert "This form was open for a long time" in html
    fresh = re.search(r'name="rendered" value="([^"]+)"', html).group(1)
    assert fresh != old
    assert not Signatory.objects.exists()
    with on_commit():
        again = client.post(sign_url(letter), sign_data(rendered=fresh))
    assert again.status_code == 302
    assert [m.to for m in mailoutbox] == [["ada@example.net"]]  # a person, not a bot


def test_a_rejected_form_opens_at_a_summary_that_links_each_field(client, letter):
    page = client.get(letter.get_absolute_url()).content.decode()
    assert 'action="/letters/' in page and '/sign/#form-errors"' in page
    response = client.post(sign_url(letter), sign_data(name="", email="bob@example"))
    html = response.content.decode()
    assert response.status_code == 400
    summary = html[
        html.index('id="form-errors"') : html.index("</ul>", html.index('id="form-errors"'))
    ]
    assert "autofocus" in html[html.index("<div", html.index("error-summary") - 60) :][:200]
    assert 'href="#id_name"' in summary and 'href="#id_email"' in summary
    assert "Enter a valid email address." in summary


def test_a_withdrawn_signer_who_signs_again_can_restore_the_same_signature(
    client, on_commit, mailoutbox
):
    letter = LetterFactory(moderation="post")
    with on_commit():
        client.post(sign_url(letter), sign_data(email="back@example.net"))
    client.post(link_path(mailoutbox[0], "confirm"))
    client.post(link_path(mailoutbox[0], "withdraw"))
    first = Signatory.objects.get()
    assert client.get(letter.get_absolute_url()).context["count"] == 0

    with on_commit():
        client.post(sign_url(letter), sign_data(email="BACK@example.net"))
    notice = mailoutbox[-1]
    assert "/s/restore/" in notice.body and "/s/confirm/" not in notice.body
    path = link_path(notice, "restore")
    asked = client.get(path)
    assert asked.status_code == 200 and Signatory.objects.get().withdrawn_at is not None
    done = client.post(path)
    assert done.status_code == 200 and "Your signature is back" in done.content.decode()
    restored = Signatory.objects.get()
    assert (restored.pk, restored.created_at, restored.withdrawn_at) == (
        first.pk,
        first.created_at,
        None,
    )
    assert client.get(letter.get_absolute_url()).context["count"] == 1
    assert client.post(path).status_code == 409  # nothing more to restore


def test_each_choice_is_told_what_happens_to_the_name(client, letter, on_commit, mailoutbox):
    with on_commit():
        response = client.post(sign_url(letter), sign_data(display="hidden"))
    assert "your name is not published" in client.get(response["Location"]).content.decode()
    assert "your name will not be published" in mailoutbox[0].body
    asked = client.get(link_path(mailoutbox[0], "confirm")).content.decode()
    assert "your name will not be published" in asked
    Signatory.objects.update(status="approved")
    done = client.post(link_path(mailoutbox[0], "confirm")).content.decode()
    assert "Your signature is now counted. As you asked, your name is not published." in done
    assert "Your name is now on the letter" not in done


@pytest.mark.parametrize("ready", [True, False])
def test_a_kazakh_signer_reads_the_title_in_kazakh_where_a_translation_is_ready(
    client, on_commit, mailoutbox, ready
):
    from letters.models import LetterTranslation

    letter = LetterFactory(title="Open letter to the Foreign Secretary")
    LetterTranslation.objects.create(
        letter=letter,
        language="kk",
        title="Сыртқы істер министріне ашық хат",
        salutation="Құрметті министр,",
        body="Мәтін.",
        closing="Құрметпен,",
        is_ready=ready,
    )
    title = "Сыртқы істер министріне ашық хат" if ready else "Open letter to the Foreign Secretary"
    with on_commit():
        client.post(sign_url(letter), sign_data(), HTTP_ACCEPT_LANGUAGE="kk")
    mail = mailoutbox[-1]
    assert title in mail.subject and title in mail.body
    page = client.get(link_path(mail, "confirm"), HTTP_ACCEPT_LANGUAGE="kk").content.decode()
    assert f"«{title}»" in page and '<html lang="kk">' in page
    assert ("Мәтін." in page) == ready and ("This is a translation" in page) is False
    assert ("Бұл — аударма" in page) == ready
    english = client.get(link_path(mail, "confirm"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "“Open letter to the Foreign Secretary”" in english  # the original, in English


@pytest.mark.parametrize(
    ("field", "value", "language", "message"),
    [
        ("affiliation", "dana.private@example.org", "en", "This looks like an e-mail address"),
        ("name", "erin.private@example.org", "en", "This looks like an e-mail address"),
        ("affiliation", "Ақтау, aigul＠mail.kz", "kk", "электрондық пошта мекенжайына ұқсайды"),
        ("name", "ivan@mail.ru", "ru", "похоже на адрес электронной почты"),
    ],
)
def test_an_address_typed_where_it_would_be_published_is_refused(
    client, letter, on_commit, mailoutbox, field, value, language, message
):
    with on_commit():
        response = client.post(
            sign_url(letter), sign_data(**{field: value}), HTTP_ACCEPT_LANGUAGE=language
        )
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html and 'id="form-errors"' in html
    assert not Signatory.objects.exists() and mailoutbox == []


def test_a_handle_or_an_at_sign_in_an_affiliation_is_fine(client, letter, on_commit):
    with on_commit():
        response = client.post(
            sign_url(letter), sign_data(affiliation="@UniteTheUnion, Unite @ work")
        )
    assert response.status_code == 302
    assert Signatory.objects.get().affiliation == "@UniteTheUnion, Unite @ work"


def test_the_signer_sees_their_own_change_at_once_though_the_page_is_cached(
    client, signed, settings
):
    """Confirming, then withdrawing: the page the result links to is never the stale copy."""
    settings.LETTER_PAGE_CACHE_SECONDS = 60
    letter, mail = signed(moderation="post")
    assert "Жанат Мырынбаев" not in client.get(letter.get_absolute_url()).content.decode()

    confirmed = client.post(link_path(mail, "confirm")).content.decode()
    link = re.search(r'href="([^"]+)#names">See the letter', confirmed)[1]
    assert link == f"{letter.get_absolute_url()}?updated=1"
    page = client.get(link).content.decode()
    assert "Жанат Мырынбаев" in page and '<span class="count-figure" id="count">1</span>' in page

    withdrawn = client.post(link_path(mail, "withdraw")).content.decode()
    link = re.search(r'href="([^"]+)">Back to the letter', withdrawn)[1]
    page = client.get(link).content.decode()
    assert (
        "Жанат Мырынбаев" not in page and '<span class="count-figure" id="count">0</span>' in page
    )


def test_a_signer_who_asked_not_to_be_named_is_told_so_on_withdrawing_and_restoring(client):
    from django.utils import timezone

    from signatories import tokens

    hidden = SignatoryFactory(display="hidden")
    withdraw = client.get(f"/s/withdraw/{tokens.make_token(hidden, tokens.WITHDRAW)}/")
    html = withdraw.content.decode()
    assert "Your name was never published." in html and "Keep my signature</a>" in html
    assert "Keep my name on the letter" not in html

    hidden.withdrawn_at = timezone.now()
    hidden.save()
    url = f"/s/restore/{tokens.make_token(hidden, tokens.RESTORE)}/"
    asked = client.get(url).content.decode()
    assert "your name will not be published" in asked
    assert "the details in the form you sent again are not used" in asked
    restored = client.post(url).content.decode()
    assert "Your signature is back" in restored and "your name will not be published" in restored
    hidden.refresh_from_db()
    assert hidden.withdrawn_at is None


def test_a_confirm_link_opened_after_withdrawing_says_withdrawn_not_confirmed(client, signed):
    _letter, mail = signed()
    client.post(link_path(mail, "confirm"))
    client.post(link_path(mail, "withdraw"))
    html = client.get(link_path(mail, "confirm")).content.decode()
    assert "This signature was withdrawn" in html and "Already confirmed" not in html


def test_the_quick_message_is_shown_once(client, letter, on_commit):
    from signatories.abuse import form_stamp

    with on_commit():
        response = client.post(sign_url(letter), sign_data(rendered=form_stamp(time.time())))
    assert response.content.decode().count("That was very quick") == 1

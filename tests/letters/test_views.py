"""What the letter page shows: text, names, translations, notables, the reply, sharing."""

import datetime
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from letters.models import LetterTranslation, Reply
from letters.pdf import render_letter_pdf
from letters.services.lifecycle import letter_transition
from signatories.models import Signatory
from tests.factories import EventFactory, LetterFactory, SignatoryFactory
from tests.helpers import admin_signed_pdf, pdf_text, sign_data, sign_url, tiny_pdf

pytestmark = pytest.mark.django_db


def test_letter_page_shows_the_text_the_count_and_the_form(client, letter):
    SignatoryFactory(letter=letter, name="Owen Jones", affiliation="columnist")
    SignatoryFactory(letter=letter, name="Hidden Pending", status="pending")

    response = client.get(letter.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert letter.salutation in html
    assert "1. To act;" in html and "2. To act again." in html
    assert response.context["count"] == 1
    assert "Owen Jones" in html and "(<bdi>columnist</bdi>)" in html
    assert "Hidden Pending" not in html
    assert 'name="email"' in html and "csrfmiddlewaretoken" in html


def test_organisations_come_first_then_individuals_by_surname(client, letter):
    SignatoryFactory(letter=letter, name="Zoe Adams")
    SignatoryFactory(letter=letter, name="Amy Zephyr")
    SignatoryFactory(letter=letter, name="Zebra Union Branch", kind="organisation")

    response = client.get(letter.get_absolute_url())

    names = [s.name for s in response.context["page"]]
    assert names == ["Zebra Union Branch", "Zoe Adams", "Amy Zephyr"]


def test_the_list_is_paginated(client, letter, settings):
    settings.SIGNATORIES_PER_PAGE = 2
    for surname in ["Able", "Baker", "Carter", "Dunn", "Ellis"]:
        SignatoryFactory(letter=letter, name=f"Sam {surname}")

    last = client.get(letter.get_absolute_url(), {"last": "1"})
    nonsense = client.get(letter.get_absolute_url(), {"after": "abc"})

    assert [s.name for s in last.context["page"]] == ["Sam Dunn", "Sam Ellis"]
    assert last.context["count"] == 5
    assert "before=i.1.Dunn%2C+Sam#names" in last.content.decode()  # the page before Dunn
    assert nonsense.status_code == 200
    assert [s.name for s in nonsense.context["page"]] == ["Sam Able", "Sam Baker"]
    assert "The first 2 of 5 names" in nonsense.content.decode()


def test_query_count_is_the_same_for_10_and_100000_signatories(
    client, letter, django_assert_num_queries, django_assert_max_num_queries
):
    """Measured on a render (the page cache emptied): the names are one page off an index."""
    from django.core.cache import caches

    from signatories.pause import signing_pause_current

    def fill(start, stop):
        rows = []
        for i in range(start, stop):
            row = Signatory(
                letter=letter,
                name=f"Person{i} Zernova",
                affiliation="member of Unite",
                email=f"p{i}@example.net",
                status=Signatory.Status.APPROVED,
                confirmed_at=letter.created_at,
            )
            row.set_sort_name()
            rows.append(row)
        Signatory.objects.bulk_create(rows, batch_size=5000)

    fill(0, 10)
    signing_pause_current()  # in the shared cache from the first request on, as in production
    # The letter, its counts, translations, replies, updates, the names, and the
    # timeline's lifecycle steps and milestones.
    with django_assert_max_num_queries(9) as small:
        client.get(letter.get_absolute_url())
    fill(10, 100_000)
    caches["process"].clear()
    signing_pause_current()
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(letter.get_absolute_url())
    assert response.context["count"] == 100_000
    assert response.context["page"].has_next


def test_draft_letters_are_not_public(client):
    letter = LetterFactory(status="draft")
    assert client.get(letter.get_absolute_url()).status_code == 404
    assert client.post(sign_url(letter), sign_data()).status_code == 404


@pytest.mark.parametrize("status", ["closed", "delivered"])
def test_closed_letter_page_explains_and_refuses_signatures(client, status):
    letter = LetterFactory(status=status)

    page = client.get(letter.get_absolute_url())
    post = client.post(sign_url(letter), sign_data())

    assert page.status_code == 200
    assert 'name="email"' not in page.content.decode()
    assert post.status_code == 409
    says = {"closed": "This letter is closed to new signatures", "delivered": "has been handed in"}
    assert says[status] in post.content.decode()
    assert not Signatory.objects.exists()


def test_hand_in_details_are_shown(client):
    event = EventFactory(place="Foreign Office")
    letter = LetterFactory(campaign=event.campaign, hand_in_event=event, hand_in_date="2013-12-16")
    html = client.get(letter.get_absolute_url()).content.decode()
    assert "16 December 2013" in html and "Foreign Office" in html


def test_unknown_letter_is_a_404(client, db):
    assert client.get("/letters/no-such-letter/").status_code == 404


@pytest.fixture
def translated():
    letter = LetterFactory(
        title="Open letter to the Foreign Secretary",
        salutation="Dear Mr Hague,",
        body="We urge you:\n\n1. To act.",
        moderation="post",
    )
    LetterTranslation.objects.create(
        letter=letter,
        language="ru",
        title="Открытое письмо министру иностранных дел",
        salutation="Уважаемый г-н Хейг!",
        body="Мы призываем вас:\n\n1. Действовать.",
        closing="С уважением,",
        is_ready=True,
    )
    LetterTranslation.objects.create(
        letter=letter,
        language="kk",
        title="Сыртқы істер министріне ашық хат",
        salutation="Құрметті Хейг мырза!",
        body="Біз сізді шақырамыз:\n\n1. Әрекет етуге.",
        closing="Құрметпен,",
        is_ready=True,
    )
    return letter


class TestTranslations:
    @pytest.mark.parametrize(
        ("accept", "title", "salutation", "note"),
        [
            (
                "ru",
                "Открытое письмо министру иностранных дел",
                "Уважаемый г-н Хейг!",
                "Это перевод.",
            ),
            ("kk", "Сыртқы істер министріне ашық хат", "Құрметті Хейг мырза!", "Бұл — аударма."),
        ],
    )
    def test_each_language_gets_its_version_and_is_told_it_is_a_translation(
        self, client, translated, accept, title, salutation, note
    ):
        html = client.get(
            translated.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=accept
        ).content.decode()
        assert title in html and salutation in html and note in html
        assert "Dear Mr Hague," not in html
        assert f'lang="{accept}">{title}' in html
        assert "?version=en" in html  # a switch back to the original

    def test_the_original_on_request_and_by_default(self, client, translated):
        original = client.get(
            translated.get_absolute_url(), {"version": "en"}, HTTP_ACCEPT_LANGUAGE="ru"
        ).content.decode()
        assert "Dear Mr Hague," in original and "Это перевод." not in original
        english = client.get(translated.get_absolute_url()).content.decode()
        assert "Dear Mr Hague," in english and "(original)" in english

    def test_signing_on_any_version_adds_to_the_one_count(
        self, client, translated, on_commit, mailoutbox
    ):
        for number, accept in enumerate(["ru", "kk"], start=1):
            with on_commit():
                response = client.post(
                    sign_url(translated),
                    sign_data(email=f"{accept}@example.net"),
                    HTTP_ACCEPT_LANGUAGE=accept,
                    REMOTE_ADDR=f"198.51.100.{number}",
                )
            assert response.status_code == 302
        Signatory.objects.update(confirmed_at="2026-01-01T00:00Z")
        assert Signatory.objects.filter(letter=translated).count() == 2
        for accept in ["ru", "kk", "en"]:
            page = client.get(translated.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=accept)
            assert page.context["count"] == 2

    def test_an_unready_translation_is_never_served(self, client, translated):
        LetterTranslation.objects.filter(language="kk").update(is_ready=False)
        for params in ({}, {"version": "kk"}):
            html = client.get(
                translated.get_absolute_url(), params, HTTP_ACCEPT_LANGUAGE="kk"
            ).content.decode()
            assert "Сыртқы істер министріне ашық хат" not in html
            assert "Dear Mr Hague," in html
            assert 'href="?version=kk"' not in html

    def test_the_pdf_holds_the_original_and_can_append_translations(self, translated):
        SignatoryFactory(letter=translated, name="Ada Lovelace")
        plain, appended = io.BytesIO(), io.BytesIO()
        render_letter_pdf(translated, plain)
        render_letter_pdf(translated, appended, with_translations=True)

        text = pdf_text(plain.getvalue())
        assert "Dear Mr Hague," in text and "Ada Lovelace" in text
        assert "Уважаемый" not in text
        full = pdf_text(appended.getvalue())
        assert full.index("Ada Lovelace") < full.index("Уважаемый г-н Хейг!")
        assert "Құрметті Хейг мырза!" in full
        assert "the original text above is the letter handed in" in full

    def test_admin_edits_translations_inline(self, admin_client, translated):
        page = admin_client.get(reverse("admin:letters_letter_change", args=[translated.pk]))
        assert page.status_code == 200
        assert "Открытое письмо министру иностранных дел" in page.content.decode()
        pdf = admin_signed_pdf(admin_client, translated, translations=True)
        assert "Уважаемый" in pdf_text(pdf)


class TestNotables:
    def test_notables_lead_the_page_in_sort_order_as_they_chose(self, client, admin_client):
        letter = LetterFactory()
        mp = SignatoryFactory(letter=letter, name="Ian Lavery MP", affiliation="Labour")
        sec = SignatoryFactory(
            letter=letter, name="David Hopper", affiliation="Durham Miners", display="name"
        )
        hidden = SignatoryFactory(letter=letter, name="Hidden Notable", display="hidden")
        SignatoryFactory(letter=letter, name="Aaron Aardvark")

        admin_client.post(
            reverse("admin:signatories_signatory_changelist") + "?queue=all",
            {"action": "mark_notable", "_selected_action": [mp.pk, sec.pk, hidden.pk]},
        )

        html = client.get(letter.get_absolute_url()).content.decode()
        top = html[html.index('<span class="fw-semibold">Signed by</span>') :]
        top = top[: top.index("</p>")]
        assert top.index("David Hopper") < top.index("Ian Lavery MP")
        assert "(<bdi>Labour</bdi>)" in top
        assert "Durham Miners" not in top and "Hidden Notable" not in top
        assert "and others" in top
        pdf = io.BytesIO()
        render_letter_pdf(letter, pdf)
        text = pdf_text(pdf.getvalue())
        assert text.index("Aaron Aardvark") < text.index("David Hopper")  # the PDF order stays

    def test_unmark(self, admin_client, letter):
        signatory = SignatoryFactory(letter=letter, is_notable=True)
        admin_client.post(
            reverse("admin:signatories_signatory_changelist") + "?queue=all",
            {"action": "unmark_notable", "_selected_action": [signatory.pk]},
        )
        signatory.refresh_from_db()
        assert signatory.is_notable is False


class TestReply:
    def test_organisers_record_the_reply_and_the_page_shows_it(self, client, admin_client):
        letter = LetterFactory(status="closed")
        SignatoryFactory(letter=letter)
        letter_transition(letter=letter, to_status="delivered")
        url = reverse("admin:letters_letter_change", args=[letter.pk])
        form = admin_client.get(url).context["adminform"].form
        data = {k: v for k, v in form.initial.items() if v is not None}
        data.update(
            {
                "campaign": letter.campaign_id,
                "translations-TOTAL_FORMS": "0",
                "translations-INITIAL_FORMS": "0",
                "replies-TOTAL_FORMS": "1",
                "replies-INITIAL_FORMS": "0",
                "replies-0-received_on": "2014-01-20",
                "replies-0-sender": "Foreign and Commonwealth Office",
                "replies-0-text": "The Foreign Secretary has noted your concerns.",
                "replies-0-upload": SimpleUploadedFile(
                    "reply.pdf", tiny_pdf("We have noted your concerns."), "application/pdf"
                ),
                "status_changes-TOTAL_FORMS": "0",
                "status_changes-INITIAL_FORMS": str(letter.status_changes.count()),
            }
        )
        data["status_changes-TOTAL_FORMS"] = data["status_changes-INITIAL_FORMS"]
        for i, change in enumerate(letter.status_changes.all()):
            data[f"status_changes-{i}-id"] = change.pk
            data[f"status_changes-{i}-letter"] = letter.pk
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.context["adminform"].form.errors

        reply = Reply.objects.get()
        assert bytes(reply.pdf).startswith(b"%PDF-")
        html = client.get(letter.get_absolute_url()).content.decode()
        assert "The reply from Foreign and Commonwealth Office" in html
        assert "The Foreign Secretary has noted your concerns." in html
        served = client.get(
            reverse("letters:reply_pdf", kwargs={"slug": letter.slug, "pk": reply.pk})
        )
        assert "We have noted your concerns." in pdf_text(served.content)

    def test_a_non_pdf_upload_is_refused(self):
        from letters.admin.inlines import ReplyForm

        form = ReplyForm(
            data={"received_on": "2014-01-20", "sender": "FCO", "text": "x"},
            files={"upload": SimpleUploadedFile("evil.pdf", b"<html>not a pdf</html>")},
        )
        assert not form.is_valid()
        assert form.errors["upload"] == ["This file is not a PDF."]

    def test_no_pdf_no_link(self, client, letter):
        reply = Reply.objects.create(
            letter=letter, received_on="2014-01-20", sender="FCO", text="x"
        )
        url = reverse("letters:reply_pdf", kwargs={"slug": letter.slug, "pk": reply.pk})
        assert client.get(url).status_code == 404
        assert url not in client.get(letter.get_absolute_url()).content.decode()


@pytest.fixture
def shared(letter):
    SignatoryFactory(letter=letter, name="Visible Name", email="visible@example.net")
    SignatoryFactory(letter=letter, name="Hidden Name", display="hidden")
    SignatoryFactory(letter=letter, name="Pending Name", status="pending")
    return letter


def test_the_count_endpoint_gives_the_title_and_count_and_nothing_else(client, shared):
    response = client.get(reverse("letters:count_json", kwargs={"slug": shared.slug}))

    assert response.status_code == 200
    assert json.loads(response.content) == {"title": shared.title, "count": 2, "status": "open"}
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "max-age=30" in response["Cache-Control"]


def test_the_embed_shows_only_title_and_count_and_may_be_framed(client, shared):
    response = client.get(reverse("letters:embed", kwargs={"slug": shared.slug}))

    html = response.content.decode()
    assert response.status_code == 200
    assert shared.title in html and '<div class="count">2</div>' in html
    for secret in ["Visible Name", "Hidden Name", "Pending Name", "@example"]:
        assert secret not in html
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert (
        "frame-ancestors 'none'" in client.get(shared.get_absolute_url())["Content-Security-Policy"]
    )


def test_a_flood_of_views_does_not_reach_the_database(client, shared, django_assert_num_queries):
    url = reverse("letters:count_json", kwargs={"slug": shared.slug})
    embed = reverse("letters:embed", kwargs={"slug": shared.slug})
    client.get(url)
    with django_assert_num_queries(0):
        for _ in range(20):
            client.get(url)
            client.get(embed)


def test_the_cached_count_catches_up(client, shared, settings):
    from django.core.cache import cache

    url = reverse("letters:count_json", kwargs={"slug": shared.slug})
    client.get(url)
    SignatoryFactory(letter=shared)
    assert json.loads(client.get(url).content)["count"] == 2  # within the cache window
    cache.clear()  # the window passes
    assert json.loads(client.get(url).content)["count"] == 3


def test_drafts_have_no_count_or_embed(client):
    draft = LetterFactory(status="draft")
    assert client.get(reverse("letters:count_json", kwargs={"slug": draft.slug})).status_code == 404
    assert client.get(reverse("letters:embed", kwargs={"slug": draft.slug})).status_code == 404


def test_the_letter_page_has_social_tags_and_share_links_that_load_nothing(client, shared):
    html = client.get(shared.get_absolute_url()).content.decode()

    assert f'<meta property="og:title" content="{shared.title}">' in html
    assert '<meta property="og:description" content="2 signatures so far.' in html
    assert '<meta name="twitter:card" content="summary">' in html
    assert "https://t.me/share/url?url=http%3A//testserver/letters/" in html
    assert "<script" not in html
    assert "embed/" in html and "count.json" in html


@pytest.mark.parametrize(
    ("target", "days", "expected"),
    [
        (10, 12, ["20% of the 10 signatures wanted.", "12 days left until the hand-in"]),
        (1, 1, ["The target of 1 signature is reached.", "The hand-in is tomorrow"]),
        (None, 0, ["The hand-in is today."]),
        (None, -3, ["has passed."]),
    ],
)
def test_progress_toward_the_target_and_days_left(client, target, days, expected):
    letter = LetterFactory(
        target_count=target, hand_in_date=timezone.localdate() + datetime.timedelta(days=days)
    )
    SignatoryFactory.create_batch(2, letter=letter)
    html = client.get(letter.get_absolute_url()).content.decode()
    for text in expected:
        assert text in html
    # Past the target the bar is full, never above its max (that is invalid HTML).
    value = min(2, target) if target else None
    assert (f'<progress class="letter-progress" value="{value}"' in html) == bool(target)


def test_a_delivered_letter_says_so_first_everywhere(client):
    from letters.services.lifecycle import HandIn, letter_deliver
    from tests.factories import EventFactory

    event = EventFactory(place="Foreign Office", address="King Charles Street")
    letter = LetterFactory(
        status="closed", campaign=event.campaign, hand_in_event=event, target_count=100
    )
    SignatoryFactory.create_batch(3, letter=letter)
    when = timezone.make_aware(datetime.datetime(2013, 12, 16, 11, 0))
    letter_deliver(
        letter=letter,
        hand_in=HandIn(at=when, place="Foreign Office", by="Unite and RMT delegation"),
        recorded_by=None,
    )

    html = client.get(letter.get_absolute_url()).content.decode()
    top = html[: html.index('class="letter-text')]
    assert (
        "It was handed in on <strong>16 December 2013</strong> at 11:00, at Foreign Office" in top
    )
    assert "Carried in by: Unite and RMT delegation." in top
    assert "To be handed in" not in html and "<progress" not in html and "wanted" not in html
    assert 'name="email"' not in html
    sha = letter.delivery.sha256
    assert f"{sha[:8]} {sha[8:16]}" in html and "sha256sum" in html

    home = client.get("/").content.decode()
    assert "Handed in at Foreign Office on 16 December 2013." in home
    assert "To be handed in" not in home
    campaign = client.get(letter.campaign.get_absolute_url()).content.decode()
    assert "Handed in at Foreign Office on 16 December 2013." in campaign
    count = json.loads(
        client.get(reverse("letters:count_json", kwargs={"slug": letter.slug})).content
    )
    assert count["status"] == "delivered" and count["handed_in"]["place"] == "Foreign Office"
    assert count["handed_in"]["at"].startswith("2013-12-16T11:00")
    embed = client.get(reverse("letters:embed", kwargs={"slug": letter.slug})).content.decode()
    assert "Handed in at Foreign Office on 16 December 2013." in embed
    assert "Read and sign" not in embed


def test_a_closed_letter_says_so_under_its_title_and_when_it_goes_in(client):
    from tests.factories import EventFactory

    event = EventFactory(place="Foreign Office")
    letter = LetterFactory(
        status="closed",
        campaign=event.campaign,
        hand_in_event=event,
        hand_in_date=datetime.date(2013, 12, 16),
    )
    html = client.get(letter.get_absolute_url()).content.decode()
    state = "Closed to new signatures. To be handed in at Foreign Office on 16 December 2013."
    assert state in html[: html.index('class="letter-text')]
    assert "This letter is closed to new signatures" in html


def test_the_embed_and_the_count_vary_by_the_readers_language(client, letter):
    for name in ("letters:embed", "letters:count_json"):
        response = client.get(reverse(name, kwargs={"slug": letter.slug}))
        vary = {v.strip() for v in response["Vary"].split(",")}
        assert {"Cookie", "Accept-Language"} <= vary, name


@pytest.mark.parametrize(
    ("language", "grouped", "list_says"),
    [
        ("en", "1,234,567", "The first 1 of 1,234,567 names"),
        ("ru", "1\xa0234\xa0567", "Первые 1 из 1\xa0234\xa0567 имён"),
        ("kk", "1\xa0234\xa0567", "1\xa0234\xa0567 есімнің алғашқы 1"),
    ],
)
def test_a_big_count_is_grouped_as_the_readers_language_writes_it(
    client, letter, monkeypatch, settings, language, grouped, list_says
):
    from letters import selectors

    settings.SIGNATORIES_PER_PAGE = 1
    SignatoryFactory.create_batch(2, letter=letter)  # a second page: the list says how many
    letter.target_count = 2_000_000
    letter.save()
    monkeypatch.setattr(selectors, "letter_signature_counts", lambda letter: (1_234_567, 0))
    page = client.get(letter.get_absolute_url(), HTTP_ACCEPT_LANGUAGE=language)
    assert f'id="count">{grouped}</span>' in page.content.decode()
    target = "2,000,000" if language == "en" else "2\xa0000\xa0000"
    assert target in page.content.decode()
    # In a translated sentence too: the plural is chosen by the number, shown grouped.
    assert list_says in page.content.decode()
    embed = client.get(
        reverse("letters:embed", kwargs={"slug": letter.slug}), HTTP_ACCEPT_LANGUAGE=language
    )
    assert f'<div class="count">{grouped}</div>' in embed.content.decode()
    # The machine-readable count stays a number.
    count = client.get(reverse("letters:count_json", kwargs={"slug": letter.slug}))
    assert count.json()["count"] == 1_234_567

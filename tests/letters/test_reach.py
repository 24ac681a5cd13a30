"""Translations that share one list, notable signatories, and the addressee's reply."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from letters.models import LetterTranslation, Reply
from letters.pdf import render_letter_pdf
from letters.services.lifecycle import letter_transition
from signatories.models import Signatory
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import pdf_text, sign_data, sign_url, tiny_pdf

pytestmark = pytest.mark.django_db


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
        pdf = admin_client.get(
            reverse("admin:letters_letter_pdf", args=[translated.pk]) + "?translations=1"
        )
        assert "Уважаемый" in pdf_text(b"".join(pdf.streaming_content))


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

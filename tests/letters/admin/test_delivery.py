"""The admin's signed-letter PDF, contact export and numbered paper sheets."""

import hashlib

import pytest
from django.urls import reverse

from letters.models import SignedPdf, SignedPdfPart
from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import pdf_reader_and_pages as pdf_text

pytestmark = pytest.mark.django_db


class TestAdminDelivery:
    def test_the_signed_pdf_is_made_by_a_worker_then_downloaded(
        self, admin_client, letter, django_capture_on_commit_callbacks
    ):
        SignatoryFactory(letter=letter, name="Ada Lovelace")
        page = admin_client.get(reverse("admin:letters_letter_change", args=[letter.pk]))
        assert "Signed letter (PDF)" in page.content.decode()

        url = reverse("admin:letters_letter_signed_pdf", args=[letter.pk])
        assert "None made yet." in admin_client.get(url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):  # the task, run at once here
            asked = admin_client.post(
                reverse("admin:letters_letter_signed_pdf_prepare", args=[letter.pk])
            )
        assert asked["Location"] == url
        html = admin_client.get(url).content.decode()
        signed = SignedPdf.objects.get(letter=letter)
        assert (signed.state, signed.signature_count, signed.with_translations) == (
            "ready",
            1,
            False,
        )
        assert "Ready</strong>: 1 signature on 1 page" in html
        download = reverse("admin:letters_letter_signed_pdf_file", args=[letter.pk, signed.pk])
        assert download in html
        response = admin_client.get(download)
        assert response["Content-Type"] == "application/pdf"
        data = b"".join(response.streaming_content)
        assert int(response["Content-Length"]) == len(data) == signed.size
        assert hashlib.sha256(data).hexdigest() == signed.sha256
        assert "Ada Lovelace" in pdf_text(data)[1][0]

        action = admin_client.post(
            reverse("admin:letters_letter_changelist"),
            {"action": "download_pdf", "_selected_action": [letter.pk]},
        )
        assert action["Location"] == url
        two = admin_client.post(
            reverse("admin:letters_letter_changelist"),
            {"action": "download_pdf", "_selected_action": [letter.pk, LetterFactory().pk]},
            follow=True,
        )
        assert "Select exactly one letter." in two.content.decode()

    def test_while_a_pdf_is_made_the_page_says_how_far(self, admin_client, letter):
        from django.core.cache import cache

        queued = SignedPdf.objects.create(letter=letter, state="making")
        cache.set(queued.progress_key, (5000, 12000))
        html = admin_client.get(
            reverse("admin:letters_letter_signed_pdf", args=[letter.pk])
        ).content.decode()
        assert "js/worker-progress.js" in html
        assert "Being made: 5,000 of 12,000 names laid out." in html
        assert '<progress max="12000" value="5000"' in html
        progress = reverse("admin:letters_letter_signed_pdf_progress", args=[letter.pk, queued.pk])
        assert progress in html
        assert admin_client.get(progress).json() == {
            "state": "making",
            "done": 5000,
            "total": 12000,
            "words": "Being made: 5,000 of 12,000 names laid out.",
        }

    def test_a_failed_pdf_says_why_and_another_can_be_asked_for(
        self, admin_client, letter, monkeypatch, django_capture_on_commit_callbacks
    ):
        from letters import fonts

        def missing():
            raise fonts.FontMissing("DejaVuSans.ttf is missing: install fonts-dejavu-core")

        monkeypatch.setattr("letters.pdf.register_fonts", missing)
        with django_capture_on_commit_callbacks(execute=True):
            admin_client.post(reverse("admin:letters_letter_signed_pdf_prepare", args=[letter.pk]))
        page = admin_client.get(reverse("admin:letters_letter_signed_pdf", args=[letter.pk]))
        assert "fonts-dejavu-core" in page.content.decode()
        assert SignedPdf.objects.get(letter=letter).state == "failed"

    def test_a_new_pdf_removes_the_ones_it_supersedes(self, letter):
        from letters.services.pdf_making import signed_pdf_make

        first = signed_pdf_make(signed=SignedPdf.objects.create(letter=letter))
        readers = signed_pdf_make(
            signed=SignedPdf.objects.create(letter=letter, with_translations=True)
        )
        second = signed_pdf_make(signed=SignedPdf.objects.create(letter=letter))
        assert set(SignedPdf.objects.values_list("pk", flat=True)) == {readers.pk, second.pk}
        assert not SignedPdfPart.objects.filter(signed_pdf_id=first.pk).exists()

    def test_export_action_needs_the_contact_permission(
        self, moderator_client, organiser_client, letter
    ):
        data = {"action": "export_contacts", "_selected_action": [letter.pk]}
        url = reverse("admin:letters_letter_changelist")
        assert organiser_client.post(url, data)["Content-Type"].startswith("text/csv")
        refused = moderator_client.post(url, data)
        assert not refused.get("Content-Type", "").startswith("text/csv")

    def test_paper_sheets_are_numbered_and_printed(self, organiser_client, letter):
        url = reverse("admin:letters_letter_sheets", args=[letter.pk])
        assert organiser_client.get(url).status_code == 200

        first = organiser_client.post(url, {"count": 3})
        second = organiser_client.post(url, {"count": 1})

        assert first["Content-Type"] == "application/pdf"
        _, pages = pdf_text(b"".join(first.streaming_content))
        assert len(pages) == 3
        assert [f"L{letter.pk}-000{n}" in page for n, page in enumerate(pages, start=1)] == [
            True
        ] * 3
        assert "Name (BLOCK LETTERS)" in pages[0]
        assert "E-mail (to contact you, not published)" in pages[0]
        assert "Send me updates" in pages[0]
        _, pages = pdf_text(b"".join(second.streaming_content))
        assert f"L{letter.pk}-0004" in pages[0]
        assert organiser_client.post(url, {"count": 0}).status_code == 400
        assert organiser_client.post(url, {"count": 1000}).status_code == 400

    def test_moderators_cannot_print_sheets(self, moderator_client, letter):
        assert (
            moderator_client.get(
                reverse("admin:letters_letter_sheets", args=[letter.pk])
            ).status_code
            == 403
        )

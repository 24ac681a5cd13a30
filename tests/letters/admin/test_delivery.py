"""The admin's signed-letter PDF, contact export and numbered paper sheets."""

import pytest
from django.urls import reverse

from tests.factories import LetterFactory, SignatoryFactory
from tests.helpers import pdf_reader_and_pages as pdf_text

pytestmark = pytest.mark.django_db


class TestAdminDelivery:
    def test_pdf_button_and_action(self, admin_client, letter):
        SignatoryFactory(letter=letter, name="Ada Lovelace")
        page = admin_client.get(reverse("admin:letters_letter_change", args=[letter.pk]))
        assert "Signed letter (PDF)" in page.content.decode()

        response = admin_client.get(reverse("admin:letters_letter_pdf", args=[letter.pk]))
        assert response["Content-Type"] == "application/pdf"
        assert "Ada Lovelace" in pdf_text(b"".join(response.streaming_content))[1][0]

        action = admin_client.post(
            reverse("admin:letters_letter_changelist"),
            {"action": "download_pdf", "_selected_action": [letter.pk]},
        )
        assert action["Content-Type"] == "application/pdf"
        two = admin_client.post(
            reverse("admin:letters_letter_changelist"),
            {"action": "download_pdf", "_selected_action": [letter.pk, LetterFactory().pk]},
            follow=True,
        )
        assert "Select exactly one letter." in two.content.decode()

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

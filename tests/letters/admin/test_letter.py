"""The letter's change page: lifecycle buttons and counts per status."""

import pytest
from django.urls import reverse

from letters.models import LetterStatusChange
from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db


def change_url(letter):
    return reverse("admin:letters_letter_change", args=[letter.pk])


def transition(client, letter, status):
    url = reverse("admin:letters_letter_transition", args=[letter.pk, status])
    response = client.post(url, follow=True)
    return response, [str(m) for m in response.context["messages"]] if response.context else []


class TestLifecycle:
    def test_buttons_follow_the_lifecycle_and_record_who(self, admin_client, admin_user):
        letter = LetterFactory(status="draft")
        page = admin_client.get(change_url(letter)).content.decode()
        assert "Open for signatures</button>" in page
        assert "Mark as delivered</button>" not in page

        for status in ["open", "closed", "delivered"]:
            response, notes = transition(admin_client, letter, status)
            assert response.redirect_chain == [(change_url(letter), 302)]
            assert notes == [f"The letter is now {dict(letter.Status.choices)[status].lower()}."]

        letter.refresh_from_db()
        assert letter.status == "delivered"
        assert (
            list(LetterStatusChange.objects.values_list("changed_by", flat=True))
            == [admin_user.pk] * 3
        )
        assert (
            "its status cannot change any more"
            in admin_client.get(change_url(letter)).content.decode()
        )

    def test_a_refused_transition_is_explained(self, admin_client):
        letter = LetterFactory(status="open")
        _, notes = transition(admin_client, letter, "delivered")
        _, nonsense = transition(admin_client, letter, "exploded")
        letter.refresh_from_db()
        assert letter.status == "open"
        assert notes == ["Close the letter to new signatures before marking it delivered."]
        assert nonsense == ["There is no letter status called “exploded”."]

    def test_transitions_need_post_and_change_permission(self, admin_client, moderator_client):
        letter = LetterFactory(status="draft")
        url = reverse("admin:letters_letter_transition", args=[letter.pk, "open"])
        assert admin_client.get(url).status_code == 405
        assert moderator_client.post(url).status_code == 403
        letter.refresh_from_db()
        assert letter.status == "draft"

    def test_unknown_letter_is_404(self, admin_client):
        assert admin_client.post("/admin/letters/letter/999/transition/open/").status_code == 404
        assert admin_client.get("/admin/letters/letter/abc/paper/").status_code == 404

    def test_change_page_counts_signatures_per_status_and_links_the_public_page(
        self, admin_client, letter
    ):
        SignatoryFactory.create_batch(3, letter=letter)
        SignatoryFactory.create_batch(2, letter=letter, status="pending")
        SignatoryFactory(letter=letter, status="rejected")
        SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
        SignatoryFactory(letter=letter, withdrawn_at="2026-01-01T00:00Z")
        html = admin_client.get(change_url(letter)).content.decode()
        assert "<strong>3</strong> published · 3 approved" in html
        assert "2 awaiting a decision</a> · 1 rejected · 1 not confirmed · 1 withdrawn" in html
        assert f'href="{letter.get_absolute_url()}"' in html

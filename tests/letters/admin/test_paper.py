"""Typing in the names from a paper sheet."""

import pytest
from django.urls import reverse

from signatories.models import Signatory

pytestmark = pytest.mark.django_db


def rows(*entries):
    data = {
        "paper_sheet": "S-0042",
        "rows-TOTAL_FORMS": "10",
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "200",
    }
    for i in range(10):
        name, affiliation, email, kind = (
            [*entries[i], "", "", ""][:4] if i < len(entries) else ("", "", "", "")
        )
        data.update(
            {
                f"rows-{i}-name": name,
                f"rows-{i}-affiliation": affiliation,
                f"rows-{i}-email": email,
                f"rows-{i}-kind": kind or "individual",
            }
        )
    return data


class TestTypingPage:
    def url(self, letter):
        return reverse("admin:letters_letter_paper", args=[letter.pk])

    def test_renders_with_ten_rows(self, organiser_client, letter):
        response = organiser_client.get(self.url(letter))
        assert response.status_code == 200
        assert response.content.decode().count('name="rows-') >= 40
        assert "E-mail (optional, never published)" in response.content.decode()

    def test_adds_typed_rows_as_approved_paper_signatures_once(self, organiser_client, letter):
        data = rows(
            ("ИВАН ПЕТРОВ", "КТР Казахстана", "ivan@example.org"),
            ("Unite Camden Branch", "", "", "organisation"),
            ("Neil Rothnie", "RMT, personal capacity"),
        )
        preview = organiser_client.post(self.url(letter), data)  # "Check these names"
        assert preview.status_code == 200
        assert 'value="Add 3 names"' in preview.content.decode()
        assert not Signatory.objects.exists()

        response = organiser_client.post(self.url(letter), {**data, "confirm": "1"}, follow=True)

        assert "Paper sign-ups: 3 added, 0 skipped" in response.content.decode()
        added = Signatory.objects.filter(letter=letter)
        assert added.count() == 3
        assert set(added.values_list("source", "status", "paper_sheet")) == {
            ("paper", "approved", "S-0042")
        }
        assert letter.signatories.published().count() == 3
        assert added.get(kind="organisation").name == "Unite Camden Branch"
        assert added.filter(name="Иван Петров").exists()  # typed in block capitals

        again = organiser_client.post(self.url(letter), {**data, "confirm": "1"}, follow=True)
        assert "0 added, 3 skipped as already on the letter" in again.content.decode()
        assert added.count() == 3

    def test_a_bad_row_saves_nothing_and_says_which(self, organiser_client, letter):
        data = rows(("Good Name", "", ""), ("Bad Mail", "", "bad@"), ("A" * 300, "", ""))
        response = organiser_client.post(self.url(letter), data)
        assert response.status_code == 400
        html = response.content.decode()
        assert "Enter a valid email address." in html
        assert "at most 200 characters" in html
        assert not Signatory.objects.exists()

    def test_moderators_do_not_see_it(self, moderator_client, letter):
        assert moderator_client.get(self.url(letter)).status_code == 403

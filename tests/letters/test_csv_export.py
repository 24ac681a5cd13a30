"""The staff CSV: contact permission only, streamed, formulas neutralised."""

import csv
import io

import pytest
from django.urls import reverse

from letters.csv_export import neutralise
from tests.factories import SignatoryFactory

pytestmark = pytest.mark.django_db


class TestCsvExport:
    def url(self, letter):
        return reverse("admin:letters_letter_csv", args=[letter.pk])

    def test_only_contact_permission_holders_export(self, moderator_client, letter):
        assert moderator_client.get(self.url(letter)).status_code == 403

    def test_bom_rows_and_neutralised_formulas_streamed(self, organiser_client, letter):
        SignatoryFactory(letter=letter, name='=HYPERLINK("http://evil")', email="a@example.net")
        SignatoryFactory(
            letter=letter, name="Иван Петров", affiliation="+7 union", email="b@example.net"
        )
        SignatoryFactory(letter=letter, name="Gone", withdrawn_at="2026-01-01T00:00Z")

        response = organiser_client.get(self.url(letter))

        assert response.status_code == 200
        assert response.streaming
        chunks = list(response.streaming_content)
        assert len(chunks) == 3  # header and one line per row, each sent as it is made
        body = b"".join(chunks).decode("utf-8")
        assert body.startswith("\ufeffname,organisation,email,")
        assert "'=HYPERLINK" in body and ",=HYPERLINK" not in body
        assert "'+7 union" in body
        assert "Иван Петров" in body and "b@example.net" in body
        assert "Gone" not in body
        assert "no-store" in response["Cache-Control"]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("=1+1", "'=1+1"),
            ("+44", "'+44"),
            ("-x", "'-x"),
            ("@SUM", "'@SUM"),
            ("\tx", "'\tx"),
            ("ok", "ok"),
        ],
    )
    def test_neutralise(self, value, expected):
        assert neutralise(value) == expected


def test_the_contacts_are_the_live_list_and_all_signatures_are_a_click_away(
    organiser_client, letter
):
    SignatoryFactory(letter=letter, name="Live One", consents_to_updates=True, display="name")
    SignatoryFactory(letter=letter, name="Rejected One", status="rejected")
    SignatoryFactory(letter=letter, name="Unconfirmed One", confirmed_at=None, status="pending")
    SignatoryFactory(letter=letter, name="Withdrawn One", withdrawn_at="2026-01-01T00:00Z")
    url = reverse("admin:letters_letter_csv", args=[letter.pk])

    def rows(response):
        text = b"".join(response.streaming_content).decode("utf-8-sig")
        return {row["name"]: row for row in csv.DictReader(io.StringIO(text))}

    live = rows(organiser_client.get(url))
    assert set(live) == {"Live One"}
    assert (live["Live One"]["on_public_list"], live["Live One"]["consents_to_updates"]) == (
        "name",
        "yes",
    )
    assert live["Live One"]["status"] == "approved"
    everything = organiser_client.get(url, {"all": "1"})
    assert "all-signatures" in everything["Content-Disposition"]
    assert set(rows(everything)) == {"Live One", "Rejected One", "Unconfirmed One", "Withdrawn One"}
    page = organiser_client.get(reverse("admin:letters_letter_change", args=[letter.pk]))
    assert f'href="{url}?all=1"' in page.content.decode()

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
        assert len(chunks) == 2  # the header, then a batch of rows, each sent as it is made
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


def test_a_big_export_decrypts_in_a_helper_process_and_reads_the_same(letter, monkeypatch):
    """The helper opens what this process opens, in order, and empty addresses stay empty."""
    from letters import csv_export

    SignatoryFactory(letter=letter, name="Ада Лавлейс", email="ada@example.net")
    SignatoryFactory(letter=letter, name="Paper Person", email="", source="paper")
    SignatoryFactory.create_batch(7, letter=letter)
    monkeypatch.setattr(csv_export, "BATCH", 4)  # three batches, two in flight at a time
    here = "".join(csv_export.csv_lines(letter, everything=True))
    monkeypatch.setattr(csv_export, "HELPER_FROM_ROWS", 0)
    spawned = []
    real = csv_export.decrypting

    def watched(*, in_helper):
        spawned.append(in_helper)
        return real(in_helper=in_helper)

    monkeypatch.setattr(csv_export, "decrypting", watched)
    helped = "".join(csv_export.csv_lines(letter, everything=True))
    assert spawned == [True]
    assert helped == here
    rows = list(csv.DictReader(io.StringIO(helped.lstrip("\ufeff"))))
    assert len(rows) == 9
    assert {r["email"] for r in rows if r["name"] in {"Ада Лавлейс", "Paper Person"}} == {
        "ada@example.net",
        "",
    }


def test_an_address_no_key_opens_stops_a_helped_export_with_the_keys_message(
    letter, monkeypatch, settings
):
    from letters import csv_export
    from signatories import crypto

    SignatoryFactory(letter=letter)  # sealed with the key of the moment
    settings.EMAIL_ENCRYPTION_KEYS = [crypto.Fernet.generate_key().decode()]  # removed too early
    monkeypatch.setattr(csv_export, "HELPER_FROM_ROWS", 0)
    with pytest.raises(crypto.UndecryptableAddress, match="EMAIL_ENCRYPTION_KEYS"):
        "".join(csv_export.csv_lines(letter))


def test_the_database_writes_each_cell_as_python_would(letter):
    """Times, yes/no and inert text are made by the database (letters/csv_export.py): the
    same cells as Python's isoformat and `neutralise` write, on SQLite and PostgreSQL."""
    import datetime as dt

    from letters import csv_export
    from signatories.models import Signatory

    moment = dt.datetime(2026, 11, 1, 23, 59, 59, 987654, tzinfo=dt.UTC)
    made = [
        SignatoryFactory(
            letter=letter,
            name=name,
            affiliation=affiliation,
            paper_sheet=sheet,
            consents_to_updates=consents,
            email=f"cell{n}@example.net",
            created_at=moment - dt.timedelta(days=n, microseconds=n),
            confirmed_at=moment if n % 2 else None,
            withdrawn_at=None,
        )
        for n, (name, affiliation, sheet, consents) in enumerate(
            [
                ("=SUM(A1)", "+union", "-3", True),
                ("@me", "\tTabbed", "\rback", False),
                ("Plain Жанна Қасымова", "", "", True),
                ("-dash", '=, quoted "too"', "A-7", False),
            ]
        )
    ]
    by_python = io.StringIO()
    writer = csv.writer(by_python)
    writer.writerow(csv_export.HEADER)
    for row in Signatory.objects.filter(pk__in=[s.pk for s in made]).order_by("created_at", "pk"):
        cells = []
        for _, field in csv_export.COLUMNS:
            value = getattr(row, field)
            if field in csv_export.TYPED:
                value = neutralise(value)
            elif field == "consents_to_updates":
                value = "yes" if value else "no"
            elif field.endswith("_at"):
                value = value.astimezone(dt.UTC).isoformat(timespec="seconds") if value else ""
            cells.append(value)
        writer.writerow(cells)
    exported = "".join(csv_export.csv_lines(letter, everything=True))
    assert exported == "\ufeff" + by_python.getvalue()

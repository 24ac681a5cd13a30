"""Paper rows as the preview and the import see them (signatories/paper.py)."""

import pytest

from signatories.models import Signatory
from signatories.paper import (
    ALREADY,
    LIKELY,
    READY,
    REFUSED,
    Row,
    check_rows,
    import_rows,
    parse_csv,
)
from tests.factories import SignatoryFactory

pytestmark = pytest.mark.django_db


def row(line, name, affiliation="", email="", kind="individual", updates=False):
    data = {
        "name": name,
        "affiliation": affiliation,
        "email": email,
        "kind": kind,
        "consents_to_updates": updates,
    }
    return Row(line=line, data=data)


def test_the_updates_column_reads_the_ways_people_tick_it():
    parsed = parse_csv(
        b"name,email,updates\nA,a@example.net,yes\nB,b@example.net,x\nC,c@example.net,N\n"
        b"D,d@example.net,\nE,e@example.net,maybe\n"
    )
    ticks = [r.data.get("consents_to_updates") for r in parsed.rows[:4]]
    assert ticks == [True, True, False, False]
    [bad] = parsed.invalid_rows
    assert bad.line == 6
    assert bad.errors == ["Updates: “maybe” is not yes or no (yes/no, y/n, 1/0, x)."]


def test_an_address_in_the_name_or_affiliation_column_is_refused_with_its_line():
    parsed = parse_csv(
        b"name,organisation,email\nAda,ada@example.net,ada@example.net\nBob,Unite,b@example.net\n"
    )
    [bad] = parsed.invalid_rows
    assert bad.line == 2 and "looks like an e-mail address" in bad.errors[0]
    assert [r.data["name"] for r in parsed.rows if r.ok] == ["Bob"]


def test_an_unknown_kind_is_refused_with_its_line_not_mapped():
    parsed = parse_csv(b"name,kind\nAda,person\nUnite,organization\n")
    [person, union] = parsed.rows
    assert person.line == 2 and "“person” is not a kind of signatory" in person.errors[0]
    assert union.ok and union.data["kind"] == "organisation"


def test_a_name_already_there_from_any_source_is_a_likely_duplicate(letter):
    web = SignatoryFactory(letter=letter, name="Mary O'Brien", affiliation="Unite")
    checked = check_rows(
        letter=letter,
        rows=[
            row(1, "MARY O’BRIEN", "  unite "),  # capitals, curly apostrophe, spacing
            row(2, "Mary O'Brien", "GMB"),  # another organisation: another person
            row(3, "Márya Obrien", "Unite"),  # not the same name
            row(4, "Ada Lovelace", "RMT"),
            row(5, "ada lovelace", "rmt"),  # the same as row 4
        ],
    )
    outcomes = [(c.outcome, c.duplicate_of, c.duplicate_line) for c in checked]
    assert outcomes == [
        (LIKELY, web, None),
        (READY, None, None),
        (READY, None, None),
        (READY, None, None),
        (LIKELY, None, 4),
    ]
    assert checked[0].name == "Mary O’Brien" and checked[0].in_capitals


def test_add_anyway_and_keep_capitals_are_per_line(letter):
    SignatoryFactory(letter=letter, name="Owen Jones", affiliation="columnist")
    rows = [row(1, "OWEN JONES", "Columnist"), row(2, "RMT SHOP STEWARDS")]
    summary = import_rows(letter=letter, rows=rows, add_anyway={1}, keep_capitals={2})
    assert (summary.added, summary.skipped) == (2, 0)
    assert set(Signatory.objects.filter(source="paper").values_list("name", flat=True)) == {
        "Owen Jones",
        "RMT SHOP STEWARDS",
    }
    assert Signatory.objects.filter(name="Owen Jones").count() == 2


def test_an_address_that_signed_is_already_there_and_cannot_be_forced(letter):
    SignatoryFactory(letter=letter, email="dana@example.net")
    [check] = check_rows(
        letter=letter, rows=[row(1, "Dana Ali", email="DANA@example.net")], add_anyway={1}
    )
    assert check.outcome == ALREADY
    summary = import_rows(letter=letter, rows=[row(1, "Dana Ali", email="dana@example.net")])
    assert (summary.added, summary.skipped) == (0, 1)


def test_an_unconfirmed_web_signature_is_confirmed_by_the_paper_form(letter):
    SignatoryFactory(letter=letter, email="dana@example.net", confirmed_at=None)
    [check] = check_rows(letter=letter, rows=[row(1, "Dana Ali", email="dana@example.net")])
    assert (check.outcome, check.confirms_web_signature) == (READY, True)


def test_an_address_a_batch_gives_twice_is_added_once_and_the_summary_says_so(letter):
    """The database keeps one signature per address; the preview says which row is skipped,
    and the summary counts only what was added."""
    rows = [
        row(2, "Paul Scott", "Unite", email="paul@example.net", updates=True),
        row(3, "Someone Else", email="PAUL@example.net"),
        row(4, "Ann Lee", email="ann@example.net"),
    ]
    checked = check_rows(letter=letter, rows=rows)
    assert [(c.outcome, c.duplicate_line) for c in checked] == [
        (READY, None),
        (ALREADY, 2),
        (READY, None),
    ]
    summary = import_rows(letter=letter, rows=rows)
    assert (summary.added, summary.skipped, summary.repeated) == (2, 1, 1)
    assert Signatory.objects.filter(letter=letter).count() == summary.added
    assert Signatory.objects.with_email("paul@example.net").get().name == "Paul Scott"


def test_a_row_not_added_leaves_its_address_to_the_next_row_that_gives_it(letter):
    SignatoryFactory(letter=letter, name="Owen Jones", affiliation="")
    rows = [
        row(2, "Owen Jones", email="o@example.net"),
        row(3, "Olive Stone", email="o@example.net"),
    ]
    checked = check_rows(letter=letter, rows=rows)
    assert [c.outcome for c in checked] == [LIKELY, READY]
    ticked = check_rows(letter=letter, rows=rows, add_anyway={2})
    assert [c.outcome for c in ticked] == [READY, ALREADY]


def test_consent_to_updates_is_kept_only_with_an_address(letter):
    import_rows(
        letter=letter,
        rows=[
            row(1, "With Mail", email="w@example.net", updates=True),
            row(2, "No Mail", updates=True),
        ],
    )
    consent = dict(Signatory.objects.values_list("name", "consents_to_updates"))
    assert consent == {"With Mail": True, "No Mail": False}


def test_the_summary_says_what_the_preview_said(letter):
    SignatoryFactory(letter=letter, name="Owen Jones", affiliation="")
    rows = [row(1, "Owen Jones"), row(2, "New Person"), Row(line=3, data={}, errors=["x"])]
    preview = [c.outcome for c in check_rows(letter=letter, rows=rows)]
    summary = import_rows(letter=letter, rows=rows)
    assert preview == [LIKELY, READY, REFUSED]
    assert str(summary).startswith("1 added, 1 skipped as already on the letter, 1 refused")
    assert "look like a name already on the letter" in str(summary)


def test_an_import_goes_batch_by_batch_and_says_how_far(letter, monkeypatch):
    from signatories import paper

    monkeypatch.setattr(paper, "IMPORT_BATCH", 3)
    rows = [row(n, f"Person{n} Name", email=f"p{n}@example.net" if n % 2 else "") for n in range(8)]
    seen = []
    summary = import_rows(letter=letter, rows=rows, progress=lambda done, total: seen.append(done))
    assert seen == [3, 6, 8]
    assert summary.added == 8
    stored = Signatory.objects.filter(letter=letter)
    assert stored.count() == 8
    assert set(stored.values_list("status", "source")) == {("approved", "paper")}
    assert stored.filter(confirmed_at__isnull=True).count() == 0
    assert {s.sort_name for s in stored} == {f"Name, Person{n}" for n in range(8)}
    assert stored.get(name="Person1 Name").email == "p1@example.net"  # encrypted, read back
    assert import_rows(letter=letter, rows=rows).added == 0  # the same file again adds nothing
    assert stored.count() == 8


def test_an_address_that_signs_online_after_the_preview_is_confirmed_not_doubled(
    letter, monkeypatch
):
    from signatories import paper

    real = paper.check_rows

    def meanwhile(**kwargs):
        checked = real(**kwargs)  # the preview as it was...
        SignatoryFactory(
            letter=letter, email="late@example.net", confirmed_at=None, status="pending"
        )
        return checked  # ...and the address signed online a moment later

    monkeypatch.setattr(paper, "check_rows", meanwhile)
    import_rows(letter=letter, rows=[row(1, "Late Signer", email="late@example.net", updates=True)])
    [stored] = Signatory.objects.with_email("late@example.net")
    assert (stored.source, stored.status) == ("web", "approved")
    assert stored.confirmed_at is not None and stored.consents_to_updates


def test_the_database_still_refuses_an_address_typed_as_a_name_in_a_bulk_insert(letter):
    from django.db import IntegrityError

    from signatories.services.entry import signatories_insert_many

    with pytest.raises(IntegrityError):
        signatories_insert_many(
            [{"letter_id": letter.pk, "name": "x@example.net", "sort_key": "1", "source": "paper"}]
        )


def test_a_bulk_insert_refused_midway_leaves_the_next_one_free_to_go(letter):
    """On PostgreSQL the rows pass through a temporary table: a refused batch takes it away."""
    from django.db import IntegrityError

    from signatories.services.entry import signatories_insert_many

    good = {"letter_id": letter.pk, "sort_key": "1", "source": "paper"}
    with pytest.raises(IntegrityError):
        signatories_insert_many([{**good, "name": "Fine"}, {**good, "name": "x@example.net"}])
    assert not Signatory.objects.filter(letter=letter).exists()

    sent = signatories_insert_many(
        [{**good, "name": "Айгүл Қасымова", "email": "aigul@example.kz"}, {**good, "name": "Ann"}]
    )
    assert sent == 2
    assert sorted(Signatory.objects.filter(letter=letter).values_list("name", flat=True)) == [
        "Ann",
        "Айгүл Қасымова",
    ]
    [stored] = Signatory.objects.with_email("aigul@example.kz")
    assert stored.email == "aigul@example.kz"


def test_a_bulk_insert_stores_each_value_as_typed(letter):
    """What COPY's text format gives meaning to (a backslash, \\N for NULL, quotes) and
    right-to-left text are stored exactly as typed, on either database."""
    from signatories.services.entry import signatories_insert_many

    names = ["O\\Neil", "\\N", 'Ann "Nan" D\'Arcy', "مريم الخطيب", "Ұлжан Әбілқасымова", "x" * 200]
    signatories_insert_many(
        [
            {
                "letter_id": letter.pk,
                "name": name,
                "affiliation": "\\.",
                "sort_key": "1",
                "source": "paper",
            }
            for name in names
        ]
    )
    stored = Signatory.objects.filter(letter=letter)
    assert sorted(stored.values_list("name", flat=True)) == sorted(names)
    assert set(stored.values_list("affiliation", flat=True)) == {"\\."}

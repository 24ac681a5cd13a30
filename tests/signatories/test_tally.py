"""The count journal (`Tally`): written by the database's triggers, equal to a COUNT at all times.

The triggers write the states of `States` in SQL (migration 0018); these
tests hold the two to each other on random histories of inserts, updates,
deletes, moderation changes and folds, on SQLite and on PostgreSQL.
"""

import threading

import pytest
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from letters.models import Letter
from signatories.models import Signatory, States, Tally
from signatories.selectors import signatory_counts
from signatories.services.tally import tallies_compact
from tests.factories import LetterFactory, SignatoryFactory

TRUTH = {
    "published": States.PUBLISHED,
    "hidden": States.PUBLISHED & States.HIDDEN,
    "awaiting": States.AWAITING_DECISION,
    "approved": States.APPROVED,
    "rejected": States.REJECTED,
    "unconfirmed": States.UNCONFIRMED,
    "withdrawn": States.WITHDRAWN,
    "suspect": States.HELD_AS_SUSPECT,
}


def counted(letter):
    """What a COUNT over the letter's signatures says, state by state."""
    return Signatory.objects.filter(letter=letter).aggregate(
        **{name: Count("pk", filter=condition) for name, condition in TRUTH.items()}
    )


STATUSES = st.sampled_from(Signatory.Status.values)
SUSPICIONS = st.sampled_from(Signatory.Suspicion.values)
DISPLAYS = st.sampled_from(Signatory.Display.values)
WHEN = st.sampled_from([None, "set"])

ROW = st.fixed_dictionaries(
    {
        "status": STATUSES,
        "suspicion": SUSPICIONS,
        "display": DISPLAYS,
        "confirmed_at": WHEN,
        "withdrawn_at": WHEN,
    }
)
# A change to any field the states read, to a random subset of rows.
CHANGE = st.one_of(
    st.tuples(st.just("status"), STATUSES),
    st.tuples(st.just("suspicion"), SUSPICIONS),
    st.tuples(st.just("display"), DISPLAYS),
    st.tuples(st.just("confirmed_at"), WHEN),
    st.tuples(st.just("withdrawn_at"), WHEN),
)
OPERATION = st.one_of(
    st.tuples(st.just("create"), st.integers(0, 1), st.lists(ROW, min_size=1, max_size=4)),
    st.tuples(st.just("update"), st.integers(0, 2), CHANGE),
    st.tuples(st.just("save"), st.integers(0, 10), CHANGE),
    st.tuples(st.just("delete"), st.integers(0, 2), st.none()),
    st.tuples(st.just("moderation"), st.integers(0, 1), st.sampled_from(Letter.Moderation.values)),
    st.tuples(st.just("compact"), st.none(), st.none()),
)


def _value(field, value):
    return timezone.now() if value == "set" else value


def _subset(selector):
    """Rows picked by an id pattern, so updates and deletes touch some rows, not all."""
    rows = Signatory.objects.all()
    if selector == 0:
        return rows
    ids = list(rows.order_by("pk").values_list("pk", flat=True))
    return rows.filter(pk__in=ids[selector - 1 :: 2])


def apply(operation, letters):
    kind, argument, detail = operation
    if kind == "create":
        Signatory.objects.bulk_create(
            SignatoryFactory.build(
                letter=letters[argument],
                **{field: _value(field, value) for field, value in row.items()},
            )
            for row in detail
        )
    elif kind == "update":
        field, value = detail
        _subset(argument).update(**{field: _value(field, value)})
    elif kind == "save":
        field, value = detail
        row = Signatory.objects.order_by("pk")[argument : argument + 1].first()
        if row is not None:
            setattr(row, field, _value(field, value))
            row.save()
    elif kind == "delete":
        _subset(argument).delete()
    elif kind == "moderation":
        letter = letters[argument]
        letter.moderation = detail
        letter.save(update_fields=["moderation"])
    elif kind == "compact":
        tallies_compact()


@pytest.mark.django_db
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(operations=st.lists(OPERATION, max_size=12))
def test_the_journal_always_equals_a_count(operations):
    """Any history of writes, through any path: the sums are what COUNT says, at every step."""
    with transaction.atomic():
        letters = [LetterFactory(moderation="pre"), LetterFactory(moderation="post")]
        for operation in operations:
            apply(operation, letters)
            for letter in letters:
                assert signatory_counts(letter=letter) == counted(letter), operation
        transaction.set_rollback(True)


def test_a_letter_starts_at_zero(letter):
    assert set(signatory_counts(letter=letter).values()) == {0}


def test_folding_leaves_one_row_per_letter_and_the_same_sums(db):
    first, second = LetterFactory(moderation="post"), LetterFactory()
    for letter in (first, second):
        for status in Signatory.Status.values:
            SignatoryFactory(letter=letter, status=status)
    before = {letter: signatory_counts(letter=letter) for letter in (first, second)}
    assert Tally.objects.filter(letter=first).count() > 1

    tallies_compact()

    assert Tally.objects.filter(letter=first).count() == 1
    assert Tally.objects.filter(letter=second).count() == 1
    assert {letter: signatory_counts(letter=letter) for letter in (first, second)} == before
    assert tallies_compact() == 0  # nothing left to fold


def test_folding_drops_a_deleted_letters_rows(db):
    letter = LetterFactory(status=Letter.Status.DRAFT)
    SignatoryFactory(letter=letter)
    letter_id = letter.pk
    Signatory.objects.filter(letter=letter).delete()
    letter.delete()
    assert Tally.objects.filter(letter_id=letter_id).exists()

    tallies_compact()

    assert not Tally.objects.filter(letter_id=letter_id).exists()


def test_a_letter_turning_post_moderated_publishes_what_awaits(db):
    letter = LetterFactory(moderation="pre")
    SignatoryFactory.create_batch(3, letter=letter, status=Signatory.Status.PENDING)
    SignatoryFactory(letter=letter, status=Signatory.Status.PENDING, suspicion="rate")
    assert signatory_counts(letter=letter)["published"] == 0

    Letter.objects.filter(pk=letter.pk).update(moderation="post")

    assert signatory_counts(letter=letter)["published"] == 3 == counted(letter)["published"]


@pytest.mark.postgres
def test_a_bulk_statement_writes_one_journal_row_on_postgres(db):
    if connection.vendor != "postgresql":
        pytest.skip("statement-level triggers are PostgreSQL's")
    letter = LetterFactory()
    SignatoryFactory.create_batch(50, letter=letter, status=Signatory.Status.PENDING)
    tallies_compact()
    rows = Tally.objects.count()

    Signatory.objects.filter(letter=letter).update(status=Signatory.Status.APPROVED)

    assert Tally.objects.count() == rows + 1
    assert signatory_counts(letter=letter)["approved"] == 50


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_folds_beside_writes_lose_and_double_nothing():
    """Two folders and two writers at once, each in its own transaction: the sums stay exact."""
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transactions need PostgreSQL")
    letter = LetterFactory(moderation="post")
    errors = []

    def write(offset):
        try:
            for n in range(40):
                SignatoryFactory(letter=letter, email=f"w{offset}-{n}@example.net")
                Signatory.objects.filter(letter=letter, pk__lte=n + offset).update(
                    status=Signatory.Status.REJECTED if n % 2 else Signatory.Status.APPROVED
                )
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    def fold():
        try:
            for _ in range(40):
                tallies_compact()
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=write, args=(o,)) for o in (0, 1000)]
    threads += [threading.Thread(target=fold) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert signatory_counts(letter=letter) == counted(letter)
    tallies_compact()
    assert Tally.objects.filter(letter=letter).count() == 1
    assert signatory_counts(letter=letter) == counted(letter)

"""The suppression service: found by hash, added once, lifted; the table holds only hashes."""

import pytest
from django.db import IntegrityError, transaction

from mailing.models import Suppression, SuppressionReason
from mailing.suppression import address_hash, is_suppressed, lift, suppress

pytestmark = pytest.mark.django_db


def test_an_address_is_suppressed_by_its_hash_whatever_its_case():
    row, created = suppress(" Aigerim@Example.KZ ", reason=SuppressionReason.BOUNCED)

    assert created and row.email_hash == address_hash("aigerim@example.kz")
    assert is_suppressed("aigerim@example.kz")
    assert not is_suppressed("someone@example.kz")
    assert not is_suppressed("") and not is_suppressed(None)


def test_suppressing_twice_keeps_the_first_row_as_it_was():
    first, _ = suppress("a@example.net", reason=SuppressionReason.BOUNCED, event_id="one")
    again, created = suppress("A@example.net", reason=SuppressionReason.COMPLAINED, event_id="two")

    assert not created and again.pk == first.pk
    assert Suppression.objects.get().reason == SuppressionReason.BOUNCED
    assert Suppression.objects.get().event_id == "one"


def test_no_address_cannot_be_suppressed():
    with pytest.raises(ValueError, match="No address"):
        suppress("", reason=SuppressionReason.MANUAL)


def test_lifting_lets_mail_go_again():
    row, _ = suppress("a@example.net", reason=SuppressionReason.MANUAL)
    lift(row)
    assert not is_suppressed("a@example.net")


@pytest.mark.parametrize(
    "fields",
    [
        {"email_hash": "plain.address@example.net", "reason": "bounced"},
        {"email_hash": "0" * 64, "reason": "unsubscribed"},
    ],
    ids=["an-address-not-a-hash", "an-unknown-reason"],
)
def test_the_database_refuses_anything_but_a_hash_and_a_known_reason(fields):
    with pytest.raises(IntegrityError), transaction.atomic():
        Suppression.objects.create(**fields)


def test_one_row_per_address_in_the_database_too():
    Suppression.objects.create(email_hash="a" * 64, reason="bounced")
    with pytest.raises(IntegrityError), transaction.atomic():
        Suppression.objects.create(email_hash="a" * 64, reason="complained")

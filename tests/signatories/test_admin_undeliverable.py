"""Signatures whose address bounced or complained are marked for moderators, and filtered,
in the list of signatures (signatories/admin.py), without a query per row."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mailing.models import SuppressionReason
from mailing.suppression import suppress
from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db

LIST = reverse("admin:signatories_signatory_changelist")


@pytest.fixture
def signatures():
    letter = LetterFactory(status="open")
    bounced = SignatoryFactory(
        letter=letter, name="Bounced Signer", confirmed_at=None, status="pending"
    )
    fine = SignatoryFactory(letter=letter, name="Fine Signer", confirmed_at=None, status="pending")
    suppress(bounced.email, reason=SuppressionReason.BOUNCED)
    return bounced, fine


def test_moderators_see_the_flag_and_never_the_address(moderator_client, signatures):
    bounced, _ = signatures
    html = moderator_client.get(LIST, {"queue": "unconfirmed"}).content.decode()

    assert "Mail undeliverable" in html
    row = html[html.index("Bounced Signer") :][:3000]
    assert "✉ Mail undeliverable" in row.split("Fine Signer")[0]
    assert bounced.email not in html


def test_the_filter_lists_only_the_undeliverable(moderator_client, signatures):
    html = moderator_client.get(LIST, {"queue": "all", "undeliverable": "yes"}).content.decode()
    assert "Bounced Signer" in html and "Fine Signer" not in html

    html = moderator_client.get(LIST, {"queue": "all", "undeliverable": "no"}).content.decode()
    assert "Fine Signer" in html and "Bounced Signer" not in html


def test_the_list_makes_as_many_queries_for_many_rows_as_for_one(admin_client, signatures):
    bounced, _ = signatures

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(LIST, {"queue": "all"}).status_code == 200
        return len(captured)

    queries()  # the first request of the session also writes the session
    few = queries()
    for _ in range(10):
        row = SignatoryFactory(letter=bounced.letter)
        suppress(row.email, reason=SuppressionReason.COMPLAINED)
    assert queries() == few

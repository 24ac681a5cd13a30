"""Deleting signatures by the tens of thousands: no statement with a parameter per row.

PostgreSQL takes at most 65,535 parameters in a statement (server-side binding, as
configured), SQLite 32,766. Django's SET_NULL wrote one UPDATE naming every deleted
row, so a link to a signature (a passed resolution's) made big deletes fail
(config/db.py SET_NULL_READ_FIRST).
"""

import pytest

from resolutions.models import PassedResolution
from signatories.models import Signatory
from signatories.names import sort_key
from tests.factories import SignatoryFactory
from tests.resolutions.conftest import PassedResolutionFactory

pytestmark = pytest.mark.django_db


def test_70000_signatures_are_deleted_and_the_link_to_one_is_cleared(letter):
    key = sort_key("Smith, Paper")
    Signatory.objects.bulk_create(
        (
            Signatory(
                letter=letter,
                name=f"Paper {n} Smith",
                sort_name="Smith, Paper",
                sort_key=key,
                source=Signatory.Source.PAPER,
                confirmed_at=letter.created_at,
            )
            for n in range(70_000)
        ),
        batch_size=10_000,
    )
    branch = SignatoryFactory(letter=letter, kind="organisation", name="RMT Central Line West")
    report = PassedResolutionFactory(campaign=letter.campaign, sign_letter=letter, signatory=branch)

    _, by_model = Signatory.objects.filter(letter=letter).delete()

    assert by_model["signatories.Signatory"] == 70_001
    assert not Signatory.objects.filter(letter=letter).exists()
    report.refresh_from_db()
    assert report.signatory is None
    assert PassedResolution.objects.filter(pk=report.pk).exists()

"""Pausing and resuming signing: the record, and the shared cache every host reads."""

import pytest
from django.core.exceptions import ValidationError

from signatories.models import SigningPause
from signatories.pause import signing_pause_current
from signatories.services.pause import AlreadyThat, signing_pause, signing_resume

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_superuser("boss", password="x")


def test_pause_and_resume_are_recorded_and_read_from_the_cache(
    boss, on_commit, django_assert_num_queries
):
    assert not signing_pause_current().paused
    with on_commit():
        signing_pause(message="  Back \u202etonight.  ", by=boss)
    with django_assert_num_queries(0):  # what a sign request pays
        state = signing_pause_current()
    assert state.paused and state.message == "Back tonight."
    with on_commit():
        signing_resume(by=boss)
    with django_assert_num_queries(0):
        assert not signing_pause_current().paused
    assert list(SigningPause.objects.values_list("paused", "changed_by__username")) == [
        (False, "boss"),
        (True, "boss"),
    ]


def test_a_pause_needs_words_and_nothing_is_done_twice(boss):
    with pytest.raises(ValidationError):
        signing_pause(message=" \n ", by=boss)
    with pytest.raises(AlreadyThat):
        signing_resume(by=boss)
    signing_pause(message="Paused.", by=boss)
    with pytest.raises(AlreadyThat):
        signing_pause(message="Paused.", by=boss)
    signing_pause(message="Paused until Monday.", by=boss)  # new words replace the old
    assert signing_pause_current().message == "Paused until Monday."
    assert SigningPause.objects.count() == 2

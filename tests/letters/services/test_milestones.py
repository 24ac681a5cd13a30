"""The count's milestones, recorded once each by the worker's sweep."""

import datetime

import pytest
from django.utils import timezone

from letters.models import Milestone
from letters.services.milestones import milestones_record
from mailing.sweeps import all_sweeps
from tests.factories import LetterFactory, SignatoryFactory

pytestmark = pytest.mark.django_db

START = timezone.make_aware(datetime.datetime(2013, 11, 1, 9, 0))


def sign_many(letter, number, *, start=START, **fields):
    for n in range(number):
        SignatoryFactory(
            letter=letter, confirmed_at=start + datetime.timedelta(minutes=n), **fields
        )


def test_a_milestone_is_recorded_when_the_hundredth_counted_signature_was_confirmed():
    letter = LetterFactory()
    sign_many(letter, 99)
    # Not counted: rejected, withdrawn, unconfirmed. They do not move the milestone.
    SignatoryFactory(letter=letter, status="rejected", confirmed_at=START)
    SignatoryFactory(letter=letter, withdrawn_at=START, confirmed_at=START)
    SignatoryFactory(letter=letter, confirmed_at=None, status="pending")
    assert milestones_record() == 0
    assert not Milestone.objects.exists()

    # The hundredth is counted though its name is hidden.
    SignatoryFactory(
        letter=letter, display="hidden", confirmed_at=START + datetime.timedelta(days=2)
    )
    assert milestones_record() == 1
    [milestone] = Milestone.objects.all()
    assert (milestone.letter, milestone.count) == (letter, 100)
    assert milestone.reached_at == START + datetime.timedelta(days=2)

    # Again: nothing new, nothing twice.
    assert milestones_record() == 0
    assert Milestone.objects.count() == 1


def test_a_milestone_stays_reached_when_the_count_falls_back():
    letter = LetterFactory()
    sign_many(letter, 100)
    milestones_record()
    letter.signatories.filter(pk=letter.signatories.first().pk).update(withdrawn_at=timezone.now())
    milestones_record()
    assert Milestone.objects.filter(letter=letter, count=100).exists()


def test_drafts_and_letters_handed_in_are_left_alone():
    draft = LetterFactory(status="draft")
    delivered = LetterFactory(status="delivered")
    for letter in (draft, delivered):
        sign_many(letter, 100)
    assert milestones_record() == 0


def test_the_worker_sweeps_for_milestones():
    assert milestones_record in all_sweeps()

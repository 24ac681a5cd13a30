"""Milestones of a letter's count, recorded once each for the letter page's timeline."""

from django.db.models import Q

from letters.models import Letter, Milestone
from signatories.models import Signatory
from signatories.selectors import signatory_counts

# Each tenfold from a hundred: what a campaign tells its supporters it has passed.
MILESTONES = (100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)


def milestones_record():
    """For each letter still taking names (open, or closed while paper comes in): record each
    milestone its count has passed that is not recorded yet. Returns how many were recorded.

    A sweep (mailing/sweeps.py): safe on several workers at once (the unique
    constraint keeps one row), cheap when nothing is new (the count is the
    journal's sums; one query for what is recorded).
    """
    recorded = 0
    letters = Letter.objects.filter(status__in=[Letter.Status.OPEN, Letter.Status.CLOSED])
    for letter in letters.only("pk", "moderation"):
        recorded += milestones_record_for(letter=letter)
    return recorded


def milestones_record_for(*, letter):
    count = signatory_counts(letter=letter)["published"]
    due = [m for m in MILESTONES if m <= count]
    if not due:
        return 0
    have = set(Milestone.objects.filter(letter=letter).values_list("count", flat=True))
    new = []
    for milestone in due:
        if milestone in have:
            continue
        reached_at = _reached_at(letter, milestone)
        if reached_at is not None:
            new.append(Milestone(letter=letter, count=milestone, reached_at=reached_at))
    Milestone.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _reached_at(letter, milestone):
    """When the milestone-th signature still counted today was confirmed."""
    counted = (
        Signatory.objects.published_on(letter)
        .filter(~Q(confirmed_at=None))
        .order_by("confirmed_at", "pk")
        .values_list("confirmed_at", flat=True)
    )
    return next(iter(counted[milestone - 1 : milestone]), None)

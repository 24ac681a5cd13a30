"""What the campaign page shows of the bodies that passed the resolution."""

from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Prefetch
from django.urls import reverse

from campaign.models import Resource
from config.admin import WaitingWork
from letters.models import Letter
from resolutions.models import LEVEL_HEADINGS, Level, PassedResolution, ResolutionStep
from teams.access import team_filter


@dataclass
class Union:
    name: str  # "" for bodies of their own (a trades council)
    bodies: list = field(default_factory=list)


@dataclass
class LevelGroup:
    level: str
    heading: str
    unions: list = field(default_factory=list)

    @property
    def count(self):
        return sum(len(union.bodies) for union in self.unions)


def passed_resolutions_public(*, campaign):
    """(count, groups): approved bodies by level (Level's order), then union, then date.

    Two queries whatever the number: the bodies and their steps.
    """
    order = {level: position for position, level in enumerate(Level.values)}
    rows = list(
        PassedResolution.objects.public()
        .filter(campaign=campaign)
        .only("pk", "campaign_id", "body", "organisation", "level", "passed_on", "url", "text")
        .prefetch_related(Prefetch("steps", queryset=ResolutionStep.objects.order_by("on", "pk")))
    )
    rows.sort(
        key=lambda r: (order[r.level], r.organisation.casefold(), r.passed_on, r.body.casefold())
    )
    groups = []
    for level, in_level in groupby(rows, key=lambda r: r.level):
        group = LevelGroup(level=level, heading=LEVEL_HEADINGS[level])
        for _key, bodies in groupby(in_level, key=lambda r: r.organisation.casefold()):
            bodies = list(bodies)
            group.unions.append(Union(name=bodies[0].organisation, bodies=bodies))
        groups.append(group)
    return len(rows), groups


def campaign_takes_reports(*, campaign):
    """A campaign asks bodies to pass its resolution when it publishes a model one."""
    return campaign.resources.filter(kind=Resource.Kind.MODEL_RESOLUTION).exists()


def campaign_open_letter(*, campaign):
    """The letter a body may sign along with its report: the campaign's newest open one."""
    return (
        Letter.objects.filter(campaign=campaign, status=Letter.Status.OPEN)
        .order_by("-pk")
        .prefetch_related("translations")
        .first()
    )


def resolutions_waiting(request):
    """For the admin index: confirmed reports no one has decided on, on the user's campaigns."""
    if not request.user.has_perm("resolutions.change_passedresolution"):
        return []
    awaiting = team_filter(PassedResolution.objects.awaiting_approval(), request.user, "campaign")
    count = awaiting.count()
    text = f"{count} report{'s' if count != 1 else ''} of a resolution passed, awaiting approval"
    url = reverse("admin:resolutions_passedresolution_changelist") + "?state=awaiting"
    return [WaitingWork(count, text, url)]

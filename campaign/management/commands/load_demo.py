import re

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from attendance.services import sign_up_add_confirmed
from campaign import demo
from campaign.models import Campaign, Demand, Event, Resource
from letters.models import Letter, LetterTranslation
from letters.services.lifecycle import letter_transition
from resolutions.models import PassedResolution, ResolutionStep
from signatories.models import Signatory
from signatories.roles import MODERATORS, ORGANISERS, roles_setup
from signatories.services.entry import signatory_add_approved
from teams.models import Role
from teams.services import team_member_set


def placeholder_email(name):
    local = re.sub(r"[^a-z0-9]+", ".", name.lower())[:60].strip(".")
    return f"{local}@example.org"


class Command(BaseCommand):
    help = (
        "Load the founding campaign from the seed documents (idempotent) and create a demo "
        "organiser login. For a local demo only: the login's password is printed."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-login", action="store_true", help="Do not create the demo organiser login."
        )

    @transaction.atomic
    def handle(self, *args, no_login=False, **options):
        campaign, _ = Campaign.objects.update_or_create(
            slug=demo.CAMPAIGN["slug"], defaults=demo.CAMPAIGN
        )
        for position, text in enumerate(demo.DEMANDS, start=1):
            Demand.objects.update_or_create(
                campaign=campaign, position=position, defaults={"text": text}
            )
        resolution = dict(demo.MODEL_RESOLUTION)
        Resource.objects.update_or_create(
            campaign=campaign, title=resolution.pop("title"), defaults=resolution
        )
        self._passed_resolutions(campaign)
        hand_in_day = demo.next_anniversary()
        events = {}
        for data in demo.events(hand_in_day):
            data = dict(data)
            key = data.pop("key")
            events[key], _ = Event.objects.update_or_create(
                campaign=campaign, title=data.pop("title"), defaults=data
            )

        for key, sign_ups in demo.EVENT_SIGN_UPS.items():
            for sign_up in sign_ups:
                sign_up_add_confirmed(event=events[key], **sign_up)

        letter, _ = Letter.objects.update_or_create(
            slug=demo.LETTER["slug"],
            defaults={
                **demo.LETTER,
                "campaign": campaign,
                "hand_in_event": events["hand-in"],
                "hand_in_date": hand_in_day,
            },
        )
        for language, text in demo.TRANSLATIONS.items():
            LetterTranslation.objects.update_or_create(
                letter=letter, language=language, defaults={**text, "is_ready": True}
            )
        if letter.status == Letter.Status.DRAFT:
            letter_transition(letter=letter, to_status=Letter.Status.OPEN)

        added = 0
        people = [(n, a, Signatory.Kind.ORGANISATION) for n, a in demo.ORGANISATIONS] + [
            (n, a, Signatory.Kind.INDIVIDUAL) for n, a in demo.INDIVIDUALS
        ]
        for name, affiliation, kind in people:
            result = signatory_add_approved(
                letter=letter,
                name=name,
                affiliation=affiliation,
                email=placeholder_email(name),
                kind=kind,
                source=Signatory.Source.ORGANISER,
            )
            added += result.created

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo campaign “{campaign.title}”: letter {letter.get_absolute_url()} "
                f"({added} signatories added, {len(people) - added} already there)."
            )
        )
        if not no_login:
            self._organiser_login(campaign)

    def _passed_resolutions(self, campaign):
        """The bodies that passed the resolution, as an organiser would type them in."""
        for data in demo.PASSED_RESOLUTIONS:
            data = dict(data)
            steps = data.pop("steps")
            report, _ = PassedResolution.objects.update_or_create(
                campaign=campaign,
                body=data.pop("body"),
                organisation=data.pop("organisation"),
                defaults={
                    **data,
                    "source": PassedResolution.Source.ORGANISER,
                    "status": PassedResolution.Status.APPROVED,
                    "confirmed_at": timezone.now(),
                },
            )
            for step in steps:
                step = dict(step)
                ResolutionStep.objects.update_or_create(
                    resolution=report, to_body=step.pop("to_body"), defaults=step
                )

    def _organiser_login(self, campaign):
        """Two staff logins in the two roles, as a real campaign would set them up: the
        campaign's team, an organiser and a moderator (teams/)."""
        groups = roles_setup()
        for username, group, role in [
            (demo.ORGANISER_USERNAME, ORGANISERS, Role.ORGANISER),
            (demo.MODERATOR_USERNAME, MODERATORS, Role.MODERATOR),
        ]:
            user, created = get_user_model().objects.get_or_create(
                username=username,
                defaults={"is_staff": True, "email": f"{username}@example.org"},
            )
            if created:
                user.set_password(demo.ORGANISER_PASSWORD)
                user.save()
                user.groups.add(groups[group])
                team_member_set(campaign=campaign, user=user, role=role)
            self.stdout.write(
                f"Demo {group[:-1].lower()} login at /admin/: username {username}, "
                f"password {demo.ORGANISER_PASSWORD}"
                + ("" if created else " (unchanged if you changed it)")
            )

"""`manage.py campaign_team <campaign-slug> add|remove <username> --role organiser|moderator`."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from campaign.models import Campaign
from signatories.roles import ORGANISERS
from teams.models import CampaignMember, Role
from teams.services import team_member_remove, team_member_set


class Command(BaseCommand):
    help = (
        "Add a staff member to a campaign's team in a role, or take them off it. "
        "Creates no user and no campaign."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="the campaign's slug")
        parser.add_argument("action", choices=["add", "remove", "list"])
        parser.add_argument("username", nargs="?")
        parser.add_argument("--role", choices=Role.values, default=None)

    def handle(self, *args, campaign, action, username, role, **options):
        try:
            campaign = Campaign.objects.get(slug=campaign)
        except Campaign.DoesNotExist:
            raise CommandError(f"No campaign with the slug {campaign!r}.") from None
        if action == "list":
            for member in campaign.team.select_related("user").order_by("user__username"):
                self.stdout.write(f"{member.user.username}\t{member.role}")
            return
        if not username:
            raise CommandError(f"Say whose membership to {action}: a username.")
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named {username!r}; create the account first.")
        if action == "add":
            if role is None:
                raise CommandError("Say which role: --role organiser or --role moderator.")
            if not Group.objects.filter(name=ORGANISERS).exists():
                raise CommandError("The role groups do not exist yet: run setup_roles first.")
            team_member_set(campaign=campaign, user=user, role=role)
            self.stdout.write(f"{username} is now {role} on {campaign.slug}.")
        elif team_member_remove(campaign=campaign, user=user):
            self.stdout.write(f"{username} is no longer on the team of {campaign.slug}.")
        else:
            self.stdout.write(
                f"{username} was not on the team of {campaign.slug}; nothing changed."
            )
        remaining = CampaignMember.objects.filter(user=user).count()
        self.stdout.write(f"{username} is on {remaining} campaign team(s) in all.")

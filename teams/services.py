"""Changing a campaign's team: the membership, and the groups that give each role its kinds."""

from django.contrib.auth.models import Group
from django.db import transaction

from signatories.roles import MODERATORS, ORGANISERS
from teams.access import team_forget
from teams.models import CampaignMember, ContactView, Role

GROUP_OF_ROLE = {Role.ORGANISER: ORGANISERS, Role.MODERATOR: MODERATORS}


@transaction.atomic
def team_member_set(*, campaign, user, role):
    """Put the user on the campaign's team in this role (or change their role there)."""
    member, _ = CampaignMember.objects.update_or_create(
        campaign=campaign, user=user, defaults={"role": role}
    )
    team_groups_sync(user)
    return member


@transaction.atomic
def team_member_remove(*, campaign, user):
    """Take the user off the campaign's team; True if they were on it."""
    deleted, _ = CampaignMember.objects.filter(campaign=campaign, user=user).delete()
    team_groups_sync(user)
    return bool(deleted)


def team_groups_sync(user):
    """A user is in a role's group while they hold that role on some team, and staff while
    on any. Superusers are left as they are. The groups must exist (setup_roles)."""
    team_forget(user)
    if user.is_superuser:
        return
    roles = set(CampaignMember.objects.filter(user=user).values_list("role", flat=True))
    for role, name in GROUP_OF_ROLE.items():
        group = Group.objects.get(name=name)
        if role in roles:
            user.groups.add(group)
        else:
            user.groups.remove(group)
    if roles and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def contact_view_record_beside(*, user, campaign_id, title, what, addresses=1, letter=None):
    """Write down a look at addresses kept beside a campaign's letters: an event's sign-ups,
    a report of a resolution passed. `title` says what, in the log's letter column."""
    if not addresses:
        return None
    return ContactView.objects.create(
        user=user if getattr(user, "pk", None) else None,
        username=getattr(user, "username", "") or "(server command)",
        campaign_id=campaign_id,
        letter=letter,
        letter_title=title[:200],
        what=what,
        addresses=addresses,
    )


def contact_view_record(*, user, letter, what, addresses):
    """Write down a look at `addresses` e-mail addresses of `letter`'s signatories.

    `user` is the staff member (None for a command run on the server). A look
    at no address at all is not written.
    """
    return contact_view_record_beside(
        user=user,
        campaign_id=letter.campaign_id,
        title=letter.title,
        what=what,
        addresses=addresses,
        letter=letter,
    )

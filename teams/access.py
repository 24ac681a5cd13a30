"""What a staff member may see and do, campaign by campaign.

A superuser sees everything. Anyone else sees the objects of the campaigns
whose team they are on: as a moderator, to decide on signatures; as an
organiser, also to run the campaign and its letters and, with the contact
permission, to see and export e-mail addresses. The model permissions from
the groups still say which kinds of change a user may make at all.
"""

from signatories.roles import CONTACT_PERMISSION
from teams.models import CampaignMember, Role

ANY_ROLE = frozenset(Role.values)
ORGANISER = frozenset({Role.ORGANISER})
_CACHE = "_team_roles"


def team_roles(user):
    """{campaign id: role} for this user, read once per request (kept on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return {}
    if not hasattr(user, _CACHE):
        rows = CampaignMember.objects.filter(user=user).values_list("campaign_id", "role")
        setattr(user, _CACHE, dict(rows))
    return getattr(user, _CACHE)


def team_forget(user):
    if hasattr(user, _CACHE):
        delattr(user, _CACHE)


def team_campaign_ids(user, roles=ANY_ROLE):
    return [campaign for campaign, role in team_roles(user).items() if role in roles]


def team_filter(queryset, user, path, roles=ANY_ROLE):
    """The rows of `queryset` in campaigns where the user holds one of `roles`.

    `path` leads from the model to its campaign's id ("campaign",
    "letter__campaign"; "" for the Campaign model itself).
    """
    if user.is_superuser:
        return queryset
    lookup = f"{path}__in" if path else "pk__in"
    return queryset.filter(**{lookup: team_campaign_ids(user, roles)})


def team_allows(user, campaign_id, roles=ANY_ROLE):
    return user.is_superuser or team_roles(user).get(campaign_id) in roles


def may_see_contacts(user, campaign_id):
    """E-mail addresses of this campaign's signatories, on screen or exported."""
    return user.has_perm(CONTACT_PERMISSION) and team_allows(user, campaign_id, ORGANISER)


def may_see_contacts_everywhere(user):
    """For lists and searches across campaigns: an organiser on every team they are on."""
    if user.is_superuser:
        return True
    roles = team_roles(user)
    return (
        user.has_perm(CONTACT_PERMISSION)
        and bool(roles)
        and all(role == Role.ORGANISER for role in roles.values())
    )

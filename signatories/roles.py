"""The two organiser roles, as Django groups: the kinds of thing each role does.

Moderators decide on signatures but never see an e-mail address; organisers
run campaigns and letters, type in paper forms and may see and export contact
details (the `view_contact_details` permission). Where they may do it is each
campaign's team (teams/): a user in these groups sees only the campaigns whose
team they are on, and the role they hold there.
"""

from django.contrib.auth.models import Group, Permission
from django.db import transaction

MODERATORS = "Moderators"
ORGANISERS = "Organisers"
CONTACT_PERMISSION = "signatories.view_contact_details"


def can_add_signatures(user):
    """Typing in and importing paper sign-ups, printing sheets."""
    return user.has_perm("signatories.add_signatory")


MODERATOR_PERMISSIONS = [
    "campaign.view_campaign",
    "campaign.view_event",
    "letters.view_letter",
    "signatories.view_signatory",
    "signatories.change_signatory",
    "signatories.view_moderationaction",
    # How many are coming to each event: a number, never who (attendance/admin.py).
    "attendance.view_eventattendance",
    # Approving a body's report that it passed the resolution is moderation too.
    "resolutions.view_passedresolution",
    "resolutions.change_passedresolution",
    "resolutions.view_resolutionstep",
]
ORGANISER_PERMISSIONS = [
    *MODERATOR_PERMISSIONS,
    *(
        f"{app}.{action}_{model}"
        for app, model in [
            ("campaign", "campaign"),
            ("campaign", "demand"),
            ("campaign", "event"),
            ("campaign", "resource"),
            ("letters", "letter"),
            ("letters", "update"),
            ("resolutions", "passedresolution"),
            ("resolutions", "resolutionstep"),
        ]
        for action in ("add", "change", "view", "delete")
    ),
    "letters.view_letterstatuschange",
    "letters.view_delivery",  # what was handed in, and its PDF as delivered
    "letters.view_papersheet",
    "signatories.add_signatory",
    "signatories.delete_signatory",
    "signatories.view_contact_details",
    "teams.view_contactview",  # the campaign's access log
    # Who signed up for an event (addresses only with the contact permission above); an
    # organiser may delete one, such as a prank. Sign-ups are never added or changed by hand.
    "attendance.view_signup",
    "attendance.delete_signup",
    # The suppression list (mailing/admin.py): addresses that bounced or complained, as
    # hashes; an organiser adds one a supporter asked to be left out of, or lifts one.
    "mailing.view_suppression",
    "mailing.add_suppression",
    "mailing.delete_suppression",
]


def _permissions(names):
    wanted = {tuple(name.split(".")) for name in names}
    found = Permission.objects.filter(
        content_type__app_label__in={app for app, _ in wanted},
        codename__in={codename for _, codename in wanted},
    ).select_related("content_type")
    perms = [p for p in found if (p.content_type.app_label, p.codename) in wanted]
    missing = wanted - {(p.content_type.app_label, p.codename) for p in perms}
    if missing:
        raise LookupError(f"Permissions not found (run migrate first): {sorted(missing)}")
    return perms


@transaction.atomic
def roles_setup():
    """Create or update both groups; running it again changes nothing."""
    groups = {}
    for name, permissions in [
        (MODERATORS, MODERATOR_PERMISSIONS),
        (ORGANISERS, ORGANISER_PERMISSIONS),
    ]:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(_permissions(permissions))
        groups[name] = group
    return groups

"""Who works on which campaign, and as what.

A staff member sees a campaign, its letters and their signatures only as a
member of its team. The role on that campaign decides what they may do
there (teams/access.py); the Organisers and Moderators groups
(signatories/roles.py) only give the kinds of thing a role does anywhere.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Role(models.TextChoices):
    ORGANISER = "organiser", "organiser: runs letters, sees and exports contact details"
    MODERATOR = "moderator", "moderator: decides on signatures, sees no e-mail address"


class CampaignMember(models.Model):
    campaign = models.ForeignKey("campaign.Campaign", on_delete=models.CASCADE, related_name="team")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="campaign_roles"
    )
    role = models.CharField(max_length=20, choices=Role.choices)
    added_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        verbose_name = "team member"
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="team_one_role_per_person"),
            models.CheckConstraint(condition=Q(role__in=Role.values), name="team_role_known"),
        ]

    def __str__(self):
        return str(self.user)


class LookedAt(models.TextChoices):
    CONTACTS_CSV = "contacts_csv", "contacts CSV"
    ALL_CSV = "all_csv", "all signatures CSV"
    SIGNATURE_PAGE = "signature_page", "a signature's page"
    SIGNATURE_LIST = "signature_list", "the list of signatures"
    IMPORT_PREVIEW = "import_preview", "CSV import preview"
    COMMAND = "command", "export_letter on the server"


class ContactView(models.Model):
    """One look at signatories' e-mail addresses: who, when, which letter, how many.

    Written by the pages and commands that show or export addresses
    (teams/services.py `contact_view_record`), read by the organisers of that
    campaign, never changed or deleted: the admin offers neither, the model
    refuses both, and on PostgreSQL a trigger refuses them to any SQL. The
    campaign and letter are kept by id and title without a database
    constraint, so the record outlives them.
    """

    What = LookedAt

    at = models.DateTimeField("when", default=timezone.now, editable=False, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    username = models.CharField(max_length=150)
    campaign = models.ForeignKey(
        "campaign.Campaign", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    letter = models.ForeignKey(
        "letters.Letter",
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        null=True,
        related_name="+",
    )
    letter_title = models.CharField(max_length=200)
    what = models.CharField(max_length=20, choices=What.choices)
    addresses = models.PositiveIntegerField()

    class Meta:
        verbose_name = "look at contact details"
        verbose_name_plural = "looks at contact details"
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(what__in=LookedAt.values), name="contact_view_known"
            ),
        ]

    def __str__(self):
        when = f"{self.at:%Y-%m-%d %H:%M}"
        return f"{self.username}: {self.get_what_display()} of {self.letter_title} ({when})"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ContactViewIsRecord("An access log entry is never changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ContactViewIsRecord("An access log entry is never deleted.")


class ContactViewIsRecord(Exception):
    pass

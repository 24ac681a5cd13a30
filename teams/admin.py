"""The admin, campaign by campaign: each ModelAdmin of campaign data mixes in TeamScopedAdmin.

Every list, change page, action, custom page (they look objects up through
get_queryset: config/admin.py `admin_page`), autocomplete and history then
holds only the user's campaigns; an id from another campaign is a 404.
"""

import dataclasses

from django.contrib import admin
from django.contrib.admin.options import ActionLocation
from django.http import Http404
from django_otp_webauthn.admin import WebAuthnCredentialAdmin
from django_otp_webauthn.models import WebAuthnCredential

from config.admin import LabelledTabularInline
from teams.access import ANY_ROLE, ORGANISER, team_allows, team_filter
from teams.models import CampaignMember, ContactView

# Each model of campaign data and the way from it to its campaign's id: what each
# TeamScopedAdmin filters its rows by, and what a foreign key to it may choose.
TEAM_PATHS = {
    "attendance.EventAttendance": "campaign",
    "attendance.SignUp": "event__campaign",
    "campaign.Campaign": "",
    "campaign.Event": "campaign",
    "letters.Delivery": "letter__campaign",
    "letters.Letter": "campaign",
    "letters.PaperSheet": "letter__campaign",
    "letters.Update": "letter__campaign",
    "resolutions.PassedResolution": "campaign",
    "signatories.Signatory": "letter__campaign",
}


class TeamScopedAdmin:
    # Who on a team may change rows here: organisers (most things) or any member (moderation).
    team_change_roles = ORGANISER
    # The same for adding and deleting.
    team_edit_roles = ORGANISER

    @property
    def team_path(self):
        """From this admin's model to its campaign's id: "campaign", "letter__campaign"..."""
        return TEAM_PATHS[self.opts.label]

    def get_queryset(self, request):
        return team_filter(super().get_queryset(request), request.user, self.team_path)

    def team_campaign_id(self, obj):
        """The campaign's id, read from the last foreign key (no query for the campaign)."""
        if not self.team_path:
            return obj.pk
        *through, last = self.team_path.split("__")
        for part in through:
            obj = getattr(obj, part)
        return getattr(obj, f"{last}_id")

    def _team_allows(self, request, obj, roles):
        if obj is None or request.user.is_superuser:
            return True
        return team_allows(request.user, self.team_campaign_id(obj), roles)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._team_allows(
            request, obj, ANY_ROLE
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._team_allows(
            request, obj, self.team_change_roles
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._team_allows(
            request, obj, self.team_edit_roles
        )

    def get_actions(self, request, action_location=ActionLocation.CHANGE_LIST):
        """Each action runs on the selected rows the user may change: others are dropped."""
        actions = super().get_actions(request, action_location=action_location)
        return {
            name: dataclasses.replace(action, func=self._team_narrowed(action.func))
            for name, action in actions.items()
        }

    def _team_narrowed(self, func):
        roles = self.team_change_roles

        # Django has read the action's permissions and description by now (the Action).
        def narrowed(modeladmin, request, queryset):
            return func(
                modeladmin, request, team_filter(queryset, request.user, self.team_path, roles)
            )

        return narrowed

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """A campaign, letter, event or sheet to choose is one of a campaign the user organises."""
        path = TEAM_PATHS.get(db_field.related_model._meta.label)
        if path is not None:
            related = db_field.related_model
            base = kwargs.get("queryset", related._default_manager.all())
            kwargs["queryset"] = team_filter(base, request.user, path, self.team_edit_roles)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Django redirects to the index with "doesn't exist"; another campaign's id is a 404.
        raise Http404("No such object.")


class CampaignMemberInline(LabelledTabularInline):
    model = CampaignMember
    extra = 0
    fields = ["user", "role", "added_at"]
    readonly_fields = ["added_at"]
    verbose_name = "team member"
    verbose_name_plural = "team: who works on this campaign"


@admin.register(ContactView)
class ContactViewAdmin(admin.ModelAdmin):
    """The access log: each campaign's organisers read its entries; nobody changes one."""

    list_display = ["at", "username", "what", "letter_title", "addresses"]
    list_filter = ["what", ("campaign", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["username", "letter_title"]
    date_hierarchy = "at"
    fields = list_display
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return team_filter(super().get_queryset(request), request.user, "campaign", ORGANISER)

    def has_view_permission(self, request, obj=None):
        allowed = super().has_view_permission(request, obj)
        return allowed and (obj is None or team_allows(request.user, obj.campaign_id, ORGANISER))

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        raise Http404("No such entry.")


# Passkeys, beside django-otp's TOTP devices (which it registers itself; this package does
# not): a superuser removes a lost one for someone who has nothing else left.
admin.site.register(WebAuthnCredential, WebAuthnCredentialAdmin)

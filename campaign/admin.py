import zoneinfo

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaign.models import Campaign, Demand, Event, Resource
from config.admin import LabelledTabularInline
from teams.admin import CampaignMemberInline, TeamScopedAdmin
from teams.models import CampaignMember, Role
from teams.services import team_groups_sync, team_member_set


class DemandInline(LabelledTabularInline):
    model = Demand
    extra = 0


class ResourceInline(admin.StackedInline):
    model = Resource
    extra = 0


class EventForm(forms.ModelForm):
    """An event's times are typed and shown in the event's own time zone, not the site's.

    An evening vigil in Almaty is entered as 19:00 Almaty time: stored as
    the instant it is, so the page and the .ics say 19:00 there (and 13:00
    in London).
    """

    TIMES = ("starts_at", "ends_at")

    class Meta:
        model = Event
        fields = [
            "campaign",
            "title",
            "starts_at",
            "ends_at",
            "time_zone",
            "place",
            "address",
            "description",
            "takes_sign_ups",
        ]
        help_texts = {
            "starts_at": "In the event's own time zone (below).",
            "ends_at": "In the event's own time zone (below).",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        zone = zoneinfo.ZoneInfo(self.instance.time_zone or "Europe/London")
        for name in self.TIMES:
            value = self.initial.get(name)
            if value is not None and timezone.is_aware(value):
                self.initial[name] = timezone.make_naive(value, zone)  # the wall clock there

    def clean(self):
        data = super().clean()
        zone_name = data.get("time_zone")
        if not zone_name:
            return data
        zone = zoneinfo.ZoneInfo(zone_name)
        for name in self.TIMES:
            value = data.get(name)
            if value is not None:
                # The form read the wall-clock time in the site's zone; it was meant there.
                data[name] = timezone.make_aware(timezone.make_naive(value), zone)
        if data.get("ends_at") and data.get("starts_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "An event ends after it starts.")
        return data


class EventInline(LabelledTabularInline):
    model = Event
    form = EventForm
    extra = 0
    fields = ["title", "starts_at", "ends_at", "time_zone", "place", "address"]
    show_change_link = True


@admin.register(Campaign)
class CampaignAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "slug", "contact_email", "created_at"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    # The team first: superusers come here to manage it, and it is short.
    inlines = [CampaignMemberInline, DemandInline, EventInline, ResourceInline]
    view_on_site = True

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change and not request.user.is_superuser:
            # Whoever starts a campaign organises it; otherwise it would vanish from their view.
            team_member_set(campaign=obj, user=request.user, role=Role.ORGANISER)

    def save_formset(self, request, form, formset, change):
        if formset.model is not CampaignMember:
            return super().save_formset(request, form, formset, change)
        # Superusers edit the team here; each person's role groups follow (teams/services.py).
        before = set(formset.queryset.values_list("user", flat=True))
        super().save_formset(request, form, formset, change)
        after = set(form.instance.team.values_list("user", flat=True))
        for user in get_user_model().objects.filter(pk__in=before | after):
            team_groups_sync(user)
        return None


@admin.register(Event)
class EventAdmin(TeamScopedAdmin, admin.ModelAdmin):
    form = EventForm
    list_display = ["title", "campaign", "local_time", "place"]
    list_filter = [("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["campaign"]
    search_fields = ["title", "place", "address"]
    date_hierarchy = "starts_at"

    @admin.display(description="Starts (local time)", ordering="starts_at")
    def local_time(self, event):
        # The wall clock where it happens, as the form takes it.
        return f"{event.local_start:%d %b %Y %H:%M} ({event.time_zone})"

from django.contrib import admin

from campaign.models import Campaign, Demand, Event, Resource
from config.admin import LabelledTabularInline


class DemandInline(LabelledTabularInline):
    model = Demand
    extra = 0


class ResourceInline(admin.StackedInline):
    model = Resource
    extra = 0


class EventInline(LabelledTabularInline):
    model = Event
    extra = 0
    fields = ["title", "starts_at", "time_zone", "place", "address"]
    show_change_link = True


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["title", "slug", "contact_email", "created_at"]
    search_fields = ["title", "summary"]
    prepopulated_fields = {"slug": ["title"]}
    inlines = [DemandInline, EventInline, ResourceInline]
    view_on_site = True


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "starts_at", "place"]
    list_filter = ["campaign"]
    list_select_related = ["campaign"]
    search_fields = ["title", "place", "address"]
    date_hierarchy = "starts_at"

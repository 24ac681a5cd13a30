"""Attendance in the admin, campaign by campaign (TeamScopedAdmin).

- *Event attendance*: each event and how many people are coming. Moderators and
  organisers of the campaign's team; numbers only.
- *Sign-ups*: each sign-up (name if given, how many, confirmed or not), for
  organisers. The address is shown only to staff who may see contact details
  (teams/access.py), as for signatures, and each look is written in the access log.
  Nothing here is added or changed by hand: a sign-up is the person's own.
"""

from django.contrib import admin
from django.db.models import Count, Q, Sum
from django.urls import reverse
from django.utils.html import format_html

from attendance.models import EventAttendance, SignUp
from teams.access import ORGANISER, may_see_contacts, may_see_contacts_everywhere, team_filter
from teams.admin import TeamScopedAdmin
from teams.models import LookedAt
from teams.services import contact_view_record_beside

CONFIRMED = Q(sign_ups__confirmed_at__isnull=False)


@admin.register(EventAttendance)
class EventAttendanceAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["title", "campaign", "starts_at", "takes_sign_ups", "coming", "awaiting"]
    list_filter = [("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["campaign"]
    date_hierarchy = "starts_at"
    fields = ["title", "campaign", "starts_at", "place", "takes_sign_ups", "coming", "awaiting"]
    readonly_fields = fields
    actions = None

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                _coming=Sum("sign_ups__people", filter=CONFIRMED),
                _awaiting=Count("sign_ups", filter=Q(sign_ups__confirmed_at__isnull=True)),
            )
        )

    @admin.display(description="people coming", ordering="_coming")
    def coming(self, event):
        """Confirmed sign-ups' people, and the number kept from sign-ups already deleted."""
        return (event._coming or 0) + (event.people_coming_kept or 0)

    @admin.display(description="sign-ups not confirmed yet", ordering="_awaiting")
    def awaiting(self, event):
        return event._awaiting

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SignUp)
class SignUpAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["__str__", "event_link", "name", "people", "confirmed_at", "created_at"]
    list_filter = [("event", admin.RelatedOnlyFieldListFilter), "confirmed_at"]
    list_select_related = ["event__campaign"]
    search_fields = ["name"]
    date_hierarchy = "created_at"
    fields = [
        "event",
        "name",
        "email",
        "people",
        "language",
        "created_at",
        "confirmed_at",
        "confirmation_sent_at",
        "calendar_sent_at",
        "reminder_due_at",
        "reminder_sent_at",
    ]
    readonly_fields = fields

    @admin.display(description="event", ordering="event__starts_at")
    def event_link(self, sign_up):
        url = reverse("admin:attendance_eventattendance_change", args=[sign_up.event_id])
        return format_html('<a href="{}">{}</a>', url, sign_up.event.title)

    @admin.display(description="email")
    def email_address(self, sign_up):
        return sign_up.email

    # Who is coming is for a campaign's organisers: its moderators see the counts only
    # (EventAttendanceAdmin), also when they organise another campaign.
    def get_queryset(self, request):
        rows = admin.ModelAdmin.get_queryset(self, request)
        return team_filter(rows, request.user, self.team_path, ORGANISER)

    def has_view_permission(self, request, obj=None):
        return super().has_view_permission(request, obj) and self._team_allows(
            request, obj, ORGANISER
        )

    def get_list_display(self, request):
        columns = list(super().get_list_display(request))
        if may_see_contacts_everywhere(request.user):
            columns.insert(3, "email_address")
        return columns

    def get_fields(self, request, obj=None):
        fields = list(super().get_fields(request, obj))
        if obj is None or not may_see_contacts(request.user, obj.event.campaign_id):
            fields.remove("email")
        return fields

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context=extra_context)
        if may_see_contacts_everywhere(request.user) and hasattr(response, "context_data"):
            rows = list(response.context_data["cl"].result_list)
            self._record_look(request, rows, LookedAt.SIGNATURE_LIST)
        return response

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and may_see_contacts(request.user, obj.event.campaign_id):
            self._record_look(request, [obj], LookedAt.SIGNATURE_PAGE)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _record_look(self, request, rows, what):
        """Addresses on screen go in the access log, an entry per event. The log's entries
        name a letter (teams/services.py); an event's name the event in its place."""
        shown = {}
        for sign_up in rows:
            event, count = shown.get(sign_up.event_id, (sign_up.event, 0))
            shown[sign_up.event_id] = (event, count + 1)
        for event, count in shown.values():
            contact_view_record_beside(
                user=request.user,
                campaign_id=event.campaign_id,
                title=f"Sign-ups for {event.title}",
                what=what,
                addresses=count,
            )

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

"""Organisers' side of the resolutions: reports to approve, how far each went, signing."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from config.admin import LabelledTabularInline
from resolutions.models import PassedResolution, ResolutionStep
from resolutions.services import CannotSign, resolution_add_signatory, resolutions_decide
from signatories.roles import can_add_signatures
from teams.access import (
    ANY_ROLE,
    ORGANISER,
    may_see_contacts,
    may_see_contacts_everywhere,
    team_allows,
)
from teams.admin import TeamScopedAdmin
from teams.models import LookedAt
from teams.services import contact_view_record_beside


class ResolutionStepInline(LabelledTabularInline):
    model = ResolutionStep
    extra = 0
    fields = ["kind", "to_body", "level", "on"]


class StateFilter(admin.SimpleListFilter):
    title = "state"
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("awaiting", "Awaiting approval"),
            ("unconfirmed", "Awaiting the reporter's confirmation"),
            ("approved", "Approved: on the campaign page"),
            ("rejected", "Rejected"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "awaiting":
            return queryset.awaiting_approval()
        if value == "unconfirmed":
            return queryset.filter(confirmed_at__isnull=True)
        if value in {PassedResolution.Status.APPROVED, PassedResolution.Status.REJECTED}:
            return queryset.filter(status=value)
        return queryset


@admin.register(PassedResolution)
class PassedResolutionAdmin(TeamScopedAdmin, admin.ModelAdmin):
    # Approving a report is moderation: moderators on the team may do it too.
    team_change_roles = ANY_ROLE
    list_display = ["full_name", "level", "passed_on", "state", "on_the_letter", "campaign"]
    list_display_links = ["full_name"]
    list_filter = [StateFilter, "level", ("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["campaign", "signatory"]
    search_fields = ["body", "organisation"]
    actions = ["approve", "reject", "add_to_letter"]
    inlines = [ResolutionStepInline]
    change_form_template = "admin/resolutions/passedresolution/change_form.html"
    readonly_fields = ["status", "confirmed_at", "source", "decided", "on_the_letter", "created_at"]
    fieldsets = [
        (None, {"fields": ["campaign", "body", "organisation", "level", "passed_on"]}),
        ("The resolution", {"fields": ["url", "text"]}),
        ("Reporter", {"fields": ["email", "source", "created_at", "confirmed_at"]}),
        ("Status", {"fields": ["status", "decided", "sign_letter", "on_the_letter"]}),
    ]

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        allowed = (
            may_see_contacts(request.user, obj.campaign_id)
            if obj is not None
            else may_see_contacts_everywhere(request.user)
        )
        if allowed:
            return fieldsets
        return [
            (title, {**opts, "fields": [f for f in opts["fields"] if f != "email"]})
            for title, opts in fieldsets
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.source == PassedResolution.Source.WEB:
            # What the reporter sent stands as sent; organisers decide on it.
            fields += ["campaign", "email", "sign_letter"]
        return fields

    @admin.display(description="decided")
    def decided(self, obj):
        if obj.decided_at is None:
            return "-"
        who = obj.decided_by.get_username() if obj.decided_by else "someone since removed"
        return f"{obj.decided_at:%d %b %Y %H:%M} by {who}"

    @admin.display(description="on the letter")
    def on_the_letter(self, obj):
        if obj.signatory_id is not None:
            url = reverse("admin:signatories_signatory_change", args=[obj.signatory_id])
            return format_html('<a href="{}">Signed</a>', url)
        if obj.sign_letter_id is not None:
            return "May sign"
        return "-"

    def save_model(self, request, obj, form, change):
        if not change:
            # Entered by an organiser, who vouches for it: no link to confirm, approved.
            now = timezone.now()
            obj.source = PassedResolution.Source.ORGANISER
            obj.confirmed_at = now
            obj.status = PassedResolution.Status.APPROVED
            obj.decided_at, obj.decided_by = now, request.user
        super().save_model(request, obj, form, change)

    # The decisions, as bulk actions and as buttons on a report's page.

    @admin.action(description="Approve: list on the campaign page")
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description="Reject: keep off the campaign page")
    def reject(self, request, queryset):
        self._decide(request, queryset, approve=False)

    def _decide(self, request, queryset, *, approve):
        unconfirmed = queryset.filter(confirmed_at__isnull=True).count() if approve else 0
        changed = resolutions_decide(queryset=queryset, approve=approve, moderator=request.user)
        word = "approved" if approve else "rejected"
        messages.success(request, f"{changed} report{'s' if changed != 1 else ''} {word}.")
        signed = 0 if approve else queryset.filter(signatory__isnull=False).count()
        if signed:
            messages.warning(
                request,
                f"{signed} of them had signed the letter and still stand on it: a name comes "
                "off a letter on the signature's own page (reject it there).",
            )
        if unconfirmed:
            messages.warning(
                request,
                f"{unconfirmed} not approved: the reporter has not confirmed yet "
                "(the campaign page shows only confirmed reports).",
            )

    @admin.action(description="Add to the letter as an organisation signatory")
    def add_to_letter(self, request, queryset):
        added, refused = 0, []
        for resolution in queryset.select_related("sign_letter", "signatory"):
            if not self._may_sign(request, resolution):
                refused.append(
                    f"{resolution.full_name}: only an organiser of the campaign may add names"
                )
                continue
            try:
                result = resolution_add_signatory(resolution=resolution)
            except CannotSign as refusal:
                refused.append(f"{resolution.full_name}: {refusal}")
            else:
                added += result.created
        if added:
            bodies = "body" if added == 1 else "bodies"
            messages.success(request, f"{added} {bodies} added to the letter.")
        for reason in refused:
            messages.warning(request, reason)
        if not added and not refused:
            messages.info(request, "Nothing added: the chosen bodies are on the letter already.")

    def _may_sign(self, request, resolution):
        return can_add_signatures(request.user) and team_allows(
            request.user, resolution.campaign_id, ORGANISER
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/decide/<str:decision>/",
                self.admin_site.admin_view(self.decide_view),
                name="resolutions_passedresolution_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request, object_id, decision):
        """The buttons above a report's form: each a form of its own (never nested)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        resolution = self.get_object(request, object_id)
        if resolution is None or not self.has_change_permission(request, resolution):
            raise Http404("No such report.")
        queryset = PassedResolution.objects.filter(pk=resolution.pk)
        if decision in {"approve", "reject"}:
            self._decide(request, queryset, approve=decision == "approve")
        elif decision == "sign":
            self.add_to_letter(request, queryset)
        else:
            raise Http404("No such decision.")
        return redirect("admin:resolutions_passedresolution_change", resolution.pk)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and obj.email and may_see_contacts(request.user, obj.campaign_id):
            # The reporter's address is on screen: in the campaign's access log.
            contact_view_record_beside(
                user=request.user,
                campaign_id=obj.campaign_id,
                title=f"Report: {obj.full_name}",
                what=LookedAt.SIGNATURE_PAGE,
            )
        if obj is not None:
            context["may_decide"] = self.has_change_permission(request, obj)
            context["may_sign"] = self._may_sign(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

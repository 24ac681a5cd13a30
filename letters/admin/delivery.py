"""What goes out of the admin for the hand-in: the signed PDF, the contacts CSV, the record."""

import io
from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from config.admin import ReadOnlyAdminMixin
from letters.admin.base import letter_page, tool_context
from letters.csv_export import csv_lines, export_address_count
from letters.models import Delivery, Letter
from letters.pdf import render_letter_pdf
from letters.services.lifecycle import (
    HandIn,
    ListChanged,
    TransitionNotAllowed,
    hand_in_planned,
    letter_deliver,
    refusal_reason,
)
from signatories.selectors import signatory_likely_duplicates
from teams.access import CONTACT_PERMISSION, ORGANISER, may_see_contacts, team_campaign_ids
from teams.admin import TeamScopedAdmin
from teams.models import LookedAt
from teams.services import contact_view_record

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class HandInForm(forms.Form):
    """What an organiser says about the hand-in, and that they looked at what is frozen."""

    handed_in_at = forms.DateTimeField(
        label="Handed in at",
        input_formats=[LOCAL_INPUT],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=LOCAL_INPUT),
        help_text="When it was really handed in, in the site's time zone. It starts at the "
        "hand-in event's planned time: change it if the hand-in was at another time.",
    )
    place = forms.CharField(label="Place", max_length=500)
    handed_in_by = forms.CharField(
        label="Handed in by",
        max_length=200,
        help_text="Who carried it in, e.g. “Unite and RMT delegation, with John McDonnell MP”.",
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    expected_count = forms.IntegerField(widget=forms.HiddenInput)
    confirm = forms.BooleanField(
        label="I have looked at the PDF: freeze it as the letter that was handed in",
        error_messages={"required": "Tick this box to freeze the letter; it cannot be undone."},
    )

    def clean_handed_in_at(self):
        when = self.cleaned_data["handed_in_at"]
        if when > timezone.now() + timedelta(hours=1):
            raise forms.ValidationError(
                "That is still to come: mark the letter delivered once it has been handed in, "
                "with the time it was."
            )
        return when

    def hand_in(self):
        data = self.cleaned_data
        return HandIn(
            at=data["handed_in_at"],
            place=data["place"],
            by=data["handed_in_by"],
            note=data["note"],
        )


def frozen_preview(letter):
    """The signed PDF as it would be frozen now: its count of names and its pages."""
    stats = {}
    count = render_letter_pdf(letter, io.BytesIO(), stats=stats)
    return count, stats["pages"]


def pdf_response(letter, *, with_translations=False):
    buffer = io.BytesIO()
    render_letter_pdf(letter, buffer, with_translations=with_translations)
    buffer.seek(0)
    return FileResponse(
        buffer,
        as_attachment=True,
        filename=f"{letter.slug}.pdf",
        content_type="application/pdf",
    )


def csv_response(request, letter, *, everything=False):
    """The staff CSV, streamed; the look at its addresses goes in the access log first."""
    contact_view_record(
        user=request.user,
        letter=letter,
        what=LookedAt.ALL_CSV if everything else LookedAt.CONTACTS_CSV,
        addresses=export_address_count(letter, everything=everything),
    )
    lines = csv_lines(letter, everything=everything)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    which = "all-signatures" if everything else "contacts"
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{letter.slug}-{which}-{stamp}.csv"'
    # Contact details must not linger in a shared cache or the browser's.
    response["Cache-Control"] = "no-store"
    return response


class DeliveryPages:
    """LetterAdmin's hand-in page and downloads, as pages and as list actions."""

    @letter_page("change")
    def deliver_view(self, request, letter):
        """Mark as delivered: what will be frozen, the hand-in as it happened, a confirmation."""
        if letter.status != Letter.Status.CLOSED:
            messages.error(request, refusal_reason(letter.status, Letter.Status.DELIVERED))
            return redirect("admin:letters_letter_change", letter.pk)
        form = HandInForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                letter_deliver(
                    letter=letter,
                    hand_in=form.hand_in(),
                    recorded_by=request.user,
                    expected_count=form.cleaned_data["expected_count"],
                )
            except ListChanged as changed:
                form.add_error(None, changed.message)
            except TransitionNotAllowed as refusal:
                messages.error(request, refusal.message)
                return redirect("admin:letters_letter_change", letter.pk)
            else:
                count = letter.delivery.signature_count
                messages.success(
                    request,
                    f"“{letter}” is delivered: {count:,} signature{'s' * (count != 1)} frozen "
                    "in the PDF; receipts are on their way to those who asked for updates.",
                )
                return redirect("admin:letters_letter_change", letter.pk)
        # Shown before the confirmation, and again after a refusal: the PDF as it is now.
        count, pages = frozen_preview(letter)
        if request.method == "POST":
            form.data = {**form.data.dict(), "expected_count": count}  # what they see now
        else:
            planned = hand_in_planned(letter)
            form.initial = {
                "handed_in_at": timezone.localtime(planned.at).replace(second=0, microsecond=0),
                "place": planned.place,
                "expected_count": count,
            }
        return TemplateResponse(
            request,
            "admin/letters/letter/deliver.html",
            tool_context(
                self,
                request,
                letter,
                title=f"Mark as delivered: {letter}",
                form=form,
                count=count,
                pages=pages,
                duplicates=signatory_likely_duplicates(letter=letter),
            ),
            status=400 if request.method == "POST" else 200,
        )

    @letter_page("view")
    def pdf_view(self, request, letter):
        return pdf_response(letter, with_translations="translations" in request.GET)

    @letter_page("see contacts")
    def csv_export_view(self, request, letter):
        """The live list with contact details; ?all=1 for every signature in any state."""
        return csv_response(request, letter, everything=request.GET.get("all") == "1")

    def has_export_contacts_permission(self, request):
        user = request.user
        return user.has_perm(CONTACT_PERMISSION) and (
            user.is_superuser or bool(team_campaign_ids(user, ORGANISER))
        )

    def _one_letter(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one letter.", messages.WARNING)
            return None
        return queryset.get()

    @admin.action(description="Download the signed letter (PDF)", permissions=["view"])
    def download_pdf(self, request, queryset):
        letter = self._one_letter(request, queryset)
        return letter and pdf_response(letter)

    @admin.action(description="Export contact details (CSV)", permissions=["export_contacts"])
    def export_contacts(self, request, queryset):
        letter = self._one_letter(request, queryset)
        if letter and not may_see_contacts(request.user, letter.campaign_id):
            raise PermissionDenied
        return letter and csv_response(request, letter)


@admin.register(Delivery)
class DeliveryAdmin(TeamScopedAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The frozen record of what was handed in: read only."""

    list_display = ["letter", "handed_in_at", "place", "handed_in_by", "signature_count"]
    list_select_related = ["letter", "recorded_by"]
    fields = [
        "letter",
        "handed_in_at",
        "place",
        "handed_in_by",
        "note",
        "signature_count",
        "sha256",
        "pdf_link",
        "recorded_at",
        "recorded_by",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")

    @admin.display(description="PDF as delivered")
    def pdf_link(self, obj):
        url = reverse("letters:delivered_pdf", kwargs={"slug": obj.letter.slug})
        return format_html('<a href="{}">{}</a>', url, url)

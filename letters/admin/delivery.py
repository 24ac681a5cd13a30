"""What goes out of the admin for the hand-in: the signed PDF, the contacts CSV, the record."""

from datetime import timedelta

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from config.admin import ReadOnlyAdminMixin
from letters.admin.base import letter_page, tool_context
from letters.csv_export import csv_lines, export_address_count, export_rough_size
from letters.models import ContactsExport, Delivery, Letter, SignedPdf
from letters.selectors import (
    letter_signature_counts,
    signed_pdf_bytes,
    signed_pdf_latest,
    signed_pdf_progress,
)
from letters.services.contacts_export import (
    contacts_export_bytes,
    contacts_export_latest,
    contacts_export_progress,
)
from letters.services.export_requests import contacts_export_request
from letters.services.lifecycle import (
    HandIn,
    PdfNotCurrent,
    TransitionNotAllowed,
    hand_in_planned,
    letter_deliver,
    pdf_refusal,
    refusal_reason,
)
from letters.services.pdf_requests import signed_pdf_request
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
        "hand-in event's planned time once that has passed (before then, at now): change it "
        "if the hand-in was at another time.",
    )
    place = forms.CharField(label="Place", max_length=500)
    handed_in_by = forms.CharField(
        label="Handed in by",
        max_length=200,
        help_text="Who carried it in, e.g. “Unite and RMT delegation, with John McDonnell MP”.",
    )
    note = forms.CharField(label="Note", required=False, widget=forms.Textarea(attrs={"rows": 3}))
    signed_pdf = forms.IntegerField(widget=forms.HiddenInput)
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


WORKING = {SignedPdf.State.QUEUED, SignedPdf.State.MAKING}


def pdf_download(signed):
    """A ready signed PDF, streamed from its parts (a million names: some 15 MB)."""
    response = StreamingHttpResponse(signed_pdf_bytes(signed), content_type="application/pdf")
    response["Content-Length"] = str(signed.size)
    suffix = "-with-translations" if signed.with_translations else ""
    made = timezone.localtime(signed.finished_at).strftime("%Y-%m-%d-%H%M")
    name = f"{signed.letter.slug}{suffix}-{made}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def pdf_state(signed, counts=None):
    """What the admin shows of a signed PDF: the row, how far the worker has come (in
    numbers and in words), and whether the list has moved since it was made (by the count
    journal)."""
    if signed is None:
        return None
    state = {"pdf": signed, "progress": None, "moved": None, "words": ""}
    if signed.state in WORKING:
        state["progress"] = progress = signed_pdf_progress(signed)
        state["words"] = working_words(signed, progress, doing="Being made", of="names laid out")
    elif signed.is_ready and counts is not None and counts[0] != signed.signature_count:
        state["moved"] = counts[0]
    return state


def working_words(row, progress, *, doing, of):
    """How far a worker has come with a PDF or CSV, in words: its numbers once it has said
    them, else since when it is being made or waits for a worker."""
    since = timezone.localtime(row.requested_at).strftime("%H:%M")
    if progress:
        return f"{doing}: {progress[0]:,} of {progress[1]:,} {of}."
    if row.state == SignedPdf.State.MAKING:
        return f"{doing} since {since}."
    return f"Waiting for a worker since {since}."


def progress_response(row, state):
    """The state of a file being made, for the page's script (static/js/worker-progress.js)."""
    done, total = state["progress"] or (0, 0)
    return JsonResponse(
        {"state": row.state, "done": done, "total": total, "words": state["words"]},
        headers={"Cache-Control": "no-store"},
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


def csv_or_export(request, letter, *, everything=False):
    """The CSV in this response for a list a request can write; past CONTACTS_CSV_DIRECT_ROWS
    (by the count journal) the page where a worker writes it."""
    if export_rough_size(letter, everything=everything) <= settings.CONTACTS_CSV_DIRECT_ROWS:
        return csv_response(request, letter, everything=everything)
    url = reverse("admin:letters_letter_contacts_export", args=[letter.pk])
    return redirect(f"{url}?all=1" if everything else url)


def export_state(export, rows=None):
    """What the admin shows of a contacts export: the row, how far the worker has come, and
    whether the list has moved since (`rows` now, by the count journal)."""
    if export is None:
        return None
    state = {"export": export, "progress": None, "words": "", "moved": None}
    if export.state in WORKING:
        state["progress"] = progress = contacts_export_progress(export)
        state["words"] = working_words(export, progress, doing="Being written", of="rows")
    elif export.is_ready:
        kept = export.finished_at + timedelta(minutes=settings.EXPORT_KEPT_MINUTES)
        state["until"] = timezone.localtime(kept)
        if rows is not None and rows != export.row_count:
            state["moved"] = rows
    return state


class DeliveryPages:
    """LetterAdmin's signed-PDF and hand-in pages, downloads, and their list actions."""

    @letter_page("view")
    def signed_pdf_view(self, request, letter):
        """The signed letter: the PDF made last (and with translations), its state, a new one.

        Made by a worker: a million names take a minute. While one is being
        made the page refreshes itself every few seconds and says how far it
        has come.
        """
        counts = letter_signature_counts(letter=letter)
        variants = [
            (False, "The letter to hand in", pdf_state(signed_pdf_latest(letter=letter), counts)),
            (
                True,
                "With its translations after the names, for readers",
                pdf_state(signed_pdf_latest(letter=letter, with_translations=True), counts),
            ),
        ]
        return TemplateResponse(
            request,
            "admin/letters/letter/signed_pdf.html",
            tool_context(
                self,
                request,
                letter,
                title=f"Signed letter: {letter}",
                variants=variants,
                count=counts[0],
                refresh=any(v[2] and v[2]["pdf"].state in WORKING for v in variants),
            ),
        )

    @letter_page("view")
    def signed_pdf_prepare_view(self, request, letter):
        """POST: ask a worker for a new PDF of the letter as it is now; back to where asked."""
        if request.method != "POST":
            return redirect("admin:letters_letter_signed_pdf", letter.pk)
        translations = request.POST.get("translations") == "1"
        signed_pdf_request(letter=letter, requested_by=request.user, with_translations=translations)
        messages.success(
            request,
            "The PDF is being made from the list as it is now; this page shows how far it "
            "has come, and its download once it is ready.",
        )
        back = "deliver" if request.POST.get("back") == "deliver" else "signed_pdf"
        return redirect(f"admin:letters_letter_{back}", letter.pk)

    @letter_page("view")
    def signed_pdf_progress_view(self, request, letter, pdf_id):
        """The state of a PDF being made, for the page's script: {state, done, total, words}."""
        signed = get_object_or_404(SignedPdf, pk=pdf_id, letter=letter)
        return progress_response(signed, pdf_state(signed))

    @letter_page("view")
    def signed_pdf_download_view(self, request, letter, pdf_id):
        signed = get_object_or_404(SignedPdf.objects.select_related("letter"), pk=pdf_id)
        if signed.letter_id != letter.pk or not signed.is_ready:
            raise Http404("No such PDF.")
        return pdf_download(signed)

    @letter_page("change")
    def deliver_view(self, request, letter):
        """Mark as delivered: the PDF to freeze, the hand-in as it happened, a confirmation."""
        if letter.status != Letter.Status.CLOSED:
            messages.error(request, refusal_reason(letter.status, Letter.Status.DELIVERED))
            return redirect("admin:letters_letter_change", letter.pk)
        latest = signed_pdf_latest(letter=letter)
        form = HandInForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            signed = SignedPdf.objects.filter(pk=form.cleaned_data["signed_pdf"]).first()
            try:
                if signed is None:
                    raise PdfNotCurrent(
                        "A newer PDF of this letter was made since you looked, and replaced "
                        "that one: look at the new one below, and freeze it if it is the one "
                        "you hand in."
                    )
                letter_deliver(
                    letter=letter,
                    hand_in=form.hand_in(),
                    recorded_by=request.user,
                    signed_pdf=signed,
                )
            except PdfNotCurrent as refusal:
                form.add_error(None, refusal.message)
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
        frozen = latest if latest is not None and latest.is_ready else None
        if request.method == "POST":
            # What they are looking at now: the newest ready PDF.
            form.data = {**form.data.dict(), "signed_pdf": frozen.pk if frozen else ""}
        else:
            planned = hand_in_planned(letter)
            # A planned time still to come would be refused: start at now instead.
            start = min(planned.at, timezone.now())
            form.initial = {
                "handed_in_at": timezone.localtime(start).replace(second=0, microsecond=0),
                "place": planned.place,
                "signed_pdf": frozen.pk if frozen else "",
            }
        counts = letter_signature_counts(letter=letter)
        return TemplateResponse(
            request,
            "admin/letters/letter/deliver.html",
            tool_context(
                self,
                request,
                letter,
                title=f"Mark as delivered: {letter}",
                form=form,
                state=pdf_state(latest, counts),
                frozen=frozen,
                refusal=pdf_refusal(letter, frozen) if frozen else "",
                count=counts[0],
                refresh=latest is not None and latest.state in WORKING,
                duplicates=signatory_likely_duplicates(letter=letter),
            ),
            status=400 if request.method == "POST" else 200,
        )

    @letter_page("see contacts")
    def csv_export_view(self, request, letter):
        """The live list with contact details; ?all=1 for every signature in any state."""
        return csv_or_export(request, letter, everything=request.GET.get("all") == "1")

    @letter_page("see contacts")
    def contacts_export_view(self, request, letter):
        """A long list's contacts CSV: the one written last, its progress, a new one."""
        everything = request.GET.get("all") == "1"
        rows = export_rough_size(letter, everything=everything)
        state = export_state(contacts_export_latest(letter=letter, everything=everything), rows)
        return TemplateResponse(
            request,
            "admin/letters/letter/contacts_export.html",
            tool_context(
                self,
                request,
                letter,
                title=f"Contacts CSV: {letter}",
                everything=everything,
                rows=rows,
                state=state,
                kept_minutes=settings.EXPORT_KEPT_MINUTES,
                direct_rows=settings.CONTACTS_CSV_DIRECT_ROWS,
                refresh=state is not None and state["export"].state in WORKING,
            ),
        )

    @letter_page("see contacts")
    def contacts_export_prepare_view(self, request, letter):
        """POST: ask a worker for the CSV of the list as it is now; back to its page."""
        everything = request.POST.get("all") == "1"
        url = reverse("admin:letters_letter_contacts_export", args=[letter.pk])
        url = f"{url}?all=1" if everything else url
        if request.method != "POST":
            return redirect(url)
        contacts_export_request(letter=letter, requested_by=request.user, everything=everything)
        messages.success(
            request,
            "A new CSV of the list as it is now was asked for: it is offered below once a "
            "worker has written it.",
        )
        return redirect(url)

    @letter_page("see contacts")
    def contacts_export_progress_view(self, request, letter, export_id):
        """The state of a CSV being written, for the page's script: {state, done, total, words}."""
        export = get_object_or_404(ContactsExport, pk=export_id, letter=letter)
        return progress_response(export, export_state(export))

    @letter_page("see contacts")
    def contacts_export_download_view(self, request, letter, export_id):
        """A ready CSV, opened part by part; the look at its addresses is logged first."""
        export = ContactsExport.objects.filter(pk=export_id, letter=letter).first()
        if export is None or not export.is_ready:
            raise Http404("No such CSV: it may have been removed. Ask for a new one.")
        contact_view_record(
            user=request.user,
            letter=letter,
            what=LookedAt.ALL_CSV if export.everything else LookedAt.CONTACTS_CSV,
            addresses=export.address_count,
        )
        response = StreamingHttpResponse(
            contacts_export_bytes(export), content_type="text/csv; charset=utf-8"
        )
        response["Content-Length"] = str(export.size)
        which = "all-signatures" if export.everything else "contacts"
        made = timezone.localtime(export.finished_at).strftime("%Y-%m-%d-%H%M")
        response["Content-Disposition"] = f'attachment; filename="{letter.slug}-{which}-{made}.csv"'
        response["Cache-Control"] = "no-store"
        return response

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

    @admin.action(description="The signed letter (PDF)", permissions=["view"])
    def download_pdf(self, request, queryset):
        letter = self._one_letter(request, queryset)
        return letter and redirect("admin:letters_letter_signed_pdf", letter.pk)

    @admin.action(description="Export contact details (CSV)", permissions=["export_contacts"])
    def export_contacts(self, request, queryset):
        letter = self._one_letter(request, queryset)
        if letter and not may_see_contacts(request.user, letter.campaign_id):
            raise PermissionDenied
        return letter and csv_or_export(request, letter)


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

    @admin.display(description="PDF as delivered")
    def pdf_link(self, obj):
        url = reverse("letters:delivered_pdf", kwargs={"slug": obj.letter.slug})
        return format_html('<a href="{}">{}</a>', url, url)

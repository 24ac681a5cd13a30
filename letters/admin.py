import io

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from config.admin import ReadOnlyAdminMixin
from letters.csv_export import csv_lines
from letters.models import (
    Delivery,
    Letter,
    LetterStatusChange,
    LetterTranslation,
    PaperSheet,
    Reply,
    Update,
    UpdateRecipient,
)
from letters.paper_sheet import render_paper_sheets
from letters.pdf import render_letter_pdf
from letters.services import (
    ALLOWED_TRANSITIONS,
    MAX_SHEETS_AT_ONCE,
    TransitionNotAllowed,
    letter_transition,
    paper_sheets_issue,
)
from letters.updates import update_audience_count, update_counts, update_preview, update_send
from signatories.admin import can_see_contacts
from signatories.models import Signatory
from signatories.paper import (
    MAX_CSV_BYTES,
    PaperRowFormSet,
    PaperSheetForm,
    Row,
    import_rows,
    parse_csv,
)


def object_or_404(queryset, object_id):
    """The admin passes ids from the URL as text; anything not a number is a 404, not a 500."""
    if not str(object_id).isdigit():
        raise Http404("No such object.")
    return get_object_or_404(queryset, pk=object_id)


TRANSITION_LABELS = {
    Letter.Status.OPEN: "Open for signatures",
    Letter.Status.CLOSED: "Close to new signatures",
    Letter.Status.DELIVERED: "Mark as delivered",
}


class LetterStatusChangeInline(admin.TabularInline):
    model = LetterStatusChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "from_status", "to_status", "changed_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PaperSheetsForm(forms.Form):
    count = forms.IntegerField(
        label="How many sheets",
        min_value=1,
        max_value=MAX_SHEETS_AT_ONCE,
        initial=5,
        help_text="Each page gets its own sheet ID; type it in with the names.",
    )


class LetterTranslationInline(admin.StackedInline):
    model = LetterTranslation
    extra = 0
    fields = ["language", "is_ready", "title", "salutation", "body", "closing"]


MAX_REPLY_PDF_BYTES = 10 * 1024 * 1024


class ReplyForm(forms.ModelForm):
    upload = forms.FileField(
        label="Reply as PDF", required=False, help_text="Optional; at most 10 MB."
    )

    class Meta:
        model = Reply
        fields = ["received_on", "sender", "text"]

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload is None:
            return None
        if upload.size > MAX_REPLY_PDF_BYTES:
            raise forms.ValidationError("The PDF is larger than 10 MB.")
        data = upload.read()
        if not data.startswith(b"%PDF-"):
            raise forms.ValidationError("This file is not a PDF.")
        return (upload.name[:200], data)

    def save(self, commit=True):
        reply = super().save(commit=False)
        if self.cleaned_data.get("upload"):
            reply.pdf_name, reply.pdf = self.cleaned_data["upload"]
        if commit:
            reply.save()
        return reply


class ReplyInline(admin.StackedInline):
    model = Reply
    form = ReplyForm
    extra = 0
    readonly_fields = ["pdf_name"]

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")


class CsvUploadForm(PaperSheetForm):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: name, organisation, email, kind. UTF-8 (Excel: “CSV UTF-8”), "
        f"at most {MAX_CSV_BYTES // 1024 // 1024} MB.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_CSV_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; the limit is "
                f"{MAX_CSV_BYTES // 1024 // 1024} MB. Split it into smaller files."
            )
        return upload


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "addressee", "status", "moderation", "hand_in_date"]
    actions = ["download_pdf", "export_contacts"]
    list_filter = ["status", "moderation", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["title", "addressee"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["status", "status_changed_at", "created_at", "public_page", "signatures"]
    autocomplete_fields = ["hand_in_event"]
    inlines = [LetterTranslationInline, ReplyInline, LetterStatusChangeInline]
    view_on_site = True
    fieldsets = [
        (None, {"fields": ["campaign", "title", "slug", "public_page"]}),
        ("The letter", {"fields": ["language", "addressee", "salutation", "body", "closing"]}),
        ("Hand-in", {"fields": ["hand_in_date", "hand_in_event", "target_count"]}),
        (
            "Status",
            {"fields": ["status", "status_changed_at", "moderation", "signatures", "created_at"]},
        ),
    ]

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/transition/<str:to_status>/",
                self.admin_site.admin_view(self.transition_view),
                name="letters_letter_transition",
            ),
            path(
                "<path:object_id>/paper/",
                self.admin_site.admin_view(self.paper_entry_view),
                name="letters_letter_paper",
            ),
            path(
                "<path:object_id>/import/",
                self.admin_site.admin_view(self.csv_import_view),
                name="letters_letter_import",
            ),
            path(
                "<path:object_id>/signed-letter.pdf",
                self.admin_site.admin_view(self.pdf_view),
                name="letters_letter_pdf",
            ),
            path(
                "<path:object_id>/contacts.csv",
                self.admin_site.admin_view(self.csv_export_view),
                name="letters_letter_csv",
            ),
            path(
                "<path:object_id>/paper-sheets/",
                self.admin_site.admin_view(self.paper_sheets_view),
                name="letters_letter_sheets",
            ),
        ]
        return own + super().get_urls()

    @admin.display(description="public page")
    def public_page(self, obj):
        if obj.pk is None or obj.status == Letter.Status.DRAFT:
            return "Not public while it is a draft."
        return format_html('<a href="{0}">{0}</a>', obj.get_absolute_url())

    @admin.display(description="signatures")
    def signatures(self, obj):
        if obj.pk is None:
            return "-"
        live = Q(withdrawn_at__isnull=True)
        confirmed = live & Q(confirmed_at__isnull=False)
        counts = Signatory.objects.filter(letter=obj).aggregate(
            awaiting=Count("pk", filter=confirmed & Q(status=Signatory.Status.PENDING)),
            approved=Count("pk", filter=confirmed & Q(status=Signatory.Status.APPROVED)),
            rejected=Count("pk", filter=confirmed & Q(status=Signatory.Status.REJECTED)),
            unconfirmed=Count("pk", filter=live & Q(confirmed_at__isnull=True)),
            withdrawn=Count("pk", filter=Q(withdrawn_at__isnull=False)),
        )
        published = obj.signatories.published().count()
        queue = reverse("admin:signatories_signatory_changelist")
        return format_html(
            "<strong>{}</strong> published · {} approved · "
            '<a href="{}?letter__id__exact={}&queue=awaiting">{} awaiting a decision</a> · '
            "{} rejected · {} not confirmed · {} withdrawn",
            published,
            counts["approved"],
            queue,
            obj.pk,
            counts["awaiting"],
            counts["rejected"],
            counts["unconfirmed"],
            counts["withdrawn"],
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["transitions"] = [
                (status, TRANSITION_LABELS[status])
                for status in ALLOWED_TRANSITIONS[Letter.Status(obj.status)]
            ]
            context["can_add_signatures"] = request.user.has_perm("signatories.add_signatory")
            context["can_export_contacts"] = can_see_contacts(request)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _letter_or_404(self, request, object_id):
        return object_or_404(Letter.objects.all(), object_id)

    def transition_view(self, request, object_id, to_status):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        letter = self._letter_or_404(request, object_id)
        if not self.has_change_permission(request, letter):
            raise PermissionDenied
        if to_status not in Letter.Status.values:
            messages.error(request, f"There is no letter status called “{to_status}”.")
        else:
            try:
                letter_transition(letter=letter, to_status=to_status, changed_by=request.user)
            except TransitionNotAllowed as refusal:
                messages.error(request, refusal.message)
            else:
                messages.success(
                    request, f"The letter is now {letter.get_status_display().lower()}."
                )
        return redirect("admin:letters_letter_change", letter.pk)

    def _paper_context(self, request, letter, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": letter,
            "letter": letter,
            "title": extra.pop("title"),
            "show_emails": can_see_contacts(request),
            **extra,
        }

    def _require_add_signatures(self, request):
        if not request.user.has_perm("signatories.add_signatory"):
            raise PermissionDenied

    def paper_entry_view(self, request, object_id):
        """Type in a stack of paper forms: one row per name, blank rows ignored."""
        letter = self._letter_or_404(request, object_id)
        self._require_add_signatures(request)
        sheet_form = PaperSheetForm(request.POST or None)
        formset = PaperRowFormSet(request.POST or None, prefix="rows")
        summary = None
        if request.method == "POST" and sheet_form.is_valid() and formset.is_valid():
            rows = [
                Row(line=i + 1, data=form.cleaned_data)
                for i, form in enumerate(formset.forms)
                if form.has_changed() and form.cleaned_data.get("name")
            ]
            summary = import_rows(
                letter=letter, rows=rows, paper_sheet=sheet_form.cleaned_data["paper_sheet"]
            )
            messages.success(request, f"Paper sign-ups: {summary}.")
            return redirect("admin:letters_letter_paper", letter.pk)
        return TemplateResponse(
            request,
            "admin/letters/letter/paper_entry.html",
            self._paper_context(
                request,
                letter,
                title=f"Type in paper sign-ups: {letter}",
                sheet_form=sheet_form,
                formset=formset,
            ),
            status=400 if request.method == "POST" else 200,
        )

    def csv_import_view(self, request, object_id):
        """Upload a CSV, see every row checked, then confirm; the file waits in the session."""
        letter = self._letter_or_404(request, object_id)
        self._require_add_signatures(request)
        session_key = f"paper-import-{letter.pk}"
        context = {"title": f"Import paper sign-ups from CSV: {letter}"}
        status = 200

        if request.method == "POST" and "confirm" in request.POST:
            pending = request.session.pop(session_key, None)
            if pending is None:
                messages.error(request, "Nothing to import: upload the file again.")
                return redirect("admin:letters_letter_import", letter.pk)
            parsed = parse_csv(pending["content"].encode())
            summary = import_rows(
                letter=letter, rows=parsed.rows, paper_sheet=pending["paper_sheet"]
            )
            messages.success(request, f"Imported “{pending['filename']}”: {summary}.")
            return redirect("admin:letters_letter_change", letter.pk)

        form = CsvUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data["file"].read()
                parsed = parse_csv(data)
                context["parsed"] = parsed
                if parsed.errors or not parsed.valid_rows:
                    status = 400
                else:
                    request.session[session_key] = {
                        "filename": form.cleaned_data["file"].name,
                        "content": data.decode("utf-8-sig"),
                        "paper_sheet": form.cleaned_data["paper_sheet"],
                    }
                    context["ready"] = len(parsed.valid_rows)
            else:
                status = 400
        context["form"] = form
        return TemplateResponse(
            request,
            "admin/letters/letter/paper_import.html",
            self._paper_context(request, letter, **context),
            status=status,
        )

    # Delivery: the signed letter, the staff export, paper sheets.

    def has_export_contacts_permission(self, request):
        return can_see_contacts(request)

    def _one_letter(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, "Select exactly one letter.", messages.WARNING)
            return None
        return queryset.get()

    @admin.action(description="Download the signed letter (PDF)", permissions=["view"])
    def download_pdf(self, request, queryset):
        letter = self._one_letter(request, queryset)
        return letter and self._pdf_response(letter)

    @admin.action(description="Export contact details (CSV)", permissions=["export_contacts"])
    def export_contacts(self, request, queryset):
        letter = self._one_letter(request, queryset)
        return letter and self._csv_response(letter)

    def _pdf_response(self, letter, *, with_translations=False):
        buffer = io.BytesIO()
        render_letter_pdf(letter, buffer, with_translations=with_translations)
        buffer.seek(0)
        return FileResponse(
            buffer,
            as_attachment=True,
            filename=f"{letter.slug}.pdf",
            content_type="application/pdf",
        )

    def _csv_response(self, letter):
        response = StreamingHttpResponse(csv_lines(letter), content_type="text/csv; charset=utf-8")
        stamp = timezone.localdate().isoformat()
        response["Content-Disposition"] = (
            f'attachment; filename="{letter.slug}-contacts-{stamp}.csv"'
        )
        # Contact details must not linger in a shared cache or the browser's.
        response["Cache-Control"] = "no-store"
        return response

    def pdf_view(self, request, object_id):
        letter = self._letter_or_404(request, object_id)
        if not self.has_view_permission(request, letter):
            raise PermissionDenied
        return self._pdf_response(letter, with_translations="translations" in request.GET)

    def csv_export_view(self, request, object_id):
        letter = self._letter_or_404(request, object_id)
        if not can_see_contacts(request):
            raise PermissionDenied
        return self._csv_response(letter)

    def paper_sheets_view(self, request, object_id):
        """Number a batch of sheets and print them, one page each."""
        letter = self._letter_or_404(request, object_id)
        self._require_add_signatures(request)
        form = PaperSheetsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            sheets = paper_sheets_issue(
                letter=letter, count=form.cleaned_data["count"], printed_by=request.user
            )
            buffer = io.BytesIO()
            sign_url = f"{settings.SITE_URL}{letter.get_absolute_url()}#sign"
            render_paper_sheets(letter, sheets, sign_url, buffer)
            buffer.seek(0)
            name = f"{letter.slug}-sheets-{sheets[0].code}-to-{sheets[-1].code}.pdf"
            return FileResponse(
                buffer, as_attachment=True, filename=name, content_type="application/pdf"
            )
        return TemplateResponse(
            request,
            "admin/letters/letter/paper_sheets.html",
            self._paper_context(
                request,
                letter,
                title=f"Print paper sign-up sheets: {letter}",
                form=form,
                printed=letter.paper_sheets.count(),
            ),
            status=400 if request.method == "POST" else 200,
        )


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The frozen record of what was handed in: read only."""

    list_display = ["letter", "delivered_at", "signature_count", "delivered_by", "sha256"]
    list_select_related = ["letter", "delivered_by"]
    fields = [
        "letter",
        "delivered_at",
        "delivered_by",
        "place",
        "signature_count",
        "sha256",
        "pdf_link",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("pdf")

    @admin.display(description="PDF as delivered")
    def pdf_link(self, obj):
        url = reverse("letters:delivered_pdf", kwargs={"slug": obj.letter.slug})
        return format_html('<a href="{}">{}</a>', url, url)


@admin.register(PaperSheet)
class PaperSheetAdmin(admin.ModelAdmin):
    list_display = ["code", "letter", "printed_at", "printed_by"]
    list_filter = ["letter"]
    list_select_related = ["letter", "printed_by"]
    readonly_fields = ["letter", "number", "printed_at", "printed_by"]

    def has_add_permission(self, request):
        return False  # sheets are numbered by printing them from the letter's page


@admin.register(Update)
class UpdateAdmin(admin.ModelAdmin):
    list_display = ["subject", "letter", "kind", "created_at", "queued", "sent", "failed"]
    list_filter = ["kind", "letter"]
    list_select_related = ["letter"]
    fields = ["letter", "subject", "body", "is_public", "kind", "created_by", "send_requested_at"]
    readonly_fields = ["kind", "created_by", "send_requested_at"]
    actions = ["send_selected"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.send_requested_at:
            fields.append("letter")  # its copies are addressed to that letter's signatories
        return fields

    def get_queryset(self, request):
        status = UpdateRecipient.Status
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_queued=Count("recipients", filter=Q(recipients__status=status.QUEUED)),
                n_sent=Count("recipients", filter=Q(recipients__status=status.SENT)),
                n_failed=Count("recipients", filter=Q(recipients__status=status.FAILED)),
            )
        )

    @admin.display(description="queued", ordering="n_queued")
    def queued(self, obj):
        return obj.n_queued

    @admin.display(description="sent", ordering="n_sent")
    def sent(self, obj):
        return obj.n_sent

    @admin.display(description="failed", ordering="n_failed")
    def failed(self, obj):
        return obj.n_failed

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        return [
            path(
                "<path:object_id>/preview/",
                self.admin_site.admin_view(self.preview_view),
                name="letters_update_preview",
            ),
            path(
                "<path:object_id>/send/",
                self.admin_site.admin_view(self.send_view),
                name="letters_update_send",
            ),
            *super().get_urls(),
        ]

    def _update_or_404(self, object_id):
        return object_or_404(Update.objects.select_related("letter__campaign"), object_id)

    def preview_view(self, request, object_id):
        """The mail as a signatory will receive it; the addressee shown is a stand-in."""
        update = self._update_or_404(object_id)
        if not self.has_view_permission(request, update):
            raise PermissionDenied
        subject, body = update_preview(update=update)
        return TemplateResponse(
            request,
            "admin/letters/update/preview.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "original": update,
                "title": f"Preview: {update.subject}",
                "subject": subject,
                "body": body,
                "audience": update_audience_count(update=update),
                "counts": update_counts(update=update),
            },
        )

    def send_view(self, request, object_id):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        update = self._update_or_404(object_id)
        if not self.has_change_permission(request, update):
            raise PermissionDenied
        self._send(request, update)
        return redirect("admin:letters_update_change", update.pk)

    def _send(self, request, update):
        queued = update_send(update=update)
        if queued:
            self.message_user(request, f"“{update}”: {queued} copies queued for sending.")
        else:
            self.message_user(
                request,
                f"“{update}”: nothing to send; everyone in its audience has it.",
                messages.WARNING,
            )

    @admin.action(description="Send to signatories who asked for updates", permissions=["change"])
    def send_selected(self, request, queryset):
        for update in queryset.select_related("letter"):
            self._send(request, update)

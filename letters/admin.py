from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from letters.models import Letter, LetterStatusChange
from letters.services import ALLOWED_TRANSITIONS, TransitionNotAllowed, letter_transition
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
    list_filter = ["status", "moderation", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["title", "addressee"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["status", "status_changed_at", "created_at", "public_page", "signatures"]
    autocomplete_fields = ["hand_in_event"]
    inlines = [LetterStatusChangeInline]
    view_on_site = True
    fieldsets = [
        (None, {"fields": ["campaign", "title", "slug", "public_page"]}),
        ("The letter", {"fields": ["addressee", "salutation", "body", "closing"]}),
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
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _letter_or_404(self, request, object_id):
        if not str(object_id).isdigit():
            raise Http404("No such letter.")
        return get_object_or_404(Letter, pk=object_id)

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

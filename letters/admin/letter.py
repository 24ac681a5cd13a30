"""The letter's list and change page: its text, hand-in, counts and lifecycle buttons.

The pages that hang off a letter are mixed in from their own modules; their
addresses are all listed in `get_urls`.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from letters.admin.base import letter_page, may_add_signatures
from letters.admin.delivery import DeliveryPages
from letters.admin.imports import ImportPages
from letters.admin.inlines import LetterStatusChangeInline, LetterTranslationInline, ReplyInline
from letters.admin.paper import PaperPages
from letters.models import Letter
from letters.services.lifecycle import ALLOWED_TRANSITIONS, TransitionNotAllowed, letter_transition
from signatories.selectors import (
    signatory_counts,
    signatory_likely_duplicates,
    signatory_reminded_count,
)
from teams.access import may_see_contacts
from teams.admin import TeamScopedAdmin

# The steps a button takes at once; delivery has a page of its own (letters/admin/delivery.py).
STEP_LABELS = {
    Letter.Status.OPEN: "Open for signatures",
    Letter.Status.CLOSED: "Close to new signatures",
}
REOPEN_LABEL = "Reopen for signatures"


def counts_in_words(letter, counts, reminded=None):
    """ "38 on the list: 35 approved, 3 awaiting a decision. Not on the list: ..." as HTML."""
    queue = reverse("admin:signatories_signatory_changelist")

    def link(text, queue_name):
        return format_html(
            '<a href="{}?letter__id__exact={}&amp;queue={}">{}</a>',
            queue,
            letter.pk,
            queue_name,
            text,
        )

    awaiting_listed = counts["published"] - counts["approved"]  # post-moderated letters
    on_list = [f"{counts['approved']:,} approved"]
    if awaiting_listed:
        on_list.append(link(f"{awaiting_listed:,} awaiting a decision", "awaiting"))
    waiting = counts["awaiting"] - awaiting_listed
    off_list = [
        (waiting, link(f"{waiting:,} awaiting a decision", "awaiting")),
        (counts["rejected"], f"{counts['rejected']:,} rejected"),
        (counts["unconfirmed"], f"{counts['unconfirmed']:,} not confirmed by e-mail yet"),
        (counts["withdrawn"], f"{counts['withdrawn']:,} withdrawn"),
    ]
    off_list = [text for number, text in off_list if number > 0]
    html = format_html(
        "<strong>{}</strong> on the list: {}.",
        f"{counts['published']:,}",
        format_html_join(", ", "{}", ((part,) for part in on_list)),
    )
    if off_list:
        html = format_html(
            "{} Not on the list: {}.",
            html,
            format_html_join(", ", "{}", ((part,) for part in off_list)),
        )
    if counts["suspect"]:
        html = format_html(
            "{} {} by the abuse checks.",
            html,
            link(f"{counts['suspect']:,} flagged as suspect", "suspect"),
        )
    if reminded:
        html = format_html(
            "{} {} reminded by e-mail to confirm (once each, {} hours after signing).",
            html,
            f"{reminded:,}",
            settings.UNCONFIRMED_REMINDER_HOURS,
        )
    return html


@admin.register(Letter)
class LetterAdmin(TeamScopedAdmin, PaperPages, ImportPages, DeliveryPages, admin.ModelAdmin):
    list_display = ["title", "campaign", "addressee", "status", "moderation", "hand_in_date"]
    actions = ["download_pdf", "export_contacts"]
    list_filter = ["status", "moderation", ("campaign", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["campaign"]
    search_fields = ["title", "addressee"]
    prepopulated_fields = {"slug": ["title"]}
    readonly_fields = ["status", "status_changed_at", "created_at", "public_page", "signatures"]
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
        def page(route, view, name):
            return path(
                f"<path:object_id>/{route}",
                self.admin_site.admin_view(view),
                name=f"letters_letter_{name}",
            )

        return [
            page("transition/<str:to_status>/", self.transition_view, "transition"),
            page("deliver/", self.deliver_view, "deliver"),
            page("paper/", self.paper_entry_view, "paper"),
            page("import/", self.csv_import_view, "import"),
            page("signed-letter/", self.signed_pdf_view, "signed_pdf"),
            page("signed-letter/prepare/", self.signed_pdf_prepare_view, "signed_pdf_prepare"),
            page(
                "signed-letter/<int:pdf_id>.pdf", self.signed_pdf_download_view, "signed_pdf_file"
            ),
            page(
                "signed-letter/<int:pdf_id>/progress.json",
                self.signed_pdf_progress_view,
                "signed_pdf_progress",
            ),
            page("contacts.csv", self.csv_export_view, "csv"),
            page("contacts/", self.contacts_export_view, "contacts_export"),
            page("contacts/prepare/", self.contacts_export_prepare_view, "contacts_export_prepare"),
            page(
                "contacts/<int:export_id>.csv",
                self.contacts_export_download_view,
                "contacts_export_file",
            ),
            page(
                "contacts/<int:export_id>/progress.json",
                self.contacts_export_progress_view,
                "contacts_export_progress",
            ),
            page("paper-sheets/", self.paper_sheets_view, "sheets"),
            *super().get_urls(),
        ]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status == Letter.Status.DELIVERED:
            # What was handed in is on record; its text and hand-in stay as they were.
            fields += [
                "campaign",
                "title",
                "slug",
                "language",
                "addressee",
                "salutation",
                "body",
                "closing",
                "hand_in_date",
                "hand_in_event",
                "target_count",
                "moderation",
            ]
        return fields

    def get_prepopulated_fields(self, request, obj=None):
        if obj is not None and obj.status == Letter.Status.DELIVERED:
            return {}  # the slug is read-only then
        return super().get_prepopulated_fields(request, obj)

    @admin.display(description="public page")
    def public_page(self, obj):
        if obj.pk is None or obj.status == Letter.Status.DRAFT:
            return "Not public while it is a draft."
        return format_html('<a href="{0}">{0}</a>', obj.get_absolute_url())

    @admin.display(description="signatures")
    def signatures(self, obj):
        if obj.pk is None:
            return "-"
        return counts_in_words(obj, signatory_counts(letter=obj))

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            status = Letter.Status(obj.status)
            allowed = ALLOWED_TRANSITIONS[status]
            context["steps"] = [
                (step, REOPEN_LABEL if status == Letter.Status.CLOSED else STEP_LABELS[step])
                for step in (Letter.Status.OPEN, Letter.Status.CLOSED)
                if step in allowed
            ]
            context["can_deliver"] = Letter.Status.DELIVERED in allowed
            context["may_change"] = self.has_change_permission(request, obj)
            context["counts_in_words"] = counts_in_words(
                obj, signatory_counts(letter=obj), signatory_reminded_count(letter=obj)
            )
            if status != Letter.Status.DELIVERED:
                context["duplicates"] = signatory_likely_duplicates(letter=obj)
            context["can_add_signatures"] = status != Letter.Status.DELIVERED and (
                may_add_signatures(request.user, obj)
            )
            context["can_export_contacts"] = may_see_contacts(request.user, obj.campaign_id)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @letter_page("change")
    def transition_view(self, request, letter, to_status):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        if to_status == Letter.Status.DELIVERED:
            # Handing in is entered and confirmed on a page of its own.
            return redirect("admin:letters_letter_deliver", letter.pk)
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

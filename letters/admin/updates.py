"""Updates to signatories: written here, previewed as a signatory gets them, then sent."""

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path

from config.admin import admin_page, may_change, may_view, page_context
from letters.models import Update, UpdateRecipient
from letters.selectors import update_audience_count, update_counts, update_preview
from letters.services.updates import update_send
from teams.admin import TeamScopedAdmin


def _with_letter(model_admin, request):
    return Update.objects.select_related("letter__campaign")


@admin.register(Update)
class UpdateAdmin(TeamScopedAdmin, admin.ModelAdmin):
    list_display = ["subject", "letter", "kind", "created_at", "queued", "sent", "failed"]
    list_filter = ["kind", ("letter", admin.RelatedOnlyFieldListFilter)]
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

    @admin_page(may_view, queryset=_with_letter)
    def preview_view(self, request, update):
        """The mail as a signatory will receive it; the addressee shown is a stand-in."""
        subject, body = update_preview(update=update)
        return TemplateResponse(
            request,
            "admin/letters/update/preview.html",
            page_context(
                self,
                request,
                update,
                title=f"Preview: {update.subject}",
                subject=subject,
                body=body,
                audience=update_audience_count(update=update),
                counts=update_counts(update=update),
            ),
        )

    @admin_page(may_change, queryset=_with_letter)
    def send_view(self, request, update):
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        self._send(request, update)
        return redirect("admin:letters_update_change", update.pk)

    def _send(self, request, update):
        queued = update_send(update=update)
        if queued:
            copies = "copy" if queued == 1 else "copies"
            self.message_user(request, f"“{update}”: {queued:,} {copies} queued for sending.")
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

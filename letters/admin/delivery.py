"""What goes out of the admin for the hand-in: the signed PDF, the contacts CSV, the record."""

import io

from django.contrib import admin, messages
from django.http import FileResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from config.admin import ReadOnlyAdminMixin
from letters.admin.base import letter_page
from letters.csv_export import csv_lines
from letters.models import Delivery
from letters.pdf import render_letter_pdf
from signatories.roles import can_see_contacts


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


def csv_response(letter):
    response = StreamingHttpResponse(csv_lines(letter), content_type="text/csv; charset=utf-8")
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{letter.slug}-contacts-{stamp}.csv"'
    # Contact details must not linger in a shared cache or the browser's.
    response["Cache-Control"] = "no-store"
    return response


class DeliveryPages:
    """LetterAdmin's downloads, as pages and as list actions."""

    @letter_page("view")
    def pdf_view(self, request, letter):
        return pdf_response(letter, with_translations="translations" in request.GET)

    @letter_page("see contacts")
    def csv_export_view(self, request, letter):
        return csv_response(letter)

    def has_export_contacts_permission(self, request):
        return can_see_contacts(request.user)

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
        return letter and csv_response(letter)


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

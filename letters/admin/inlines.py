from django import forms
from django.contrib import admin

from letters.models import LetterStatusChange, LetterTranslation, Reply

MAX_REPLY_PDF_BYTES = 10 * 1024 * 1024


class LetterStatusChangeInline(admin.TabularInline):
    model = LetterStatusChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "from_status", "to_status", "changed_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class LetterTranslationInline(admin.StackedInline):
    model = LetterTranslation
    extra = 0
    fields = ["language", "is_ready", "title", "salutation", "body", "closing"]


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

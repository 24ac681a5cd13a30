from django.contrib import admin

from signatories.models import Signatory


@admin.register(Signatory)
class SignatoryAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "affiliation",
        "kind",
        "letter",
        "source",
        "status",
        "confirmed_at",
        "withdrawn_at",
        "created_at",
    ]
    list_filter = ["status", "kind", "source", "letter"]
    list_select_related = ["letter"]
    search_fields = ["name", "affiliation", "email"]
    readonly_fields = ["sort_key", "ip_hash", "created_at"]
    show_full_result_count = False

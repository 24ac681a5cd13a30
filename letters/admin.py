from django.contrib import admin

from letters.models import Letter, LetterStatusChange


class LetterStatusChangeInline(admin.TabularInline):
    model = LetterStatusChange
    extra = 0
    can_delete = False
    fields = ["changed_at", "from_status", "to_status", "changed_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Letter)
class LetterAdmin(admin.ModelAdmin):
    list_display = ["title", "campaign", "addressee", "status", "moderation", "hand_in_date"]
    list_filter = ["status", "moderation", "campaign"]
    list_select_related = ["campaign"]
    search_fields = ["title", "addressee"]
    prepopulated_fields = {"slug": ["title"]}
    # The lifecycle has its own service and audit; see the moderation issue.
    readonly_fields = ["status", "status_changed_at", "created_at"]
    autocomplete_fields = ["hand_in_event"]
    inlines = [LetterStatusChangeInline]
    view_on_site = True

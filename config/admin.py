class ReadOnlyAdminMixin:
    """For records that are history (audit entries, what was delivered): look, never touch."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

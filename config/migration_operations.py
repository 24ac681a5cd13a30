"""Migration operations for tables that may already hold millions of rows.

A plain CREATE INDEX on the signatory table locks out signing until the
index is built: minutes at six million rows. On PostgreSQL these build it
CONCURRENTLY instead (signing goes on; the migration must be non-atomic);
on SQLite (development) they are the plain operation.
"""

from django.db.migrations.operations import AddIndex


class AddIndexConcurrentlyOnPostgres(AddIndex):
    atomic = False

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            options = {"concurrently": True} if _postgres(schema_editor) else {}
            schema_editor.add_index(model, self.index, **options)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            options = {"concurrently": True} if _postgres(schema_editor) else {}
            schema_editor.remove_index(model, self.index, **options)


def _postgres(schema_editor):
    return schema_editor.connection.vendor == "postgresql"

"""On PostgreSQL the access log refuses UPDATE and DELETE to any SQL, not only to the app.

SQLite (development) has no such trigger: Django's test flush deletes rows
with DELETE there, which a trigger would refuse; the model refuses instead.
"""

from django.db import migrations

FORWARD = """
CREATE FUNCTION teams_contactview_refuse() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the access log is a record: an entry is never changed or deleted';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER teams_contactview_is_a_record
    BEFORE UPDATE OR DELETE ON teams_contactview
    FOR EACH ROW EXECUTE FUNCTION teams_contactview_refuse();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS teams_contactview_is_a_record ON teams_contactview;
DROP FUNCTION IF EXISTS teams_contactview_refuse();
"""


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("teams", "0002_access_log")]
    operations = [migrations.RunPython(forward, backward)]

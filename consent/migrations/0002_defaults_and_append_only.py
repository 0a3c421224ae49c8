"""Default purposes with their first notices, the ledger head row, and (PostgreSQL) the append-only trigger."""

from django.db import migrations

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION consent_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'consent_consentevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS consent_event_append_only ON consent_consentevent;
CREATE TRIGGER consent_event_append_only
    BEFORE UPDATE OR DELETE ON consent_consentevent
    FOR EACH ROW EXECUTE FUNCTION consent_event_append_only();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS consent_event_append_only ON consent_consentevent;
DROP FUNCTION IF EXISTS consent_event_append_only();
"""


def defaults(apps, schema_editor):
    from consent.purposes import install_default_purposes

    install_default_purposes(apps.get_model("consent", "Purpose"), apps.get_model("consent", "NoticeVersion"))
    apps.get_model("consent", "LedgerHead").objects.get_or_create(pk=1)


def trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("consent", "0001_initial")]

    operations = [
        migrations.RunPython(defaults, migrations.RunPython.noop),
        migrations.RunPython(trigger, drop_trigger),
    ]

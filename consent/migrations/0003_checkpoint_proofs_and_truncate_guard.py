"""Checkpoints carry their frontier and a consistency proof from the one before; (PostgreSQL) TRUNCATE of the
ledger and checkpoint tables and row UPDATE/DELETE of checkpoints are refused by triggers."""

from django.db import migrations, models

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION consent_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS consent_checkpoint_append_only ON consent_ledgercheckpoint;
CREATE TRIGGER consent_checkpoint_append_only
    BEFORE UPDATE OR DELETE ON consent_ledgercheckpoint
    FOR EACH ROW EXECUTE FUNCTION consent_event_append_only();

-- A superuser can switch every trigger off (session_replication_role), so exempting one takes nothing
-- away; it keeps a superuser's maintenance (and the test runner's flush) working.
CREATE OR REPLACE FUNCTION consent_ledger_no_truncate() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = current_user AND rolsuper) THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION '% is append-only: TRUNCATE refused', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS consent_event_no_truncate ON consent_consentevent;
CREATE TRIGGER consent_event_no_truncate
    BEFORE TRUNCATE ON consent_consentevent
    FOR EACH STATEMENT EXECUTE FUNCTION consent_ledger_no_truncate();
DROP TRIGGER IF EXISTS consent_checkpoint_no_truncate ON consent_ledgercheckpoint;
CREATE TRIGGER consent_checkpoint_no_truncate
    BEFORE TRUNCATE ON consent_ledgercheckpoint
    FOR EACH STATEMENT EXECUTE FUNCTION consent_ledger_no_truncate();
"""

DROP_SQL = """
DROP TRIGGER IF EXISTS consent_checkpoint_no_truncate ON consent_ledgercheckpoint;
DROP TRIGGER IF EXISTS consent_event_no_truncate ON consent_consentevent;
DROP FUNCTION IF EXISTS consent_ledger_no_truncate();
DROP TRIGGER IF EXISTS consent_checkpoint_append_only ON consent_ledgercheckpoint;
"""


def proofs(apps, schema_editor):
    """Give the checkpoints signed before this migration their frontier and consistency proof."""
    from consent import merkle

    Checkpoint = apps.get_model("consent", "LedgerCheckpoint")
    Event = apps.get_model("consent", "ConsentEvent")
    checkpoints = list(Checkpoint.objects.order_by("tree_size"))
    if not checkpoints:
        return
    wanted = {c.tree_size: c for c in checkpoints}
    frontier: list[bytes] = []
    previous: tuple[int, list[bytes]] | None = None
    since: list[bytes] = []
    hashes = Event.objects.order_by("index").values_list("leaf_hash", flat=True)
    for size, leaf in enumerate(hashes.iterator(chunk_size=5000), start=1):
        leaf = bytes.fromhex(leaf)
        frontier = merkle.frontier_append(frontier, size - 1, leaf)
        since.append(leaf)
        checkpoint = wanted.get(size)
        if checkpoint is None:
            continue
        proof = merkle.consistency_proof(previous[0], previous[1], since) if previous else []
        Checkpoint.objects.filter(pk=checkpoint.pk).update(
            frontier=[h.hex() for h in frontier], consistency=" ".join(h.hex() for h in proof)
        )
        previous, since = (size, list(frontier)), []


def trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(TRIGGER_SQL, params=None)


def drop_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [("consent", "0002_defaults_and_append_only")]

    operations = [
        migrations.AddField(
            model_name="ledgercheckpoint",
            name="consistency",
            field=models.TextField(blank=True),
        ),
        migrations.AddField(
            model_name="ledgercheckpoint",
            name="frontier",
            field=models.JSONField(default=list),
        ),
        migrations.RunPython(proofs, migrations.RunPython.noop),
        migrations.RunPython(trigger, drop_trigger),
    ]

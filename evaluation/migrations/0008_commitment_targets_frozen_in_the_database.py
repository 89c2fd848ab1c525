"""A commitment's indicator targets are frozen in the database once its pact has left the
draft, as its free-text targets were (signatories/0002): what a party commits to is what it
signs. The pages refuse first, in French (evaluation.services); this trigger is the last
guard. Deleting rows is not guarded (as in signatories/0002).

After signatories/0003: on SQLite a trigger naming signatories_commitment must not exist
while that table is rebuilt."""

import importlib

from django.db import migrations

FROZEN = importlib.import_module(
    "signatories.migrations.0002_signed_pact_parties_frozen_in_the_database"
)


# The status of the pact of a commitment's target (a row of evaluation_target with a
# commitment), read from NEW or OLD; the row may no longer change once it left the draft.
TARGET_PACT = (
    "(SELECT p.status FROM signatories_commitment c"
    " JOIN signatories_signatory s ON s.id = c.signatory_id"
    " JOIN pti_pact p ON p.id = s.pact_id WHERE c.id = {side}.commitment_id)"
)


def create_triggers(apps, schema_editor):
    new, old = TARGET_PACT.format(side="NEW"), TARGET_PACT.format(side="OLD")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"""
CREATE FUNCTION evaluation_target_commitment_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.commitment_id IS NOT NULL AND {new} <> 'draft')
       OR (TG_OP = 'UPDATE' AND OLD.commitment_id IS NOT NULL AND {old} <> 'draft') THEN
        RAISE EXCEPTION '{FROZEN.MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER evaluation_target_commitment_frozen BEFORE INSERT OR UPDATE ON evaluation_target
    FOR EACH ROW EXECUTE FUNCTION evaluation_target_commitment_frozen();
""")
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            "CREATE TRIGGER evaluation_target_commitment_frozen_insert BEFORE INSERT ON "
            f"evaluation_target FOR EACH ROW WHEN NEW.commitment_id IS NOT NULL AND {new} "
            f"<> 'draft' {FROZEN._RAISE}"
        )
        schema_editor.execute(
            "CREATE TRIGGER evaluation_target_commitment_frozen_update BEFORE UPDATE ON "
            f"evaluation_target FOR EACH ROW WHEN (NEW.commitment_id IS NOT NULL AND {new} "
            f"<> 'draft') OR (OLD.commitment_id IS NOT NULL AND {old} <> 'draft') "
            f"{FROZEN._RAISE}"
        )


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "DROP TRIGGER evaluation_target_commitment_frozen ON evaluation_target; "
            "DROP FUNCTION evaluation_target_commitment_frozen();"
        )
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute("DROP TRIGGER evaluation_target_commitment_frozen_update")
        schema_editor.execute("DROP TRIGGER evaluation_target_commitment_frozen_insert")


class Migration(migrations.Migration):
    dependencies = [
        ("evaluation", "0007_commitment_targets_on_the_commitment"),
        ("signatories", "0003_commitment_target_replaced_by_indicator_targets"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]

"""A version of the pact that is no longer a draft is frozen in the database itself, whoever
writes (a page, the admin, a script, a bulk update): its text, period and version cannot
change, its status only moves forward (adopted -> signed -> archived), and its orientations and
objectives are neither added nor changed. The pages and the admin refuse first, in French
(pti.services.ensure_draft, Pact.clean); these triggers are the last guard.

Deleting rows is not guarded here (the admin and the services refuse it): the test runner
empties tables with DELETE on SQLite."""

from django.db import migrations

MESSAGE = "Ce pacte n''est plus un projet : il ne peut plus être modifié (créez un avenant)."

# The columns that say what the version is (Pact.CONTENT_FIELDS without the lifecycle ones).
CONTENT = [
    "code",
    "title",
    "department_name",
    "period_start",
    "period_end",
    "preamble",
    "legal_frame",
    "deliberation_date",
    "version",
    "amendment_reason",
    "amends_id",
]
FORWARD = (
    "(OLD.status = 'adopted' AND NEW.status = 'signed')"
    " OR (OLD.status = 'signed' AND NEW.status = 'archived')"
)


def _pact_change_refused(distinct):
    """The condition, for an UPDATE of pti_pact, under which the row may not change."""
    changed = " OR ".join(distinct(column) for column in CONTENT)
    return (
        f"OLD.status <> 'draft' AND ({changed}"
        f" OR ({distinct('status')} AND NOT ({FORWARD}))"
        f" OR ({distinct('signed_on')} AND NOT (OLD.status = 'adopted' AND NEW.status = 'signed'))"
        f" OR ({distinct('archived_on')} AND NOT (OLD.status = 'signed'"
        " AND NEW.status = 'archived')))"
    )


POSTGRESQL = f"""
CREATE FUNCTION pti_pact_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {_pact_change_refused(lambda c: f"NEW.{c} IS DISTINCT FROM OLD.{c}")} THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER pti_pact_frozen BEFORE UPDATE ON pti_pact
    FOR EACH ROW EXECUTE FUNCTION pti_pact_frozen();

CREATE FUNCTION pti_orientation_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pti_pact WHERE id = NEW.pact_id AND status <> 'draft')
       OR (TG_OP = 'UPDATE'
           AND EXISTS (SELECT 1 FROM pti_pact WHERE id = OLD.pact_id AND status <> 'draft')) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER pti_orientation_frozen BEFORE INSERT OR UPDATE ON pti_orientation
    FOR EACH ROW EXECUTE FUNCTION pti_orientation_frozen();

CREATE FUNCTION pti_objective_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pti_orientation o JOIN pti_pact p ON p.id = o.pact_id
               WHERE o.id = NEW.orientation_id AND p.status <> 'draft')
       OR (TG_OP = 'UPDATE'
           AND EXISTS (SELECT 1 FROM pti_orientation o JOIN pti_pact p ON p.id = o.pact_id
                       WHERE o.id = OLD.orientation_id AND p.status <> 'draft')) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER pti_objective_frozen BEFORE INSERT OR UPDATE ON pti_objective
    FOR EACH ROW EXECUTE FUNCTION pti_objective_frozen();
"""

POSTGRESQL_REVERSE = """
DROP TRIGGER pti_objective_frozen ON pti_objective;
DROP FUNCTION pti_objective_frozen();
DROP TRIGGER pti_orientation_frozen ON pti_orientation;
DROP FUNCTION pti_orientation_frozen();
DROP TRIGGER pti_pact_frozen ON pti_pact;
DROP FUNCTION pti_pact_frozen();
"""

_ORIENTATION_FROZEN = "(SELECT status FROM pti_pact WHERE id = {side}.pact_id) <> 'draft'"
_OBJECTIVE_FROZEN = (
    "(SELECT p.status FROM pti_orientation o JOIN pti_pact p ON p.id = o.pact_id"
    " WHERE o.id = {side}.orientation_id) <> 'draft'"
)
_RAISE = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"

SQLITE = [
    f"CREATE TRIGGER pti_pact_frozen BEFORE UPDATE ON pti_pact FOR EACH ROW WHEN "
    f"{_pact_change_refused(lambda c: f'NEW.{c} IS NOT OLD.{c}')} {_RAISE}",
    f"CREATE TRIGGER pti_orientation_frozen_insert BEFORE INSERT ON pti_orientation "
    f"FOR EACH ROW WHEN {_ORIENTATION_FROZEN.format(side='NEW')} {_RAISE}",
    f"CREATE TRIGGER pti_orientation_frozen_update BEFORE UPDATE ON pti_orientation "
    f"FOR EACH ROW WHEN {_ORIENTATION_FROZEN.format(side='NEW')} "
    f"OR {_ORIENTATION_FROZEN.format(side='OLD')} {_RAISE}",
    f"CREATE TRIGGER pti_objective_frozen_insert BEFORE INSERT ON pti_objective "
    f"FOR EACH ROW WHEN {_OBJECTIVE_FROZEN.format(side='NEW')} {_RAISE}",
    f"CREATE TRIGGER pti_objective_frozen_update BEFORE UPDATE ON pti_objective "
    f"FOR EACH ROW WHEN {_OBJECTIVE_FROZEN.format(side='NEW')} "
    f"OR {_OBJECTIVE_FROZEN.format(side='OLD')} {_RAISE}",
]
SQLITE_REVERSE = [
    "DROP TRIGGER pti_objective_frozen_update",
    "DROP TRIGGER pti_objective_frozen_insert",
    "DROP TRIGGER pti_orientation_frozen_update",
    "DROP TRIGGER pti_orientation_frozen_insert",
    "DROP TRIGGER pti_pact_frozen",
]


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE:
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("pti", "0002_user_must_change_password")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]

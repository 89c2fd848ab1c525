"""The parties of a signed pact and their commitments are frozen in the database itself, like
the pact's text (pti/0003), whoever writes (a page, a script, a bulk update):

- a party (signatory) is neither added nor changed once its pact is signed or archived: while
  the pact is adopted, the signature round still records who signed, when, or who declined;
- a commitment and its targets are neither added nor changed once their pact has left the
  draft (what each party commits to is what it signs).

The pages refuse first, in French (signatories.services); these triggers are the last guard.
As in pti/0003, deleting rows is not guarded here (the pages refuse it; the test runner
empties tables with DELETE on SQLite)."""

from django.db import migrations

MESSAGE = "Ce pacte n''est plus un projet : il ne peut plus être modifié (créez un avenant)."

# The status of the pact that a row of each table belongs to, read from NEW or OLD.
SIGNATORY_PACT = "(SELECT status FROM pti_pact WHERE id = {side}.pact_id)"
COMMITMENT_PACT = (
    "(SELECT p.status FROM signatories_signatory s JOIN pti_pact p ON p.id = s.pact_id"
    " WHERE s.id = {side}.signatory_id)"
)
TARGET_PACT = (
    "(SELECT p.status FROM signatories_commitment c"
    " JOIN signatories_signatory s ON s.id = c.signatory_id"
    " JOIN pti_pact p ON p.id = s.pact_id WHERE c.id = {side}.commitment_id)"
)
# (table, pact status of the row, the statuses under which it may no longer change)
GUARDED = [
    ("signatories_signatory", SIGNATORY_PACT, "IN ('signed', 'archived')"),
    ("signatories_commitment", COMMITMENT_PACT, "<> 'draft'"),
    ("signatories_commitmenttarget", TARGET_PACT, "<> 'draft'"),
]


def _postgresql():
    statements = []
    for table, pact_status, frozen in GUARDED:
        statements.append(f"""
CREATE FUNCTION {table}_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF {pact_status.format(side="NEW")} {frozen}
       OR (TG_OP = 'UPDATE' AND {pact_status.format(side="OLD")} {frozen}) THEN
        RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER {table}_frozen BEFORE INSERT OR UPDATE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_frozen();
""")
    return "".join(statements)


def _postgresql_reverse():
    return "".join(
        f"DROP TRIGGER {table}_frozen ON {table}; DROP FUNCTION {table}_frozen();\n"
        for table, _, _ in GUARDED
    )


_RAISE = f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END"


def _sqlite():
    statements = []
    for table, pact_status, frozen in GUARDED:
        new, old = pact_status.format(side="NEW"), pact_status.format(side="OLD")
        statements += [
            f"CREATE TRIGGER {table}_frozen_insert BEFORE INSERT ON {table} "
            f"FOR EACH ROW WHEN {new} {frozen} {_RAISE}",
            f"CREATE TRIGGER {table}_frozen_update BEFORE UPDATE ON {table} "
            f"FOR EACH ROW WHEN {new} {frozen} OR {old} {frozen} {_RAISE}",
        ]
    return statements


def create_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_postgresql())
    elif schema_editor.connection.vendor == "sqlite":
        for statement in _sqlite():
            schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(_postgresql_reverse())
    elif schema_editor.connection.vendor == "sqlite":
        for table, _, _ in GUARDED:
            schema_editor.execute(f"DROP TRIGGER {table}_frozen_update")
            schema_editor.execute(f"DROP TRIGGER {table}_frozen_insert")


class Migration(migrations.Migration):
    dependencies = [
        ("signatories", "0001_pact_parties"),
        ("pti", "0003_signed_pact_frozen_in_the_database"),
    ]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations


def create_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS beneficiary_search_trgm_idx "
        "ON beneficiaries_beneficiary USING gin (search_key gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS beneficiary_search_trgm_idx")


class Migration(migrations.Migration):
    """Search by name on PostgreSQL: trigram similarity on the normalised name, served by a
    GIN index (SQLite searches the same normalised name with LIKE)."""

    dependencies = [("beneficiaries", "0001_people_and_parcours")]

    operations = [
        TrigramExtension(),
        migrations.RunPython(create_trigram_index, drop_trigram_index),
    ]

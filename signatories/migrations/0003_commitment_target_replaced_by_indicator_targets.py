"""A commitment's measurable targets are the evaluation's indicator targets on the commitment
(evaluation/0004 moved the free-text targets there or into the description): the model of
free-text targets goes, with its guard of signatories/0002. An amendment's commitment names
the commitment it copies (`carried_from`), so that the partner's figures entered on the
earlier version stay its history."""

import django.db.models.deletion
from django.db import migrations, models


def drop_target_guard(apps, schema_editor):
    table = "signatories_commitmenttarget"
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table}_frozen ON {table}; "
            f"DROP FUNCTION IF EXISTS {table}_frozen();"
        )
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_frozen_update")
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_frozen_insert")


class Migration(migrations.Migration):

    dependencies = [
        ('evaluation', '0007_commitment_targets_on_the_commitment'),
        ('signatories', '0002_signed_pact_parties_frozen_in_the_database'),
    ]

    operations = [
        migrations.AddField(
            model_name='commitment',
            name='carried_from',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='carried_to', to='signatories.commitment', verbose_name='repris de'),
        ),
        migrations.RunPython(drop_target_guard, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='CommitmentTarget',
        ),
    ]

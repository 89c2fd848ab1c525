"""Each entry of a person's parcours keeps when it was recorded, so that the history orders a
same day's entries in the order they happened; an interview's note holds up to 2,000
characters, held by the database too.

Rows recorded before this migration all get the time it runs: they were recorded before any
later entry, and among themselves keep the order the history gave them until now."""

import django.db.models.functions.text
import django.db.models.lookups
import django.utils.timezone
from django.db import migrations, models

RECORDED = [
    ("referentassignment", "enregistrée le"),
    ("orientationdecision", "enregistrée le"),
    ("interview", "enregistré le"),
    ("obstacle", "enregistré le"),
    ("prescription", "enregistrée le"),
    ("exit", "enregistrée le"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0018_data_quality_indexes"),
    ]

    operations = [
        *[
            migrations.AddField(
                model_name=model_name,
                name="created_at",
                field=models.DateTimeField(
                    auto_now_add=True, default=django.utils.timezone.now, verbose_name=label
                ),
                preserve_default=False,
            )
            for model_name, label in RECORDED
        ],
        migrations.AlterField(
            model_name="interview",
            name="note",
            field=models.TextField(blank=True, verbose_name="note"),
        ),
        migrations.AddConstraint(
            model_name="interview",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    django.db.models.functions.text.Length("note"), 2000
                ),
                name="interview_note_length",
                violation_error_message="La note d'entretien tient en 2000 caractères au plus.",
            ),
        ),
    ]

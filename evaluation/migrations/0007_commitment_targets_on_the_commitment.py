"""A commitment's measurable targets are indicator targets on the commitment itself.

Before, a commitment had free-text targets (signatories.CommitmentTarget: label, value, unit,
year) and an evaluation.Target(scope=commitment) pointed at one of them to say which
indicator followed it; the partners' figures hung on the free-text target. Now:

- each CommitmentTarget that an indicator followed becomes that Target on its commitment
  (one row per commitment, indicator and year, its value kept), and the partners' figures
  move to the commitment;
- the free-text targets no indicator followed are appended to the commitment's description
  (« Cibles rédigées : … ») so that nothing is lost; signatories/0003 then removes the model;
- a commitment's targets are frozen in the database once its pact left the draft, as its
  free-text targets were (evaluation/0005, after signatories/0003).

The description of a signed commitment is written here with the guard of signatories/0002
set aside for the time of the move (it is put back as it was)."""

import importlib

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

FROZEN = importlib.import_module(
    "signatories.migrations.0002_signed_pact_parties_frozen_in_the_database"
)
COMMITMENT_TABLE = "signatories_commitment"


def _number(value):
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _guard_off(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {COMMITMENT_TABLE} DISABLE TRIGGER {COMMITMENT_TABLE}_frozen"
        )
    elif schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {COMMITMENT_TABLE}_frozen_update")


def _guard_on(schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE {COMMITMENT_TABLE} ENABLE TRIGGER {COMMITMENT_TABLE}_frozen"
        )
    elif schema_editor.connection.vendor == "sqlite":
        for statement in FROZEN._sqlite():
            if f"{COMMITMENT_TABLE}_frozen_update" in statement:
                schema_editor.execute(statement)


def move_to_the_commitment(apps, schema_editor):
    Target = apps.get_model("evaluation", "Target")
    Measurement = apps.get_model("evaluation", "Measurement")
    CommitmentTarget = apps.get_model("signatories", "CommitmentTarget")
    Commitment = apps.get_model("signatories", "Commitment")
    followed, kept = set(), set()
    for target in Target.objects.filter(
        scope="commitment", commitment_target__isnull=False
    ).select_related("commitment_target").order_by("pk"):
        free = target.commitment_target
        key = (free.commitment_id, target.indicator_id, target.year)
        if key in kept:  # two free-text targets followed by one indicator the same year
            target.delete()
            continue
        kept.add(key)
        followed.add(free.pk)
        target.commitment_id = free.commitment_id
        target.commitment_target = None
        target.save(update_fields=["commitment", "commitment_target"])
    for free in CommitmentTarget.objects.filter(measurements__isnull=False).distinct():
        Measurement.objects.filter(commitment_target=free).update(
            commitment=free.commitment_id, commitment_target=None
        )
    written = {}
    for free in CommitmentTarget.objects.exclude(pk__in=followed).order_by(
        "commitment_id", "year", "label"
    ):
        written.setdefault(free.commitment_id, []).append(
            f"{free.label} : {_number(free.value)} {free.unit} en {free.year}"
        )
    if not written:
        return
    _guard_off(schema_editor)
    try:
        for commitment in Commitment.objects.filter(pk__in=written):
            text = "Cibles rédigées : " + " ; ".join(written[commitment.pk]) + "."
            commitment.description = (
                f"{commitment.description}\n\n{text}" if commitment.description else text
            )
            commitment.save(update_fields=["description"])
    finally:
        _guard_on(schema_editor)


class Migration(migrations.Migration):

    dependencies = [
        ('actions', '0001_offer'),
        ('evaluation', '0006_precomputed_figures'),
        ('pti', '0007_communes_with_all_their_postal_codes'),
        ('signatories', '0002_signed_pact_parties_frozen_in_the_database'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='FigureReminder',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('year', models.PositiveSmallIntegerField(verbose_name='année')),
                ('message', models.TextField(blank=True, verbose_name='message')),
                ('sent_at', models.DateTimeField(auto_now_add=True, verbose_name='envoyée le')),
            ],
            options={
                'verbose_name': 'relance',
                'verbose_name_plural': 'relances',
                'ordering': ['-sent_at', '-pk'],
            },
        ),
        migrations.RemoveConstraint(
            model_name='measurement',
            name='measurement_one_scope',
        ),
        migrations.RemoveConstraint(
            model_name='target',
            name='target_one_scope',
        ),
        migrations.RemoveConstraint(
            model_name='target',
            name='target_unique_per_commitment_target',
        ),
        migrations.AddField(
            model_name='measurement',
            name='comment',
            field=models.TextField(blank=True, verbose_name='commentaire'),
        ),
        migrations.AddField(
            model_name='measurement',
            name='commitment',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='measurements', to='signatories.commitment'),
        ),
        migrations.AddField(
            model_name='target',
            name='commitment',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='indicator_targets', to='signatories.commitment', verbose_name='engagement'),
        ),
        migrations.RunPython(move_to_the_commitment, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='measurement',
            name='commitment_target',
        ),
        migrations.RemoveField(
            model_name='target',
            name='commitment_target',
        ),
        migrations.AddIndex(
            model_name='measurement',
            index=models.Index(fields=['commitment', 'year', '-created_at'], name='measurement_commitment_idx'),
        ),
        migrations.AddConstraint(
            model_name='measurement',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('action__isnull', True), ('agreement_objective__isnull', True), ('commitment__isnull', True), ('orientation__isnull', True), ('pact__isnull', False), ('scope', 'pact'), ('territory__isnull', True)), models.Q(('action__isnull', True), ('agreement_objective__isnull', True), ('commitment__isnull', True), ('orientation__isnull', False), ('pact__isnull', True), ('scope', 'orientation'), ('territory__isnull', True)), models.Q(('action__isnull', True), ('agreement_objective__isnull', True), ('commitment__isnull', True), ('orientation__isnull', True), ('pact__isnull', True), ('scope', 'territory'), ('territory__isnull', False)), models.Q(('action__isnull', False), ('agreement_objective__isnull', True), ('commitment__isnull', True), ('orientation__isnull', True), ('pact__isnull', True), ('scope', 'action'), ('territory__isnull', True)), models.Q(('action__isnull', True), ('agreement_objective__isnull', True), ('commitment__isnull', False), ('orientation__isnull', True), ('pact__isnull', True), ('scope', 'commitment'), ('territory__isnull', True)), models.Q(('action__isnull', True), ('agreement_objective__isnull', False), ('commitment__isnull', True), ('orientation__isnull', True), ('pact__isnull', True), ('scope', 'agreement_objective'), ('territory__isnull', True)), _connector='OR'), name='measurement_one_scope'),
        ),
        migrations.AddConstraint(
            model_name='target',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('action__isnull', True), ('agreement_objective__isnull', True), ('commitment__isnull', True), ('orientation__isnull', True), ('pact__isnull', False), ('scope', 'pact'), ('territory__isnull', True)), models.Q(('action__isnull', True), ('agreement_objective__isnull', True), ('commitment__isnull', True), ('orientation__isnull', False), ('pact__isnull', True), ('scope', 'orientation'), ('territory__isnull', True)), models.Q(('action__isnull', True), ('agreement_objective__isnull', True), ('commitment__isnull', True), ('orientation__isnull', True), ('pact__isnull', True), ('scope', 'territory'), ('territory__isnull', False)), models.Q(('action__isnull', False), ('agreement_objective__isnull', True), ('commitment__isnull', True), ('orientation__isnull', True), ('pact__isnull', True), ('scope', 'action'), ('territory__isnull', True)), models.Q(('action__isnull', True), ('agreement_objective__isnull', True), ('commitment__isnull', False), ('orientation__isnull', True), ('pact__isnull', True), ('scope', 'commitment'), ('territory__isnull', True)), models.Q(('action__isnull', True), ('agreement_objective__isnull', False), ('commitment__isnull', True), ('orientation__isnull', True), ('pact__isnull', True), ('scope', 'agreement_objective'), ('territory__isnull', True)), _connector='OR'), name='target_one_scope'),
        ),
        migrations.AddConstraint(
            model_name='target',
            constraint=models.UniqueConstraint(condition=models.Q(('scope', 'commitment')), fields=('indicator', 'year', 'commitment'), name='target_unique_per_commitment', violation_error_message='Cette cible existe déjà pour cette année et ce périmètre.'),
        ),
        migrations.AddField(
            model_name='figurereminder',
            name='sent_by',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='figurereminder',
            name='signatory',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='figure_reminders', to='signatories.signatory', verbose_name='signataire'),
        ),
        migrations.AddConstraint(
            model_name='figurereminder',
            constraint=models.CheckConstraint(condition=models.Q(('year__gte', 2000), ('year__lte', 2100)), name='figure_reminder_year'),
        ),
    ]

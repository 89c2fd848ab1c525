from django.conf import settings
from django.db import migrations, models

TWICE = "Même contrat enregistré plusieurs fois (formulaire envoyé de nouveau)."


def chain_contracts_saved_twice(apps, schema_editor):
    """The contracts of one person that start the same day as an earlier one (a form posted
    twice) become versions of it, in the order they were saved: nothing is deleted, the last
    one saved stays the current one, and each person has one contract per start day."""
    Contract = apps.get_model("beneficiaries", "Contract")
    firsts = (
        Contract.objects.filter(revises__isnull=True)
        .values("beneficiary_id", "start_date")
        .annotate(count=models.Count("pk"))
        .filter(count__gt=1)
    )
    for group in firsts:
        roots = list(
            Contract.objects.filter(
                revises__isnull=True,
                beneficiary_id=group["beneficiary_id"],
                start_date=group["start_date"],
            ).order_by("pk")
        )
        for earlier, later in zip(roots, roots[1:], strict=False):
            tail = earlier
            while Contract.objects.filter(revises=tail).exists():
                tail = Contract.objects.get(revises=tail)
            later.revises = tail
            later.revision_reason = TWICE
            later.save(update_fields=["revises", "revision_reason"])


class Migration(migrations.Migration):
    dependencies = [
        ("beneficiaries", "0019_entries_created_at_and_longer_interview_notes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RunPython(chain_contracts_saved_twice, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="contract",
            constraint=models.UniqueConstraint(
                condition=models.Q(("revises__isnull", True)),
                fields=("beneficiary", "start_date"),
                name="contract_one_first_version_per_start",
                violation_error_message="Un contrat de cette personne commence déjà ce jour-là.",
            ),
        ),
    ]

from django.db import migrations


def load(apps, schema_editor):
    from evaluation.catalogue import sync

    sync(apps.get_model("evaluation", "Indicator"))


class Migration(migrations.Migration):
    """The indicators « En emploi durable 6 mois après la sortie » and « … 12 mois après la
    sortie » (« emploi-durable-6-mois », « emploi-durable-12-mois »), read from the follow-ups
    after an exit, added to the catalogue (evaluation/catalogue.py)."""

    dependencies = [
        ("evaluation", "0003_exits_by_category"),
        # The follow-ups the two indicators count.
        ("beneficiaries", "0016_exit_follow_up"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

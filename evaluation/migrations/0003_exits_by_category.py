from django.db import migrations


def load(apps, schema_editor):
    from evaluation.catalogue import sync

    sync(apps.get_model("evaluation", "Indicator"))


class Migration(migrations.Migration):
    """The exits of the year by category of exit (« sorties-par-motif »), added to the
    catalogue (evaluation/catalogue.py)."""

    dependencies = [("evaluation", "0002_indicator_catalogue")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

from django.db import migrations


def load(apps, schema_editor):
    from evaluation.catalogue import sync

    sync(apps.get_model("evaluation", "Indicator"))


class Migration(migrations.Migration):
    """The indicators of the pact (evaluation/catalogue.py), as reference data."""

    dependencies = [("evaluation", "0001_indicators")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

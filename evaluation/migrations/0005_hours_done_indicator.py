from django.db import migrations


def load(apps, schema_editor):
    from evaluation.catalogue import sync

    sync(apps.get_model("evaluation", "Indicator"))


class Migration(migrations.Migration):
    """« heures-activite » no longer averages the hours the contrats d'engagement plan: it is
    the share of people whose hours done reach 15 a week, or their reduced plan (a percentage;
    evaluation/catalogue.py). Its label, unit and definition are updated in the catalogue.
    Measurements taken before keep their value (a mean of planned hours)."""

    dependencies = [("evaluation", "0004_follow_up_indicators")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]

"""Counters that move on every write to any patient's records, for the reports' cache."""

from django.db import migrations, models

from patients.migrations import _chart_triggers as chart_triggers


class Migration(migrations.Migration):
    dependencies = [("patients", "0006_problem_medication_allergy_lists")]

    operations = [
        migrations.CreateModel(
            name="DataVersion",
            fields=[
                ("bucket", models.PositiveSmallIntegerField(primary_key=True, serialize=False)),
                ("version", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(
            chart_triggers.install_data_version,
            chart_triggers.drop_data_version,
            atomic=False,
            elidable=False,
        ),
    ]

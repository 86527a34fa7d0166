"""Chart versions kept by database triggers, so that every write path (forms, admin, bulk
imports, soft-delete cascades, raw SQL) moves the number the chart page's cache is keyed on."""

import django.db.models.deletion
from django.db import migrations, models

from patients.migrations import _chart_triggers as chart_triggers

class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0001_initial"),
        ("providers", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.CreateModel(
            name="ChartVersion",
            fields=[
                (
                    "patient",
                    models.OneToOneField(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        primary_key=True,
                        related_name="+",
                        serialize=False,
                        to="patients.patient",
                    ),
                ),
                ("version", models.BigIntegerField()),
            ],
        ),
        migrations.CreateModel(
            name="ReferenceDataVersion",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("version", models.BigIntegerField()),
            ],
        ),
        migrations.RunPython(
            chart_triggers.install, chart_triggers.drop, atomic=False, elidable=False
        ),
    ]

"""NEWS2 needs to know whether a set was taken on air or on oxygen, and the ACVPU level.

SQLite adds a NOT NULL column by rebuilding the table, which drops the table's chart-version
triggers (migration 0002); they are created again afterwards, and after going back. MySQL
keeps them.
"""

from importlib import import_module

from django.db import migrations, models

chart_versions = import_module("patients.migrations.0002_chart_versions")
TABLE = "patients_vitalsigns"


def vitals_triggers(vendor):
    prefix = f"CREATE TRIGGER chartversion_{TABLE}_"
    return [sql for sql in chart_versions.create_triggers(vendor) if sql.startswith(prefix)]


def recreate_vitals_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor != "sqlite":
        return
    for event in chart_versions.EVENTS:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS chartversion_{TABLE}_{event.lower()}")
    for statement in vitals_triggers(vendor):
        schema_editor.execute(statement, params=None)


CONSCIOUSNESS = models.CharField(
    blank=True,
    choices=[
        ("", "Not recorded"),
        ("alert", "Alert"),
        ("confusion", "New confusion"),
        ("voice", "Responds to voice"),
        ("pain", "Responds to pain"),
        ("unresponsive", "Unresponsive"),
    ],
    max_length=12,
    verbose_name="consciousness (ACVPU)",
)
SUPPLEMENTAL_OXYGEN = models.BooleanField(
    blank=True, null=True, verbose_name="on supplemental oxygen"
)


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0003_care_team_grants_derived"),
    ]

    operations = [
        # Undone last, after the columns are dropped (another rebuild on SQLite).
        migrations.RunPython(migrations.RunPython.noop, recreate_vitals_triggers, elidable=False),
        *(
            migrations.AddField(model_name=model, name=name, field=field.clone())
            for model in ("historicalvitalsigns", "vitalsigns")
            for name, field in (
                ("consciousness", CONSCIOUSNESS),
                ("supplemental_oxygen", SUPPLEMENTAL_OXYGEN),
            )
        ),
        migrations.RunPython(recreate_vitals_triggers, migrations.RunPython.noop, elidable=False),
    ]

"""NEWS2 needs to know whether a set was taken on air or on oxygen, and the ACVPU level.

SQLite adds a NOT NULL column by rebuilding the table, which drops the table's chart-version
triggers (migration 0002); they are created again afterwards, and after going back. MySQL
keeps them.
"""

from django.db import migrations, models

from patients.migrations._chart_triggers import RecreateChartTriggers

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
        # First and last: going back, the columns are dropped by another rebuild on SQLite.
        RecreateChartTriggers(),
        *(
            migrations.AddField(model_name=model, name=name, field=field.clone())
            for model in ("historicalvitalsigns", "vitalsigns")
            for name, field in (
                ("consciousness", CONSCIOUSNESS),
                ("supplemental_oxygen", SUPPLEMENTAL_OXYGEN),
            )
        ),
        RecreateChartTriggers(),
    ]

"""Problem list, medication list and allergies from the chart.

- Diagnosis: status "entered in error" and the reason a status was set.
- Prescription: structured dose, unit, route and frequency; the free-text `dose` and
  `frequency` columns of imported rows stay (as `dose_text` / `frequency_text`, same
  columns); stop (when, by whom, why), renewal and the allergy override reason.
- Allergy: clinical and verification status; rows resolved before are marked resolved.

SQLite rebuilds a table to add a constraint or change a column, and a rebuilt table loses
its triggers: the chart-version triggers of migration 0002 that are missing afterwards
are created again (MySQL and MariaDB keep them through ALTER TABLE).
"""

import django.core.validators
import django.db.models.deletion
from decimal import Decimal
from django.conf import settings
from django.db import migrations, models

from patients.migrations._chart_triggers import RecreateChartTriggers


def mark_resolved_allergies(apps, schema_editor):
    allergy = apps.get_model("patients", "Allergy")
    allergy.objects.filter(resolved_date__isnull=False).update(clinical_status="resolved")


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0005_late_entries_nursing_visits"),
        ("providers", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # First and last: SQLite drops the triggers of a table it rebuilds, either way.
        RecreateChartTriggers(),
        migrations.AddField(
            model_name="allergy",
            name="clinical_status",
            field=models.CharField(
                choices=[("active", "Active"), ("inactive", "Inactive"), ("resolved", "Resolved")],
                default="active",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="allergy",
            name="verification_status",
            field=models.CharField(
                choices=[
                    ("unconfirmed", "Unconfirmed"),
                    ("confirmed", "Confirmed"),
                    ("refuted", "Refuted"),
                    ("entered_in_error", "Entered in error"),
                ],
                default="unconfirmed",
                max_length=20,
                verbose_name="verification",
            ),
        ),
        migrations.AddField(
            model_name="diagnosis",
            name="status_reason",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="historicalallergy",
            name="clinical_status",
            field=models.CharField(
                choices=[("active", "Active"), ("inactive", "Inactive"), ("resolved", "Resolved")],
                default="active",
                max_length=10,
            ),
        ),
        migrations.AddField(
            model_name="historicalallergy",
            name="verification_status",
            field=models.CharField(
                choices=[
                    ("unconfirmed", "Unconfirmed"),
                    ("confirmed", "Confirmed"),
                    ("refuted", "Refuted"),
                    ("entered_in_error", "Entered in error"),
                ],
                default="unconfirmed",
                max_length=20,
                verbose_name="verification",
            ),
        ),
        migrations.AddField(
            model_name="historicaldiagnosis",
            name="status_reason",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="historicalprescription",
            name="allergy_override_reason",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="historicalprescription",
            name="dose_amount",
            field=models.DecimalField(
                blank=True,
                decimal_places=3,
                max_digits=10,
                null=True,
                validators=[django.core.validators.MinValueValidator(Decimal("0.001"))],
                verbose_name="dose",
            ),
        ),
        migrations.AddField(
            model_name="historicalprescription",
            name="dose_frequency",
            field=models.CharField(
                blank=True,
                choices=[
                    ("once_daily", "once daily"),
                    ("twice_daily", "twice daily"),
                    ("three_times_daily", "three times daily"),
                    ("four_times_daily", "four times daily"),
                    ("every_4h", "every 4 hours"),
                    ("every_6h", "every 6 hours"),
                    ("every_8h", "every 8 hours"),
                    ("every_12h", "every 12 hours"),
                    ("at_night", "at night"),
                    ("as_needed", "as needed"),
                    ("once", "once"),
                ],
                max_length=20,
                verbose_name="frequency",
            ),
        ),
        migrations.RenameField(
            model_name="historicalprescription",
            old_name="dose",
            new_name="dose_text",
        ),
        migrations.AlterField(
            model_name="historicalprescription",
            name="dose_text",
            field=models.CharField(
                blank=True, db_column="dose", max_length=100, verbose_name="dose (free text)"
            ),
        ),
        migrations.AddField(
            model_name="historicalprescription",
            name="dose_unit",
            field=models.CharField(
                blank=True,
                choices=[
                    ("mg", "mg"),
                    ("g", "g"),
                    ("mcg", "mcg"),
                    ("mL", "mL"),
                    ("unit", "unit"),
                    ("tablet", "tablet"),
                    ("capsule", "capsule"),
                    ("puff", "puff"),
                    ("drop", "drop"),
                ],
                max_length=10,
                verbose_name="unit",
            ),
        ),
        migrations.RenameField(
            model_name="historicalprescription",
            old_name="frequency",
            new_name="frequency_text",
        ),
        migrations.AlterField(
            model_name="historicalprescription",
            name="frequency_text",
            field=models.CharField(
                blank=True,
                db_column="frequency",
                max_length=100,
                verbose_name="frequency (free text)",
            ),
        ),
        migrations.AddField(
            model_name="historicalprescription",
            name="renewed_from",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="patients.prescription",
            ),
        ),
        migrations.AddField(
            model_name="historicalprescription",
            name="route",
            field=models.CharField(
                blank=True,
                choices=[
                    ("oral", "Oral"),
                    ("iv", "Intravenous (IV)"),
                    ("im", "Intramuscular (IM)"),
                    ("subcutaneous", "Subcutaneous"),
                    ("topical", "Topical"),
                    ("inhaled", "Inhaled"),
                    ("rectal", "Rectal"),
                    ("sublingual", "Sublingual"),
                    ("nasal", "Nasal"),
                    ("ophthalmic", "Eye (ophthalmic)"),
                    ("otic", "Ear (otic)"),
                    ("transdermal", "Transdermal"),
                    ("vaginal", "Vaginal"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="historicalprescription",
            name="stop_reason",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="historicalprescription",
            name="stopped_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="historicalprescription",
            name="stopped_by",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="prescription",
            name="allergy_override_reason",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="prescription",
            name="dose_amount",
            field=models.DecimalField(
                blank=True,
                decimal_places=3,
                max_digits=10,
                null=True,
                validators=[django.core.validators.MinValueValidator(Decimal("0.001"))],
                verbose_name="dose",
            ),
        ),
        migrations.AddField(
            model_name="prescription",
            name="dose_frequency",
            field=models.CharField(
                blank=True,
                choices=[
                    ("once_daily", "once daily"),
                    ("twice_daily", "twice daily"),
                    ("three_times_daily", "three times daily"),
                    ("four_times_daily", "four times daily"),
                    ("every_4h", "every 4 hours"),
                    ("every_6h", "every 6 hours"),
                    ("every_8h", "every 8 hours"),
                    ("every_12h", "every 12 hours"),
                    ("at_night", "at night"),
                    ("as_needed", "as needed"),
                    ("once", "once"),
                ],
                max_length=20,
                verbose_name="frequency",
            ),
        ),
        migrations.RenameField(
            model_name="prescription",
            old_name="dose",
            new_name="dose_text",
        ),
        migrations.AlterField(
            model_name="prescription",
            name="dose_text",
            field=models.CharField(
                blank=True, db_column="dose", max_length=100, verbose_name="dose (free text)"
            ),
        ),
        migrations.AddField(
            model_name="prescription",
            name="dose_unit",
            field=models.CharField(
                blank=True,
                choices=[
                    ("mg", "mg"),
                    ("g", "g"),
                    ("mcg", "mcg"),
                    ("mL", "mL"),
                    ("unit", "unit"),
                    ("tablet", "tablet"),
                    ("capsule", "capsule"),
                    ("puff", "puff"),
                    ("drop", "drop"),
                ],
                max_length=10,
                verbose_name="unit",
            ),
        ),
        migrations.RenameField(
            model_name="prescription",
            old_name="frequency",
            new_name="frequency_text",
        ),
        migrations.AlterField(
            model_name="prescription",
            name="frequency_text",
            field=models.CharField(
                blank=True,
                db_column="frequency",
                max_length=100,
                verbose_name="frequency (free text)",
            ),
        ),
        migrations.AddField(
            model_name="prescription",
            name="renewed_from",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="renewals",
                to="patients.prescription",
            ),
        ),
        migrations.AddField(
            model_name="prescription",
            name="route",
            field=models.CharField(
                blank=True,
                choices=[
                    ("oral", "Oral"),
                    ("iv", "Intravenous (IV)"),
                    ("im", "Intramuscular (IM)"),
                    ("subcutaneous", "Subcutaneous"),
                    ("topical", "Topical"),
                    ("inhaled", "Inhaled"),
                    ("rectal", "Rectal"),
                    ("sublingual", "Sublingual"),
                    ("nasal", "Nasal"),
                    ("ophthalmic", "Eye (ophthalmic)"),
                    ("otic", "Ear (otic)"),
                    ("transdermal", "Transdermal"),
                    ("vaginal", "Vaginal"),
                ],
                max_length=20,
            ),
        ),
        migrations.AddField(
            model_name="prescription",
            name="stop_reason",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="prescription",
            name="stopped_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="prescription",
            name="stopped_by",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AlterField(
            model_name="allergy",
            name="description",
            field=models.CharField(max_length=255, verbose_name="substance"),
        ),
        migrations.AlterField(
            model_name="diagnosis",
            name="status",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("resolved", "Resolved"),
                    ("entered_in_error", "Entered in error"),
                ],
                default="active",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="historicalallergy",
            name="description",
            field=models.CharField(max_length=255, verbose_name="substance"),
        ),
        migrations.AlterField(
            model_name="historicaldiagnosis",
            name="status",
            field=models.CharField(
                choices=[
                    ("active", "Active"),
                    ("resolved", "Resolved"),
                    ("entered_in_error", "Entered in error"),
                ],
                default="active",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="diagnosis",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("status", "entered_in_error"), _negated=True),
                    models.Q(("status_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="diagnosis_entered_in_error_has_reason",
            ),
        ),
        migrations.AddConstraint(
            model_name="prescription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("dose_amount__isnull", True),
                    models.Q(("dose_unit", ""), _negated=True),
                    _connector="OR",
                ),
                name="prescription_dose_has_unit",
            ),
        ),
        migrations.AddConstraint(
            model_name="prescription",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("stopped_at__isnull", True),
                    models.Q(("stop_reason", ""), _negated=True),
                    _connector="OR",
                ),
                name="prescription_stop_has_reason",
            ),
        ),
        migrations.RunPython(mark_resolved_allergies, migrations.RunPython.noop),
        RecreateChartTriggers(),
    ]

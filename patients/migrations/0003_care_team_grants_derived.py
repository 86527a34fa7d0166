"""Care-team access is now derived from live care assignments when asked.

The object permissions the old care-team services wrote (`view_patient` and
`change_patient` on a patient, one pair per assigned clinician) were a copy of the
assignments that could fall out of step. They were the only writer of such grants, so
every one of them is removed; from now on a grant exists only when an administrator
gives it explicitly. Going back does not re-create them.
"""

from django.db import migrations

DERIVED_CODENAMES = ("view_patient", "change_patient")


def remove_derived_grants(apps, schema_editor):
    user_object_permission = apps.get_model("guardian", "UserObjectPermission")
    user_object_permission.objects.filter(
        content_type__app_label="patients",
        content_type__model="patient",
        permission__codename__in=DERIVED_CODENAMES,
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("patients", "0002_chart_versions"),
        ("guardian", "0003_remove_groupobjectpermission_guardian_gr_content_ae6aec_idx_and_more"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(remove_derived_grants, migrations.RunPython.noop)]

"""Create the role groups. Their permissions are set by `manage.py setup_roles`, because
Permission rows only exist after the post-migrate signal has run."""

from django.db import migrations

ROLE_NAMES = ("administrator", "doctor", "nurse", "billing", "front_desk", "patient")


def create_role_groups(apps, schema_editor):
    group_model = apps.get_model("auth", "Group")
    for name in ROLE_NAMES:
        group_model.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    replaces = [("phms", "0002_role_groups")]

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("access", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]

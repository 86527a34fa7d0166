"""Content types (and so permissions and admin log entries) of the models that moved from
the `phms` app: on a database migrated on the old layout they still say `phms`."""

from django.db import migrations

MOVED_MODELS = ("accesslog", "breakglassaccess")


def move_content_types(apps, schema_editor):
    content_type_model = apps.get_model("contenttypes", "ContentType")
    for model in MOVED_MODELS:
        old = content_type_model.objects.filter(app_label="phms", model=model).first()
        if old is None:
            continue
        if content_type_model.objects.filter(app_label="access", model=model).exists():
            continue
        old.app_label = "access"
        old.save(update_fields=["app_label"])


class Migration(migrations.Migration):
    dependencies = [
        ("access", "0002_role_groups"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(move_content_types, migrations.RunPython.noop)]

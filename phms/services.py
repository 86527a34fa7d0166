"""Writes of the shared infrastructure."""

from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from phms.roles import ROLE_PERMISSIONS, Role


@transaction.atomic
def roles_setup() -> dict[str, int]:
    """Make each role's group hold exactly its model permissions; returns counts per role."""
    counts = {}
    for role in Role:
        group, _ = Group.objects.get_or_create(name=role.value)
        if role == Role.ADMINISTRATOR:
            labels = {config.label for config in apps.get_app_configs()}
            wanted = Permission.objects.filter(content_type__app_label__in=labels)
        else:
            wanted = Permission.objects.none()
            for dotted in ROLE_PERMISSIONS[role]:
                app_label, codename = dotted.split(".")
                wanted = wanted | Permission.objects.filter(
                    content_type__app_label=app_label, codename=codename
                )
        group.permissions.set(wanted)
        counts[role.value] = group.permissions.count()
    return counts

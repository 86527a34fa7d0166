from django.core.management.base import BaseCommand

from access.services import roles_setup


class Command(BaseCommand):
    help = "Create or update the role groups and their model permissions (idempotent)."

    def handle(self, *args, **options):
        for name, count in roles_setup().items():
            self.stdout.write(f"role {name}: {count} permissions")

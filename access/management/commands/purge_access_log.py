from django.conf import settings
from django.core.management.base import BaseCommand

from access.services import access_log_purge


class Command(BaseCommand):
    help = "Delete access-log entries older than ACCESS_LOG_RETENTION_DAYS."

    def handle(self, *args, **options):
        removed = access_log_purge()
        self.stdout.write(
            f"removed {removed} access-log entries older than "
            f"{settings.ACCESS_LOG_RETENTION_DAYS} days"
        )

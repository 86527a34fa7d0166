from django.core.management.base import BaseCommand, CommandError

from core import documents


class Command(BaseCommand):
    help = "Create the document-store collections and their indexes (idempotent)."

    def handle(self, *args, **options):
        try:
            names = documents.ensure_indexes()
        except documents.DocumentStoreUnavailable as error:
            raise CommandError(f"document store unavailable: {error}") from error
        where = "embedded store" if documents.is_embedded() else "MongoDB"
        for name in names:
            self.stdout.write(f"index {name} ready ({where})")

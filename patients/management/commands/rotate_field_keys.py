"""Re-encrypt every stored SSN under the newest FIELD_ENCRYPTION_KEYS entry.

Rotation without downtime: put the new key first in FIELD_ENCRYPTION_KEYS and keep the
old ones after it (the running portal reads both), run this command, then drop the old
keys once it reports nothing left under them.
"""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from core import crypto
from patients.models import Patient

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt protected identifiers (SSNs) under the newest field-encryption key."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="only count the values not yet under the newest key (exit 1 if any)",
        )

    def handle(self, *args, check=False, **options):
        rows = (
            Patient.all_objects.exclude(ssn_encrypted="")
            .order_by("pk")
            .values_list("pk", "ssn_encrypted")
        )
        stale, unreadable, rotated = [], [], 0
        for pk, token in rows.iterator(chunk_size=BATCH):
            if crypto.is_under_newest_key(token):
                continue
            try:
                stale.append((pk, crypto.rotate(token)))
            except ValueError:
                unreadable.append(pk)
            if len(stale) >= BATCH and not check:
                rotated += self._save(stale)
                stale = []
        if check:
            self.stdout.write(f"{len(stale)} SSNs are not under the newest key.")
        else:
            rotated += self._save(stale)
            self.stdout.write(f"Re-encrypted {rotated} SSNs under the newest key.")
        if unreadable:
            raise CommandError(
                f"{len(unreadable)} SSNs open with none of the configured keys (patients "
                f"{', '.join(map(str, unreadable[:20]))}); keep the key that wrote them."
            )
        if check and stale:
            raise CommandError("Run rotate_field_keys without --check to re-encrypt them.")

    @staticmethod
    @transaction.atomic
    def _save(rotated_tokens) -> int:
        for pk, token in rotated_tokens:
            Patient.all_objects.filter(pk=pk).update(ssn_encrypted=token)
        return len(rotated_tokens)

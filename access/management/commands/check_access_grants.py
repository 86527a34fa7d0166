from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from access.grants import grant_differences
from access.services import explicit_grants_remove


class Command(BaseCommand):
    help = (
        "Report every difference between who can see each patient and who is on a live "
        "care team; with --fix, remove the stale explicit grants."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--fix", action="store_true", help="remove stale explicit grants (audited)"
        )

    def handle(self, *args, fix=False, **options):
        differences = list(grant_differences())
        usernames = dict(
            get_user_model()
            .objects.filter(pk__in={difference.user_id for difference in differences})
            .values_list("pk", "username")
        )
        for difference in differences:
            self.stdout.write(
                f"user={usernames.get(difference.user_id, difference.user_id)} "
                f"patient={difference.patient_id}: {difference.problem}"
            )
        repairable = [difference for difference in differences if difference.repairable]
        faults = len(differences) - len(repairable)
        if fix and repairable:
            removed = explicit_grants_remove(grant_ids=[d.grant_id for d in repairable])
            self.stdout.write(f"removed {removed} stale explicit grants")
        elif repairable:
            self.stdout.write(f"{len(repairable)} stale explicit grants; --fix removes them")
        if not differences:
            self.stdout.write("access matches the care teams: no differences")
        if faults:
            raise CommandError(
                f"{faults} differences come from the access code itself, not from stored "
                "grants; nothing can repair them from here"
            )
        if repairable and not fix:
            raise CommandError("stale explicit grants found")

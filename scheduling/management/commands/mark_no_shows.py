from django.conf import settings
from django.core.management.base import BaseCommand

from scheduling.services import appointments_mark_no_shows


class Command(BaseCommand):
    help = (
        "Mark booked appointments nobody checked in as no-shows once their start is past the "
        "grace period (APPOINTMENT_NO_SHOW_GRACE_MINUTES). Run it every few minutes from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--grace-minutes",
            type=int,
            default=None,
            help="Override the grace period "
            f"(default {settings.APPOINTMENT_NO_SHOW_GRACE_MINUTES} minutes).",
        )

    def handle(self, *args, grace_minutes=None, **options):
        if grace_minutes is not None and grace_minutes < 1:
            self.stderr.write("--grace-minutes must be at least 1.")
            raise SystemExit(2)
        marked = appointments_mark_no_shows(grace_minutes=grace_minutes)
        self.stdout.write(f"{marked} appointment{'s' if marked != 1 else ''} marked as no-show.")

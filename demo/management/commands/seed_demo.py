"""manage.py seed_demo --patients N --seed S [--as-of DATE] [--if-empty] [--print-logins]

Builds the deterministic demo hospital (see demo/hospital.py) and one login per role.
Every demo login's password is `demo.hospital.DEMO_PASSWORD` (printed by --print-logins).
With only --print-logins it seeds nothing and prints the logins.
"""

import time
from datetime import date

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo import hospital as demo
from patients.models import Patient

DEFAULT_PATIENTS = 200


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise ValueError("must be at least 1")
    return value


class Command(BaseCommand):
    help = (
        "Seed a deterministic demo hospital (patients, encounters, labs, bills) and one login "
        "per role on an empty database. Same --seed, same people and codes."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--patients", type=str, default=None, help=f"how many (default {DEFAULT_PATIENTS})"
        )
        parser.add_argument("--seed", type=str, default="1", help="random seed (default 1)")
        parser.add_argument(
            "--as-of",
            default=None,
            help="YYYY-MM-DD the dates are counted back from (default: today)",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (but print the logins) when the database already has patients",
        )
        parser.add_argument(
            "--print-logins", action="store_true", help="print the demo logins and password"
        )

    def handle(self, *args, **options):
        if options["patients"] is None and options["print_logins"]:
            self._print_logins()
            return
        try:
            patients = _positive(options["patients"] or str(DEFAULT_PATIENTS))
        except ValueError as error:
            raise CommandError(f"--patients: {error}") from None
        try:
            seed = int(options["seed"])
        except ValueError:
            raise CommandError(f"--seed: {options['seed']!r} is not a whole number") from None
        as_of = None
        if options["as_of"]:
            try:
                as_of = date.fromisoformat(options["as_of"])
            except ValueError:
                raise CommandError(f"--as-of: {options['as_of']!r} is not YYYY-MM-DD") from None

        existing = Patient.all_objects.count()
        if existing:
            if not options["if_empty"]:
                raise CommandError(
                    f"the database already has {existing} patient(s); seed_demo only seeds an "
                    "empty database (use --if-empty to skip quietly)"
                )
            self.stdout.write(f"{existing} patient(s) already present; demo data not seeded.")
            self._print_logins()
            return

        if not settings.DEBUG:
            self.stderr.write(
                self.style.WARNING(
                    "DEBUG is off: the demo logins use a published password. "
                    "Never seed a production database."
                )
            )
        started = time.perf_counter()
        summary = demo.demo_seed(
            patients=patients,
            seed=seed,
            as_of=as_of,
            progress=lambda done: self.stderr.write(f"  {done}/{patients} patients"),
        )
        elapsed = time.perf_counter() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Seeded {summary.patients} patients (seed {seed}) in {elapsed:.1f}s."
            )
        )
        for label, count in sorted(summary.created.items()):
            self.stdout.write(f"  {label:<28} {count:>8}")
        if options["print_logins"]:
            self._print_logins()

    def _print_logins(self):
        logins = demo.demo_logins()
        if not logins:
            self.stdout.write(
                "No demo logins in this database (seed_demo creates them on an empty database)."
            )
            return
        self.stdout.write("")
        self.stdout.write("Demo logins (local demo only):")
        self.stdout.write(f"  {'username':<10} {'password':<22} {'role':<14} sees")
        for login in logins:
            self.stdout.write(
                f"  {login['username']:<10} {login['password']:<22} {login['role']:<14} "
                f"{login['sees']}"
            )

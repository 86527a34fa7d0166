"""Hard-delete soft-deleted rows older than a date: the only way rows leave the database.

Rows go children first. A row is purged only when nothing that stays behind still
points at it through a PROTECT foreign key (for example a live allergy that names a
deleted encounter), so the purge never fails half-way on a protected reference.
Each run is recorded: a line per model on the `phms.security` logger and one JSON
line in `<VAR_DIR>/purge-log.jsonl`.
"""

import getpass
import json
import logging
from datetime import date, datetime, time
from graphlib import TopologicalSorter

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from core.softdelete import SoftDeleteModel

security_log = logging.getLogger("phms.security")

BATCH_SIZE = 500
BLOCKING = (models.PROTECT, models.RESTRICT)


def soft_delete_models() -> list[type[models.Model]]:
    """Concrete soft-deleted models; rows of a multi-table child go with their parent row."""
    return [
        model
        for model in apps.get_models()
        if issubclass(model, SoftDeleteModel) and not model._meta.parents
    ]


def _blocking_relations(model):
    return [
        relation
        for relation in model._meta.related_objects
        if relation.on_delete in BLOCKING and relation.field.concrete
    ]


def purge_order(purgeable: list) -> list:
    """Models whose rows point at others come before the models they point at."""
    members = set(purgeable)
    graph = {
        model: {
            relation.related_model
            for relation in _blocking_relations(model)
            if relation.related_model in members and relation.related_model is not model
        }
        for model in purgeable
    }
    return list(TopologicalSorter(graph).static_order())


def purgeable_rows(order: list, cutoff: datetime) -> dict:
    """Per model, the ids of rows deleted before `cutoff` that nothing staying behind points at.

    Each model's ids are read before the models they point at (`order`), so a referrer's
    purge set is a list here, not a nested subquery: nesting one per link of the chains
    (organization <- department <- provider <- appointment <- request ...) grows past what
    SQLite's parser takes.
    """
    rows: dict = {}
    for model in order:
        candidates = model.all_objects.filter(deleted_at__lt=cutoff)
        for relation in _blocking_relations(model):
            referrer = relation.related_model
            pointing = referrer._base_manager.filter(**{relation.field.name: OuterRef("pk")})
            if rows.get(referrer):
                pointing = pointing.exclude(pk__in=rows[referrer])
            candidates = candidates.exclude(Exists(pointing))
        rows[model] = list(candidates.values_list("pk", flat=True))
    return rows


def parse_cutoff(raw: str) -> datetime:
    try:
        day = date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise CommandError(
            f"--before needs a date as YYYY-MM-DD, for example 2024-01-31; got {raw!r}"
        ) from None
    return timezone.make_aware(datetime.combine(day, time.min))


class Command(BaseCommand):
    help = "Permanently remove rows soft-deleted before a date (asks for confirmation)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--before", required=True, metavar="YYYY-MM-DD",
            help="purge rows whose deletion happened before this date",
        )
        parser.add_argument(
            "--yes", action="store_true", help="do not ask for confirmation (automation)"
        )

    def handle(self, *args, before, yes, **options):
        cutoff = parse_cutoff(before)

        with transaction.atomic():
            order = purge_order(soft_delete_models())
            selected = {model: pks for model, pks in purgeable_rows(order, cutoff).items() if pks}
            if not selected:
                self.stdout.write(f"Nothing was deleted before {before}; nothing to purge.")
                return

            self.stdout.write(f"Rows soft-deleted before {before} that will be removed for good:")
            for model, pks in selected.items():
                self.stdout.write(f"  {model._meta.label}: {len(pks)}")
            if not yes and not self._confirmed():
                self.stdout.write("Purge cancelled; nothing was deleted.")
                return

            removed: dict[str, int] = {}
            for model, pks in selected.items():
                for start in range(0, len(pks), BATCH_SIZE):
                    batch = model.all_objects.filter(pk__in=pks[start : start + BATCH_SIZE])
                    _, per_model = batch.hard_delete()
                    for label, count in per_model.items():
                        removed[label] = removed.get(label, 0) + count
            removed = {label: count for label, count in removed.items() if count}
            self._clean_orphan_permissions()
            self._record(before=before, removed=removed)

        summary = ", ".join(f"{label} {count}" for label, count in sorted(removed.items()))
        self.stdout.write(self.style.SUCCESS(f"Purged: {summary}"))

    def _confirmed(self) -> bool:
        try:
            answer = input('Type "yes" to delete these rows permanently: ')
        except EOFError:
            raise CommandError(
                "confirmation needed but no terminal to ask on; rerun with --yes to purge"
            ) from None
        return answer.strip().lower() == "yes"

    def _clean_orphan_permissions(self) -> None:
        # Object permissions refer to rows by id without a foreign key; drop those left dangling.
        from guardian.utils import clean_orphan_obj_perms

        clean_orphan_obj_perms()

    def _record(self, *, before: str, removed: dict[str, int]) -> None:
        operator = _operator()
        for label, count in sorted(removed.items()):
            security_log.info(
                "purge_deleted removed %s %s rows soft-deleted before %s (by %s)",
                count, label, before, operator,
            )
        entry = {
            "at": timezone.now().isoformat(),
            "by": operator,
            "before": before,
            "removed": dict(sorted(removed.items())),
        }
        log_path = settings.VAR_DIR / "purge-log.jsonl"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("a", encoding="utf-8") as log_file:
            log_file.write(json.dumps(entry) + "\n")


def _operator() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"

"""Soft delete: rows are hidden, never removed, and come back with `restore()`.

A model lists in `soft_delete_cascade` the reverse accessors of the rows that go
with it (a patient's encounters, an encounter's vitals, ...). One deletion stamps
every row it hides with the same `deletion_id`, so restoring brings back exactly
those rows and leaves alone rows that had been deleted earlier on their own.
"""

import uuid

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

STAMP_FIELDS = ["deleted_at", "deleted_by", "deletion_id"]


class SoftDeleteQuerySet(models.QuerySet):
    def alive(self):
        return self.filter(deleted_at__isnull=True)

    def deleted(self):
        return self.filter(deleted_at__isnull=False)

    def delete(self, *, by=None):
        """Soft-delete every row (and its cascade) in one transaction; returns the count."""
        count = 0
        with transaction.atomic():
            for row in self.alive():
                row.delete(by=by)
                count += 1
        return count, {self.model._meta.label: count}

    delete.queryset_only = True

    def restore(self, *, by=None):
        count = 0
        with transaction.atomic():
            for row in self.deleted():
                row.restore(by=by)
                count += 1
        return count

    def hard_delete(self):
        return super().delete()


class SoftDeleteManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """The default manager: deleted rows do not exist."""

    def get_queryset(self):
        return super().get_queryset().filter(deleted_at__isnull=True)


class AllRowsManager(models.Manager.from_queryset(SoftDeleteQuerySet)):
    """Sees deleted rows too (admin's deleted filter, restore, purge)."""


def _record_history(model, rows, by):
    history = getattr(model, "history", None)
    if rows and history is not None:
        history.bulk_history_create(rows, update=True, default_user=by)


def _stamp_cascade(model, deletion_id, stamp: dict, by) -> None:
    for accessor in model.soft_delete_cascade:
        relation = model._meta.get_field(accessor)
        child = relation.related_model
        lookup = {f"{relation.field.name}__deletion_id": deletion_id}
        rows = list(child.objects.filter(**lookup))
        if not rows:
            continue
        for row in rows:
            for field, value in stamp.items():
                setattr(row, field, value)
        child.all_objects.bulk_update(rows, list(stamp), batch_size=500)
        _record_history(child, rows, by)
        _stamp_cascade(child, deletion_id, stamp, by)


def _unstamp_cascade(model, parent_pks: list, deletion_id, by) -> None:
    # Only the restored rows' own dependants: restoring one encounter of a deleted patient
    # must not bring back its sibling encounters' records, which share the deletion_id.
    for accessor in model.soft_delete_cascade:
        relation = model._meta.get_field(accessor)
        child = relation.related_model
        rows = []
        for start in range(0, len(parent_pks), 500):
            lookup = {f"{relation.field.name}__in": parent_pks[start : start + 500]}
            rows += child.all_objects.filter(deletion_id=deletion_id, **lookup)
        if not rows:
            continue
        for row in rows:
            row.deleted_at = row.deleted_by = row.deletion_id = None
        child.all_objects.bulk_update(rows, STAMP_FIELDS, batch_size=500)
        _record_history(child, rows, by)
        _unstamp_cascade(child, [row.pk for row in rows], deletion_id, by)


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(null=True, blank=True, editable=False, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
    )
    deletion_id = models.UUIDField(null=True, blank=True, editable=False, db_index=True)

    objects = SoftDeleteManager()
    all_objects = AllRowsManager()

    soft_delete_cascade: tuple[str, ...] = ()

    class Meta:
        abstract = True
        base_manager_name = "all_objects"

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    def delete(self, using=None, keep_parents=False, *, by=None):
        """Hide this row and its cascade; nothing is removed from the database."""
        if self.is_deleted:
            return 0, {}
        stamp = {"deleted_at": timezone.now(), "deleted_by": by, "deletion_id": uuid.uuid4()}
        with transaction.atomic():
            for field, value in stamp.items():
                setattr(self, field, value)
            if by is not None:
                self._history_user = by
            self.save(update_fields=STAMP_FIELDS)
            _stamp_cascade(type(self), stamp["deletion_id"], stamp, by)
        return 1, {self._meta.label: 1}

    def restore(self, *, by=None):
        """Undo the deletion that hid this row, with exactly the rows it hid."""
        if not self.is_deleted:
            return
        deletion_id = self.deletion_id
        with transaction.atomic():
            self.deleted_at = self.deleted_by = self.deletion_id = None
            if by is not None:
                self._history_user = by
            self.save(update_fields=STAMP_FIELDS)
            if deletion_id is not None:
                _unstamp_cascade(type(self), [self.pk], deletion_id, by)

    def hard_delete(self):
        return super().delete()

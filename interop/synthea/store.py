"""Batched writes: insert new rows, update changed ones, leave identical ones alone."""

from django.db import models

CHANGE_REASON = "Synthea import"
REPEATED_ROW = "repeated row (same key as an earlier row of the file): the last one wins"
_max_lengths: dict[type, dict[str, int]] = {}


def build(model, **values):
    """An unsaved instance with strings cut to their column's length (MySQL refuses longer)."""
    limits = _max_lengths.get(model)
    if limits is None:
        limits = _max_lengths[model] = {
            f.attname: f.max_length
            for f in model._meta.concrete_fields
            if isinstance(f, models.CharField) and f.max_length
        }
    for name, limit in limits.items():
        value = values.get(name)
        if isinstance(value, str):
            values[name] = value.strip()[:limit]
    return model(**values)


def record_history(model, rows, *, update=False) -> None:
    history = getattr(model, "history", None)
    if rows and history is not None:
        history.bulk_history_create(rows, update=update, default_change_reason=CHANGE_REASON)


def upsert(model, objects, fields, stats, *, key="external_id") -> dict:
    """Write `objects` by their key and return {key: pk}.

    `fields` are the attnames the import owns; only those are compared and updated,
    so a second import of the same export writes nothing.
    """
    by_key = {}
    for obj in objects:
        if getattr(obj, key) in by_key:
            stats.skip(REPEATED_ROW)
        by_key[getattr(obj, key)] = obj
    existing = {
        getattr(row, key): row for row in model._base_manager.filter(**{f"{key}__in": list(by_key)})
    }
    to_create, to_update = [], []
    for value, obj in by_key.items():
        old = existing.get(value)
        if old is None:
            to_create.append(obj)
            continue
        if any(getattr(old, name) != getattr(obj, name) for name in fields):
            for name in fields:
                setattr(old, name, getattr(obj, name))
            to_update.append(old)
        else:
            stats.unchanged += 1
        obj.pk = old.pk
    if to_create:
        model._base_manager.bulk_create(to_create)
        record_history(model, to_create)
    if to_update:
        model._base_manager.bulk_update(to_update, fields)
        record_history(model, to_update, update=True)
    stats.created += len(to_create)
    stats.updated += len(to_update)
    return {value: obj.pk for value, obj in by_key.items()}


def ensure_catalog(model, key_field: str, wanted: dict, cache: dict) -> None:
    """Create catalog rows (conditions, lab tests, ...) that do not exist yet; first seen wins."""
    missing = {k: v for k, v in wanted.items() if k not in cache}
    if not missing:
        return
    for pk, value in model._base_manager.filter(**{f"{key_field}__in": list(missing)}).values_list(
        "pk", key_field
    ):
        cache[value] = pk
    new = [build(model, **{key_field: k, **v}) for k, v in missing.items() if k not in cache]
    if new:
        model._base_manager.bulk_create(new)
        record_history(model, new)
        for obj in new:
            cache[getattr(obj, key_field)] = obj.pk

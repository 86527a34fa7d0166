"""Write docs/data-model.md from the live models: Mermaid ER and class diagrams.

Everything but the section between HAND_WRITTEN_BEGIN and HAND_WRITTEN_END is
generated; that section is carried over from the existing file on every run.
"""

import re
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import models
from simple_history.models import HistoricalChanges

from core.softdelete import STAMP_FIELDS, SoftDeleteModel

DOMAIN_APPS = ("providers", "patients", "billing")
HAND_WRITTEN_BEGIN = "<!-- BEGIN HAND-WRITTEN: kept by data_model_doc, edit freely -->"
HAND_WRITTEN_END = "<!-- END HAND-WRITTEN -->"
HAND_WRITTEN_PLACEHOLDER = "_Write the mapping from the original design here._"
DEFAULT_OUTPUT = "docs/data-model.md"

TYPE_NAMES = {
    "AutoField": "int",
    "BigAutoField": "bigint",
    "BigIntegerField": "bigint",
    "BooleanField": "bool",
    "CharField": "string",
    "DateField": "date",
    "DateTimeField": "datetime",
    "DecimalField": "decimal",
    "EmailField": "string",
    "IntegerField": "int",
    "PositiveIntegerField": "int",
    "PositiveSmallIntegerField": "smallint",
    "SmallIntegerField": "smallint",
    "TextField": "text",
    "UUIDField": "uuid",
}


def domain_models() -> list[type[models.Model]]:
    found = [
        model
        for label in DOMAIN_APPS
        for model in apps.get_app_config(label).get_models()
        if not issubclass(model, HistoricalChanges)
    ]
    return sorted(
        found, key=lambda model: (DOMAIN_APPS.index(model._meta.app_label), model.__name__)
    )


def _type_name(field) -> str:
    if field.is_relation:
        return _type_name(field.target_field)
    return TYPE_NAMES.get(field.get_internal_type(), field.get_internal_type().lower())


def _shown_fields(model):
    return [field for field in model._meta.local_fields if field.name not in STAMP_FIELDS]


def _attribute(field, members) -> str:
    keys = []
    if field.primary_key:
        keys.append("PK")
    if field.is_relation:
        keys.append("FK")
    elif field.unique and not field.primary_key:
        keys.append("UK")
    line = f"{_type_name(field)} {field.attname}"
    if keys:
        line += " " + ", ".join(keys)
    if field.is_relation and field.related_model not in members:
        line += f' "{field.related_model._meta.label}"'
    elif field.name.endswith("_encrypted"):
        line += ' "encrypted, never displayed"'
    elif field.null and not field.is_relation:
        line += ' "optional"'
    return line


def _relationship(field) -> str:
    parent = field.related_model.__name__
    child = field.model.__name__
    if isinstance(field, models.OneToOneField):
        if field.remote_field.parent_link:
            return f'    {parent} ||--o| {child} : "is a"'
        return f'    {parent} {"|o" if field.null else "||"}--o| {child} : "{field.name}"'
    return f'    {parent} {"|o" if field.null else "||"}--o{{ {child} : "{field.name}"'


def er_diagram(members: list) -> list[str]:
    lines = ["```mermaid", "erDiagram"]
    for model in members:
        lines.append(f"    {model.__name__} {{")
        lines += [f"        {_attribute(field, members)}" for field in _shown_fields(model)]
        lines.append("    }")
    for model in members:
        for field in _shown_fields(model):
            if field.is_relation and field.related_model in members:
                lines.append(_relationship(field))
    lines.append("```")
    return lines


def class_diagram(root: type[models.Model], members: list) -> list[str]:
    children = [model for model in members if root in model._meta.parents]
    lines = ["```mermaid", "classDiagram"]
    for model in [root, *children]:
        lines.append(f"    class {model.__name__} {{")
        for field in _shown_fields(model):
            if not (isinstance(field, models.OneToOneField) and field.remote_field.parent_link):
                type_name = field.related_model.__name__ if field.is_relation else _type_name(field)
                lines.append(f"        +{type_name} {field.name}")
        if model is root:
            lines.append("        +kind() str")
            lines.append("        +display_name() str")
        lines.append("    }")
    lines += [f"    {root.__name__} <|-- {child.__name__}" for child in children]
    lines.append("```")
    return lines


def entity_table(members: list) -> list[str]:
    lines = [
        "| entity | table | soft delete | deleting it also hides | history |",
        "|---|---|---|---|---|",
    ]
    for model in members:
        soft = issubclass(model, SoftDeleteModel)
        cascade = ", ".join(
            model._meta.get_field(accessor).related_model.__name__
            for accessor in getattr(model, "soft_delete_cascade", ())
        )
        history = "yes" if hasattr(model, "history") else "no"
        lines.append(
            f"| {model.__name__} | `{model._meta.db_table}` | {'yes' if soft else 'no'} "
            f"| {cascade or '—'} | {history} |"
        )
    return lines


def render(hand_written: str) -> str:
    # By name: core imports no app.
    provider_model = apps.get_model("providers", "HealthcareProvider")
    members = domain_models()
    lines = [
        "# PHMS data model",
        "",
        "<!-- Generated by `python manage.py data_model_doc` from the live models. Only the",
        "     hand-written section between its markers survives a rerun: edit that, or the",
        "     models, and rerun the command. -->",
        "",
        "Structured records live in the relational store (MySQL in production, SQLite by",
        "default); clinical notes and vaccinations live in the document store (see",
        "the project's DESIGN.md, section *Data model*). Every foreign key between these models",
        "is `on_delete=PROTECT`: rows are soft-deleted, and only `manage.py purge_deleted`",
        "removes them.",
        "",
        "## Entity-relationship diagram",
        "",
        "Domain models of `providers`, `patients` and `billing`. Not shown: the soft-delete",
        "stamps (`deleted_at`, `deleted_by`, `deletion_id`) on every soft-deleted entity, the",
        "`Historical...` tables of django-simple-history, and Django's auth tables (links to",
        "them are marked with the model they point at).",
        "",
        *er_diagram(members),
        "",
        "## Provider specialization (UML)",
        "",
        "`HealthcareProvider` is concrete; `Doctor` and `Nurse` extend it through multi-table",
        "inheritance (one row in the parent table, one in the child's, sharing the key).",
        "`HealthcareProvider.objects` joins both child tables, so `kind` costs no query per row.",
        "",
        *class_diagram(provider_model, members),
        "",
        "## Entities at a glance",
        "",
        *entity_table(members),
        "",
        HAND_WRITTEN_BEGIN,
        hand_written.strip("\n"),
        HAND_WRITTEN_END,
        "",
    ]
    return "\n".join(lines)


def existing_hand_written(path: Path) -> str:
    if not path.is_file():
        return HAND_WRITTEN_PLACEHOLDER
    text = path.read_text(encoding="utf-8")
    match = re.search(
        re.escape(HAND_WRITTEN_BEGIN) + r"\n(.*?)\n?" + re.escape(HAND_WRITTEN_END), text, re.S
    )
    if match is None:
        raise CommandError(
            f"{path} has no hand-written section between its markers; restore the markers "
            "(or move the file away) so its hand-written text is not lost"
        )
    return match.group(1)


class Command(BaseCommand):
    help = "Write docs/data-model.md (Mermaid ER and class diagrams) from the live models."

    def add_arguments(self, parser):
        parser.add_argument(
            "--output", default=DEFAULT_OUTPUT,
            help=f"file to write, relative to the project (default {DEFAULT_OUTPUT})",
        )

    def handle(self, *args, output, **options):
        path = Path(output)
        if not path.is_absolute():
            path = Path(settings.BASE_DIR) / path
        text = render(existing_hand_written(path))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"wrote {path}")

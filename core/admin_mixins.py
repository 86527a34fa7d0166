"""Admin building blocks for soft-deleted models.

In the admin, "delete" hides rows (recording who did it) and "Restore selected"
brings them back; a hard delete exists only as `manage.py purge_deleted`.
"""

from django.contrib import admin, messages
from django.utils.text import capfirst
from simple_history.admin import SimpleHistoryAdmin

from core.softdelete import STAMP_FIELDS, SoftDeleteModel


class DeletedListFilter(admin.SimpleListFilter):
    """Deleted: no (the default) / yes / all."""

    title = "deleted"
    parameter_name = "deleted"
    default_value = "no"

    def lookups(self, request, model_admin):
        return [("no", "No"), ("yes", "Yes"), ("all", "All")]

    def value(self):
        return super().value() or self.default_value

    def choices(self, changelist):
        # No "All" entry pointing at the bare URL: the bare URL means "live rows only".
        current = self.value()
        for lookup, title in self.lookup_choices:
            yield {
                "selected": current == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        value = self.value()
        if value == "yes":
            return queryset.filter(deleted_at__isnull=False)
        if value == "all":
            return queryset
        return queryset.filter(deleted_at__isnull=True)


def _is_autocomplete(request) -> bool:
    match = getattr(request, "resolver_match", None)
    return match is not None and match.url_name == "autocomplete"


class SoftDeleteAdmin(SimpleHistoryAdmin):
    """A history-tracked admin whose delete hides rows and whose list can show and restore them."""

    actions = ["restore_selected"]

    def get_queryset(self, request):
        # Every row, so deleted ones can be filtered for, opened, restored and their history read.
        queryset = self.model.all_objects.get_queryset()
        ordering = self.get_ordering(request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return queryset

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if _is_autocomplete(request):
            # A form must never offer a deleted row as the target of a new link.
            queryset = queryset.filter(deleted_at__isnull=True)
        return queryset, may_have_duplicates

    def get_list_filter(self, request):
        return [DeletedListFilter, *super().get_list_filter(request)]

    def get_list_display(self, request):
        return [*super().get_list_display(request), "deleted_marker"]

    @admin.display(description="deleted", boolean=True, ordering="deleted_at")
    def deleted_marker(self, obj):
        return obj.is_deleted

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.is_deleted:
            readonly += [name for name in ("deleted_at", "deleted_by") if name not in readonly]
        return readonly

    @admin.action(description="Restore selected %(verbose_name_plural)s", permissions=["change"])
    def restore_selected(self, request, queryset):
        restored = queryset.restore(by=request.user)
        self.message_user(
            request,
            f"Restored {restored} {self._plural(restored)} with what their deletion hid.",
            messages.SUCCESS,
        )

    def save_model(self, request, obj, form, change):
        if change:
            # Deletion state changes only through delete and restore, which carry the cascade;
            # a revert from history must not hide or unhide one row on its own.
            attnames = [self.model._meta.get_field(name).attname for name in STAMP_FIELDS]
            current = self.model.all_objects.filter(pk=obj.pk).values(*attnames).first()
            for attname, value in (current or {}).items():
                setattr(obj, attname, value)
        super().save_model(request, obj, form, change)

    def delete_model(self, request, obj):
        obj.delete(by=request.user)

    def delete_queryset(self, request, queryset):
        queryset.delete(by=request.user)

    def get_deleted_objects(self, objs, request):
        """Soft delete removes nothing, so foreign keys that PROTECT do not block it.

        The confirmation page lists the rows to hide; their dependants are hidden with them.
        """
        objs = [obj for obj in objs if not obj.is_deleted]
        opts = self.model._meta
        to_delete = [f"{capfirst(opts.verbose_name)}: {obj}" for obj in objs]
        model_count = {opts.verbose_name_plural: len(objs)} if objs else {}
        perms_needed = set()
        if not self.has_delete_permission(request):
            perms_needed.add(opts.verbose_name)
        return to_delete, model_count, perms_needed, []

    def save_formset(self, request, form, formset, change):
        # Rows deleted through an inline are soft-deleted like any other, with the acting user.
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            if isinstance(obj, SoftDeleteModel):
                obj.delete(by=request.user)
            else:
                obj.delete()
        for obj in instances:
            obj.save()
        formset.save_m2m()

    def _plural(self, count: int) -> str:
        opts = self.model._meta
        return str(opts.verbose_name if count == 1 else opts.verbose_name_plural)


class SoftDeleteInline(admin.TabularInline):
    """An inline of a soft-deleted child: live rows only (the default manager)."""

    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        return super().get_queryset(request).filter(deleted_at__isnull=True)


class ReadOnlyAdminMixin:
    """Rows written by a service only (a ledger, a log, a merge): the admin reads them."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

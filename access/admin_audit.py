"""The admin's pages about patients write the access log like every other page.

`AccessLoggedAdmin` goes first in a ModelAdmin's bases: a list page writes one entry naming
the patients on it; an object's change and history pages one entry naming its patient.
"""

from django.contrib.admin.utils import unquote

from access.audit import Section, access_log_record_list


class AccessLoggedAdmin:
    # The attributes leading from a row to its patient's id ("pk" on the patient itself).
    patient_path = "patient_id"

    def patient_id_of(self, obj) -> int | None:
        value = obj
        for name in self.patient_path.split("."):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    def _log(self, request, objects, page) -> None:
        access_log_record_list(
            request,
            patient_ids=[pk for pk in map(self.patient_id_of, objects) if pk is not None],
            section=Section.ADMIN,
            detail=f"admin {self.model._meta.verbose_name} {page}",
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            self._log(request, changelist.result_list, "list")
        return response

    def _log_object(self, request, object_id, page) -> None:
        obj = self.get_object(request, unquote(object_id))
        if obj is not None:
            self._log(request, [obj], page)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)
        if response.status_code == 200:
            self._log_object(request, object_id, "page")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)
        if response.status_code == 200:
            self._log_object(request, object_id, "history")
        return response

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """simple-history's page of one earlier version (only on its history admins)."""
        response = super().history_form_view(request, object_id, version_id, extra_context)
        if response.status_code == 200:
            self._log_object(request, object_id, "earlier version")
        return response

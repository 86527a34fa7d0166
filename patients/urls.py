from django.urls import path

from patients.views import (
    chart,
    directory,
    encounters,
    lists,
    merge,
    notes,
    records,
    registration,
    vaccinations,
)

app_name = "patients"

urlpatterns = [
    # Reading: directory, search, chart, print view (patients/views/directory.py, chart.py)
    path("", directory.patient_list, name="list"),
    path("<int:pk>/", chart.chart, name="chart"),
    path("<int:pk>/print/", chart.chart_print, name="chart_print"),
    # Recording (patients/views/): registration.py, encounters.py (and the care team),
    # records.py (relational records, delete and restore), notes.py, vaccinations.py
    path("register/", registration.register, name="register"),
    path("<int:pk>/register/<slug:step>/", registration.register_step, name="register_step"),
    path("<int:pk>/merge/", merge.patient_merge, name="merge"),
    path("<int:pk>/merges/<int:merge_pk>/undo/", merge.merge_undo, name="merge_undo"),
    path("<int:pk>/edit/", registration.patient_edit, name="edit"),
    path("<int:pk>/contacts/add/", registration.emergency_contact_add, name="contact_add"),
    path("<int:pk>/coverage/add/", registration.coverage_add, name="coverage_add"),
    path("<int:pk>/encounters/open/", encounters.encounter_open, name="encounter_open"),
    path(
        "<int:pk>/encounters/<int:encounter_pk>/close/",
        encounters.encounter_close,
        name="encounter_close",
    ),
    path(
        "<int:pk>/encounters/<int:encounter_pk>/care-team/", encounters.care_team, name="care_team"
    ),
    path(
        "<int:pk>/encounters/<int:encounter_pk>/care-team/<int:assignment_pk>/end/",
        encounters.care_team_end,
        name="care_team_end",
    ),
    path(
        "<int:pk>/encounters/<int:encounter_pk>/care-team/<int:assignment_pk>/restore/",
        encounters.care_team_restore,
        name="care_team_restore",
    ),
    path("<int:pk>/vitals/add/", records.vital_signs_add, name="vitals_add"),
    path("<int:pk>/symptoms/add/", records.symptom_add, name="symptom_add"),
    path("<int:pk>/diagnoses/add/", records.diagnosis_add, name="diagnosis_add"),
    path("<int:pk>/lab-results/add/", records.lab_result_add, name="lab_result_add"),
    path("<int:pk>/prescriptions/add/", records.prescription_add, name="prescription_add"),
    path("<int:pk>/notes/add/", notes.note_add, name="note_add"),
    path("<int:pk>/notes/<str:note_id>/amend/", notes.note_amend, name="note_amend"),
    path("<int:pk>/vaccinations/add/", vaccinations.vaccination_add, name="vaccination_add"),
    path(
        "<int:pk>/vaccinations/<str:event_id>/correct/",
        vaccinations.vaccination_correct,
        name="vaccination_correct",
    ),
    path(
        "<int:pk>/vaccinations/<str:event_id>/delete/",
        vaccinations.vaccination_delete,
        name="vaccination_delete",
    ),
    path(
        "<int:pk>/vaccinations/<str:event_id>/restore/",
        vaccinations.vaccination_restore,
        name="vaccination_restore",
    ),
    path(
        "<int:pk>/records/<slug:kind>/<int:record_pk>/delete/",
        records.record_delete,
        name="record_delete",
    ),
    path(
        "<int:pk>/records/<slug:kind>/<int:record_pk>/restore/",
        records.record_restore,
        name="record_restore",
    ),
    path("conditions/search/", records.condition_search, name="condition_search"),
    path("providers/search/", encounters.provider_search, name="provider_search"),
]

# The chart's problem list, medication list and allergies (patients/views/lists.py)
urlpatterns += [
    path(
        "<int:pk>/problems/<int:diagnosis_pk>/resolve/",
        lists.problem_resolve,
        name="problem_resolve",
    ),
    path(
        "<int:pk>/problems/<int:diagnosis_pk>/entered-in-error/",
        lists.problem_entered_in_error,
        name="problem_entered_in_error",
    ),
    path(
        "<int:pk>/medications/<int:prescription_pk>/stop/",
        lists.medication_stop,
        name="medication_stop",
    ),
    path(
        "<int:pk>/medications/<int:prescription_pk>/renew/",
        lists.medication_renew,
        name="medication_renew",
    ),
    path("<int:pk>/allergies/add/", lists.allergy_add, name="allergy_add"),
    path(
        "<int:pk>/allergies/<int:allergy_pk>/change/", lists.allergy_change, name="allergy_change"
    ),
    path("<int:pk>/allergies/none-known/", lists.allergy_none_known, name="allergy_none_known"),
]

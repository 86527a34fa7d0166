from django.urls import path

from patients.views import chart, directory, records, registration

app_name = "patients"

urlpatterns = [
    # Reading: directory, search, chart, print view (patients/views/directory.py, chart.py)
    path("", directory.patient_list, name="list"),
    path("<int:pk>/", chart.chart, name="chart"),
    path("<int:pk>/print/", chart.chart_print, name="chart_print"),
    # Recording: registration and clinical forms (patients/views/registration.py, records.py)
    path("register/", registration.register, name="register"),
    path("<int:pk>/edit/", registration.patient_edit, name="edit"),
    path("<int:pk>/contacts/add/", registration.emergency_contact_add, name="contact_add"),
    path("<int:pk>/coverage/add/", registration.coverage_add, name="coverage_add"),
    path("<int:pk>/encounters/open/", records.encounter_open, name="encounter_open"),
    path(
        "<int:pk>/encounters/<int:encounter_pk>/close/",
        records.encounter_close,
        name="encounter_close",
    ),
    path("<int:pk>/encounters/<int:encounter_pk>/care-team/", records.care_team, name="care_team"),
    path(
        "<int:pk>/encounters/<int:encounter_pk>/care-team/<int:assignment_pk>/end/",
        records.care_team_end,
        name="care_team_end",
    ),
    path(
        "<int:pk>/encounters/<int:encounter_pk>/care-team/<int:assignment_pk>/restore/",
        records.care_team_restore,
        name="care_team_restore",
    ),
    path("<int:pk>/vitals/add/", records.vital_signs_add, name="vitals_add"),
    path("<int:pk>/symptoms/add/", records.symptom_add, name="symptom_add"),
    path("<int:pk>/diagnoses/add/", records.diagnosis_add, name="diagnosis_add"),
    path("<int:pk>/lab-results/add/", records.lab_result_add, name="lab_result_add"),
    path("<int:pk>/prescriptions/add/", records.prescription_add, name="prescription_add"),
    path("<int:pk>/notes/add/", records.note_add, name="note_add"),
    path("<int:pk>/notes/<str:note_id>/amend/", records.note_amend, name="note_amend"),
    path("<int:pk>/vaccinations/add/", records.vaccination_add, name="vaccination_add"),
    path(
        "<int:pk>/vaccinations/<str:event_id>/correct/",
        records.vaccination_correct,
        name="vaccination_correct",
    ),
    path(
        "<int:pk>/vaccinations/<str:event_id>/delete/",
        records.vaccination_delete,
        name="vaccination_delete",
    ),
    path(
        "<int:pk>/vaccinations/<str:event_id>/restore/",
        records.vaccination_restore,
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
    path("providers/search/", records.provider_search, name="provider_search"),
]

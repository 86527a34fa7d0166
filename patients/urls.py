from django.urls import path

from patients.views import chart, directory

app_name = "patients"

urlpatterns = [
    # Reading: directory, search, chart, print view (patients/views/directory.py, chart.py)
    path("", directory.patient_list, name="list"),
    path("<int:pk>/", chart.chart, name="chart"),
    path("<int:pk>/print/", chart.chart_print, name="chart_print"),
    # Recording: registration and clinical forms (patients/views/registration.py, records.py)
]

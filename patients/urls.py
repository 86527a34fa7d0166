from django.urls import path  # noqa: F401 - used as the sections below fill in

app_name = "patients"

urlpatterns = [
    # Reading: directory, search, chart, print view (patients/views/directory.py, chart.py)
    # Recording: registration and clinical forms (patients/views/registration.py, records.py)
]

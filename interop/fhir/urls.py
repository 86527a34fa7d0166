from django.urls import path, re_path

from . import export_views, views

app_name = "fhir"

urlpatterns = [
    path("", views.unknown, name="base"),
    path("metadata", views.metadata, name="metadata"),
    path("Patient/<str:ident>/$everything", views.everything, name="everything"),
    path("$export", export_views.kick_off, name="export"),
    path("$export-status/<str:job_id>", export_views.status, name="export_status"),
    path(
        "$export-file/<str:job_id>/<str:resource_type>.ndjson",
        export_views.download,
        name="export_file",
    ),
    path("<str:resource_type>", views.search, name="search"),
    path("<str:resource_type>/<str:ident>", views.read, name="read"),
    re_path(r"^(?P<path>.+)$", views.unknown, name="unknown"),
]

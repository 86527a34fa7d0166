from django.urls import path, re_path

from . import views

app_name = "fhir"

urlpatterns = [
    path("", views.unknown, name="base"),
    path("metadata", views.metadata, name="metadata"),
    path("Patient/<str:ident>/$everything", views.everything, name="everything"),
    path("<str:resource_type>", views.search, name="search"),
    path("<str:resource_type>/<str:ident>", views.read, name="read"),
    re_path(r"^(?P<path>.+)$", views.unknown, name="unknown"),
]

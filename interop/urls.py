from django.urls import path

from . import views

app_name = "interop"

urlpatterns = [
    path("devices/<int:patient_pk>/", views.devices, name="devices"),
    path(
        "devices/<int:patient_pk>/<int:device_pk>/revoke/",
        views.device_revoke_view,
        name="device_revoke",
    ),
]

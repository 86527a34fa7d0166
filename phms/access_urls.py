from django.urls import path

from phms import access_views

app_name = "access"

urlpatterns = [
    path(
        "break-glass/<int:patient_pk>/",
        access_views.break_glass,
        name="break_glass",
    ),
]

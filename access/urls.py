from django.urls import path

from access import views as access_views

app_name = "access"

urlpatterns = [
    path(
        "break-glass/<int:patient_pk>/",
        access_views.break_glass,
        name="break_glass",
    ),
    path(
        "break-glass/access/<int:access_pk>/end/",
        access_views.end_break_glass,
        name="break_glass_end",
    ),
    path(
        "break-glass/review/",
        access_views.break_glass_review_list,
        name="break_glass_review",
    ),
]

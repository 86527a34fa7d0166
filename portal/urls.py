from django.urls import path

from portal import desk_views, views

app_name = "portal"

urlpatterns = [
    # The patient's pages (portal/views.py): the record portal_patient_for_user chose.
    path("", views.home, name="home"),
    path("switch/", views.switch, name="switch"),
    path("visits/", views.visits, name="visits"),
    path("visits/<int:encounter_pk>/", views.visit, name="visit"),
    path("results/", views.results, name="results"),
    path("medications/", views.medications, name="medications"),
    path("vaccinations/", views.vaccinations, name="vaccinations"),
    path("vaccinations/<str:event_id>/", views.vaccination, name="vaccination"),
    path("notes/", views.notes, name="notes"),
    path("notes/<str:note_id>/", views.note, name="note"),
    path("bills/", views.bills, name="bills"),
    path("bills/<int:bill_pk>/", views.bill, name="bill"),
    path("appointments/", views.appointments, name="appointments"),
    path("appointments/request/", views.appointment_request, name="appointment_request"),
    path(
        "appointments/requests/<int:request_pk>/withdraw/",
        views.appointment_request_withdraw,
        name="appointment_request_withdraw",
    ),
    path(
        "appointments/<int:appointment_pk>/cancel/",
        views.appointment_cancel,
        name="appointment_cancel",
    ),
    path("who-looked/", views.access_log, name="access_log"),
    path("print/", views.print_record, name="print"),
    path("my-details/", views.details, name="details"),
    path("my-details/change/<slug:kind>/", views.change_request, name="change_request"),
    path("password/", views.password_change, name="password_change"),
    path("password/done/", views.password_done, name="password_done"),
    # Getting an account (anonymous, with the link and code from the letter).
    path("activate/<str:token>/", desk_views.activate, name="activate"),
    # Front desk (portal/desk_views.py).
    path("desk/patients/<int:pk>/invitation/", desk_views.invitation, name="invitation"),
    path("desk/patients/<int:pk>/proxies/", desk_views.proxies, name="proxies"),
    path(
        "desk/patients/<int:pk>/proxies/<int:access_pk>/end/",
        desk_views.proxy_revoke,
        name="proxy_revoke",
    ),
    path("desk/requests/", desk_views.review_queue, name="review_queue"),
    path("desk/requests/<int:request_pk>/", desk_views.review, name="review"),
]

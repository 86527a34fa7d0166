from django.urls import path

from scheduling.views import clinician, desk

app_name = "scheduling"

urlpatterns = [
    # Schedules (front desk: every one; clinicians: their own and their department's).
    path("", desk.index, name="index"),
    path("departments/<int:pk>/day/", desk.department_day, name="department_day"),
    path("departments/<int:pk>/week/", desk.department_week, name="department_week"),
    path("providers/<int:pk>/day/", desk.provider_day, name="provider_day"),
    path("providers/<int:pk>/week/", desk.provider_week, name="provider_week"),
    # Front desk: booking, the day's arrivals, walk-ins and the patients' requests.
    path("book/", desk.book, name="book"),
    path("arrivals/", desk.arrivals, name="arrivals"),
    path("walk-in/", desk.walk_in, name="walk_in"),
    path("requests/", desk.request_queue, name="request_queue"),
    path("requests/<int:request_pk>/decline/", desk.request_decline, name="request_decline"),
    path("appointments/<int:pk>/", desk.appointment_detail, name="appointment"),
    path("appointments/<int:pk>/reschedule/", desk.reschedule, name="reschedule"),
    path("appointments/<int:pk>/cancel/", desk.cancel, name="cancel"),
    path("appointments/<int:pk>/check-in/", desk.check_in, name="check_in"),
    # Clinicians: start the visit; their own schedule as iCalendar.
    path("appointments/<int:pk>/start/", clinician.start_visit, name="start_visit"),
    path("my-calendar.ics", clinician.my_calendar, name="my_calendar"),
]

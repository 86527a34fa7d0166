from django.urls import path

from reports import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("dashboard/tiles/", views.dashboard_tiles, name="dashboard_tiles"),
    path("<slug:slug>/", views.report, name="report"),
]

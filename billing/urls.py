from django.urls import path

from billing import views

app_name = "billing"

urlpatterns = [
    path("", views.bills, name="list"),
    path("submit/", views.bulk_submit, name="bulk_submit"),
    path("denials/", views.denials, name="denials"),
    path("<int:pk>/", views.bill_detail, name="detail"),
    path("<int:pk>/payment/", views.bill_payment, name="payment"),
    path("<int:pk>/adjustment/", views.bill_adjustment, name="adjustment"),
    path("<int:pk>/reversal/", views.bill_reversal, name="reversal"),
    path(
        "<int:pk>/<str:action>/",
        views.bill_action,
        name="action",
    ),
    path("statement/<int:patient_pk>/", views.statement, name="statement"),
]

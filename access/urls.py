from django.urls import path

from access import token_views
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
    path("api-tokens/", token_views.api_tokens, name="api_tokens"),
    path(
        "api-tokens/<int:token_pk>/revoke/",
        token_views.api_token_revoke_view,
        name="api_token_revoke",
    ),
    path(
        "break-glass/review/",
        access_views.break_glass_review_list,
        name="break_glass_review",
    ),
]

"""HTML pages of this room (mounted under /awards/ by config/urls.py)."""

from django.urls import path

from . import views

app_name = "awards"

urlpatterns = [
    path("", views.committee, name="committee"),
    path("monthly/select/", views.committee_select, name="committee-select"),
    path("nominations/", views.nominations_page, name="nominations"),
    path("commendations/new/", views.adhoc_page, name="adhoc"),
    path("budget/", views.budget_page, name="budget"),
    path("certificates/<str:serial>.pdf", views.certificate_pdf, name="certificate-pdf"),
    path("certificates/<str:serial>/revoke/", views.certificate_revoke_page, name="certificate-revoke"),
    path("verify/<str:serial>/", views.verify, name="verify"),
]

"""HTML pages of this room (mounted under /awards/ by config/urls.py)."""

from django.urls import path

from . import views

app_name = "awards"

urlpatterns = [
    path("certificates/<str:serial>.pdf", views.certificate_pdf, name="certificate-pdf"),
    path("verify/<str:serial>/", views.verify, name="verify"),
]

"""HTML pages of this room (mounted under /reports/ by config/urls.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.dashboard, name="reports-dashboard"),
    path("monthly.xlsx", views.monthly_download, name="reports-monthly-download"),
]

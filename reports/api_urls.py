"""API endpoints of this room (mounted under /api/v1/ by config/urls.py)."""

from django.urls import path, re_path

from .api import BlocRankingView, MonthlyWorkbookView, ProgressView

urlpatterns = [
    path("reports/progress/", ProgressView.as_view(), name="reports-progress"),
    re_path(r"^reports/monthly/(?P<month>[^/]+)\.xlsx$", MonthlyWorkbookView.as_view(), name="reports-monthly"),
    path("reports/blocs/", BlocRankingView.as_view(), name="reports-blocs"),
]

"""API endpoints of this room (mounted under /api/v1/ by config/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("quotas/", api.QuotaList.as_view(), name="quota-list"),
    path("certificates/", api.CertificateList.as_view(), name="certificate-list"),
    path("certificates/<str:serial>/", api.CertificateDetail.as_view(), name="certificate-detail"),
    path("certificates/<str:serial>/revoke/", api.CertificateRevoke.as_view(), name="certificate-revoke"),
    path("awards/monthly/<str:month>/", api.MonthlyCommendations.as_view(), name="monthly-commendations"),
    path("awards/monthly/<str:month>/suggestions/", api.MonthlySuggestions.as_view(), name="monthly-suggestions"),
    path("awards/nominations/<str:month>/", api.Nominations.as_view(), name="nominations"),
    path("awards/commendations/", api.AdhocCommendations.as_view(), name="adhoc-commendations"),
    path("awards/budget/", api.BudgetView.as_view(), name="budget"),
]

"""API endpoints of this room (mounted under /api/v1/ by config/urls.py)."""

from django.urls import path

from . import api

urlpatterns = [
    path("imports/", api.RegisterImportListCreate.as_view(), name="register-import-list"),
    path("imports/template.xlsx", api.RegisterTemplate.as_view(), name="register-import-template"),
    path("imports/<str:iid>/", api.RegisterImportDetail.as_view(), name="register-import-detail"),
    path("imports/<str:iid>/import/", api.RegisterImportStart.as_view(), name="register-import-start"),
]

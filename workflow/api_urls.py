"""Lifecycle endpoints besides the initiative router: the inbox and audit verification."""

from django.urls import path

from .api import AuditVerifyView, TaskListView

urlpatterns = [
    path("tasks/", TaskListView.as_view(), name="tasks"),
    path("audit/verify/", AuditVerifyView.as_view(), name="audit-verify"),
]

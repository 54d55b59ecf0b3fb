"""Lifecycle endpoints besides the initiative router: the inbox, audit verification and checkpoints."""

from django.urls import path

from .api import AuditCheckpointView, AuditVerifyView, TaskListView, TrailEntryCsvView, TrailEntryListView

urlpatterns = [
    path("tasks/", TaskListView.as_view(), name="tasks"),
    path("audit/verify/", AuditVerifyView.as_view(), name="audit-verify"),
    path("audit/checkpoints/", AuditCheckpointView.as_view(), name="audit-checkpoints"),
    path("audit/entries/", TrailEntryListView.as_view(), name="audit-entries"),
    path("audit/entries.csv", TrailEntryCsvView.as_view(), name="audit-entries-csv"),
]

"""Lifecycle endpoints besides the initiative router: the inbox, audit verification and checkpoints,
a dossier's files and frozen versions."""

from django.urls import path

from .api import AuditCheckpointView, AuditVerifyView, TaskListView, TrailEntryCsvView, TrailEntryListView
from .api_dossier import (
    AttachmentDetailView,
    AttachmentDownloadView,
    AttachmentListView,
    MinutesPdfView,
    SessionListView,
    VersionDetailView,
    VersionDiffView,
    VersionListView,
)
from .api_duplicates import DuplicateScreenView
from .api_marks import DuplicateMarkListView
from .api_meetings import (
    CouncilMeetingListView,
    MeetingAttendanceView,
    MeetingCloseView,
    MeetingDetailView,
    MeetingMinutesPdfView,
)

urlpatterns = [
    path("tasks/", TaskListView.as_view(), name="tasks"),
    path("audit/verify/", AuditVerifyView.as_view(), name="audit-verify"),
    path("audit/checkpoints/", AuditCheckpointView.as_view(), name="audit-checkpoints"),
    path("audit/entries/", TrailEntryListView.as_view(), name="audit-entries"),
    path("audit/entries.csv", TrailEntryCsvView.as_view(), name="audit-entries-csv"),
    path("initiatives/<int:pk>/attachments/", AttachmentListView.as_view(), name="initiative-attachments"),
    path("initiatives/<int:pk>/attachments/<int:aid>/", AttachmentDetailView.as_view(), name="initiative-attachment"),
    path("attachments/<int:aid>/download/", AttachmentDownloadView.as_view(), name="attachment-download"),
    path("initiatives/<int:pk>/versions/", VersionListView.as_view(), name="initiative-versions"),
    path("initiatives/<int:pk>/versions/<int:number>/", VersionDetailView.as_view(), name="initiative-version"),
    path("initiatives/<int:pk>/versions/<int:number>/diff/", VersionDiffView.as_view(), name="initiative-version-diff"),
    path("initiatives/<int:pk>/duplicate-marks/", DuplicateMarkListView.as_view(), name="initiative-duplicate-marks"),
    path("initiatives/<int:pk>/sessions/", SessionListView.as_view(), name="initiative-sessions"),
    path("sessions/<int:sid>/minutes.pdf", MinutesPdfView.as_view(), name="session-minutes-pdf"),
    path("duplicates/", DuplicateScreenView.as_view(), name="duplicates"),
]

urlpatterns += [
    path("councils/<str:code>/meetings/", CouncilMeetingListView.as_view(), name="council-meetings"),
    path("meetings/<int:mid>/", MeetingDetailView.as_view(), name="meeting"),
    path("meetings/<int:mid>/attendance/", MeetingAttendanceView.as_view(), name="meeting-attendance"),
    path("meetings/<int:mid>/close/", MeetingCloseView.as_view(), name="meeting-close"),
    path("meetings/<int:mid>/minutes.pdf", MeetingMinutesPdfView.as_view(), name="meeting-minutes-pdf"),
]

"""The pages' addresses (mounted at the site's root by config/urls.py)."""

from django.urls import include, path

from . import campaign_pages, imports, library_pages, meetings, views

urlpatterns = [
    path("", views.home, name="home"),
    path("help/", views.help_page, name="help"),
    path("tasks/", views.tasks_page, name="tasks-page"),
    path("tasks/next/", views.tasks_next, name="tasks-next"),
    path("initiatives/", views.initiative_list_page, name="initiatives-page"),
    path("initiatives/new/", views.initiative_new, name="initiative-new"),
    path("initiatives/<int:pk>/", views.initiative_detail, name="initiative-page"),
    path("initiatives/<int:pk>/edit/", views.initiative_edit, name="initiative-edit"),
    path("initiatives/<int:pk>/act/<str:name>/", views.initiative_act, name="initiative-act"),
    path("initiatives/<int:pk>/vote/", views.initiative_vote, name="initiative-vote"),
    path("initiatives/<int:pk>/authorship/", views.initiative_authorship, name="initiative-authorship"),
    path("initiatives/<int:pk>/attachments/", views.initiative_attach, name="initiative-attach"),
    path("initiatives/<int:pk>/duplicate-marks/", views.initiative_duplicate_mark, name="initiative-duplicate-mark"),
    path(
        "initiatives/<int:pk>/attachments/<int:aid>/remove/",
        views.initiative_detach,
        name="initiative-detach",
    ),
    path("councils/<str:code>/meetings/", meetings.council_meetings_page, name="council-meetings-page"),
    path("meetings/<int:mid>/", meetings.meeting_page, name="meeting-page"),
    path("meetings/<int:mid>/attendance/", meetings.meeting_attendance_page, name="meeting-attendance-page"),
    path("meetings/<int:mid>/close/", meetings.meeting_close_page, name="meeting-close-page"),
    path("meetings/<int:mid>/vote/<int:iid>/", meetings.meeting_vote_page, name="meeting-vote-page"),
    path("audit/", views.audit_page, name="audit-page"),
    path("imports/", imports.import_page, name="import-page"),
    path("imports/template.xlsx", imports.import_template, name="import-template"),
    path("imports/<int:iid>/", imports.import_detail, name="import-detail"),
    path("imports/<int:iid>/start/", imports.import_start, name="import-start"),
    path("notifications/", include("notifications.urls")),
    path("library/", library_pages.library_page, name="library-page"),
    path("library/<int:pk>/", library_pages.library_entry, name="library-entry"),
    path("library/<int:pk>/adopt/", library_pages.library_adopt, name="library-adopt"),
    path("campaigns/", campaign_pages.campaigns_page, name="campaigns-page"),
    path("campaigns/new/", campaign_pages.campaign_new, name="campaign-new"),
    path("campaigns/<int:pk>/", campaign_pages.campaign_page, name="campaign-page"),
    path("help/lifecycle.svg", views.chart_svg, name="state-chart"),
]

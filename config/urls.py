from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from workflow import views as workflow_views
from workflow.api import InitiativeViewSet

admin.site.site_header = _("Quản trị chương trình sáng kiến")
admin.site.site_title = _("Quản trị chương trình sáng kiến")
admin.site.index_title = _("Quản trị chương trình sáng kiến")

# Swagger UI comes from its CDN; its own start-up script is served from this site (the "split"
# view), so the page needs no inline script under the Content-Security-Policy.
SWAGGER_CDN = "https://cdn.jsdelivr.net"
api_docs = csp_update({"script-src": [SWAGGER_CDN], "style-src": [SWAGGER_CDN], "img-src": [SWAGGER_CDN]})(
    SpectacularSwaggerSplitView.as_view(url_name="schema")
)

router = DefaultRouter()
router.register("initiatives", InitiativeViewSet, basename="initiative")

urlpatterns = [
    path("", workflow_views.home, name="home"),
    path("help/", workflow_views.help_page, name="help"),
    path("tasks/", workflow_views.tasks_page, name="tasks-page"),
    path("tasks/next/", workflow_views.tasks_next, name="tasks-next"),
    path("initiatives/", workflow_views.initiative_list_page, name="initiatives-page"),
    path("initiatives/new/", workflow_views.initiative_new, name="initiative-new"),
    path("initiatives/<int:pk>/", workflow_views.initiative_detail, name="initiative-page"),
    path("initiatives/<int:pk>/edit/", workflow_views.initiative_edit, name="initiative-edit"),
    path("initiatives/<int:pk>/act/<str:name>/", workflow_views.initiative_act, name="initiative-act"),
    path("initiatives/<int:pk>/vote/", workflow_views.initiative_vote, name="initiative-vote"),
    path("initiatives/<int:pk>/authorship/", workflow_views.initiative_authorship, name="initiative-authorship"),
    path("initiatives/<int:pk>/attachments/", workflow_views.initiative_attach, name="initiative-attach"),
    path(
        "initiatives/<int:pk>/attachments/<int:aid>/remove/",
        workflow_views.initiative_detach,
        name="initiative-detach",
    ),
    path("audit/", workflow_views.audit_page, name="audit-page"),
    path("notifications/", include("notifications.urls")),
    path("help/lifecycle.svg", workflow_views.chart_svg, name="state-chart"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("workflow.api_urls")),
    path("api/v1/", include("awards.api_urls")),
    path("api/v1/", include("reports.api_urls")),
    path("api/v1/", include("notifications.api_urls")),
    path("awards/", include("awards.urls")),
    path("reports/", include("reports.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", api_docs, name="api-docs"),
]

# MEDIA_ROOT is never served as it is, not even in debug: attachments leave only through
# /api/v1/attachments/<id>/download/, which asks who may see them.
handler404 = "config.api.not_found"

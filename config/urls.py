from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import DefaultRouter

from ops.views import healthz, metrics
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
    path("healthz", healthz, name="healthz"),  # docs/operations.md, "Monitoring"
    path("metrics", metrics, name="metrics"),
    path("", include("web.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(extra_context={"idle_minutes": settings.SESSION_IDLE_MINUTES}),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("twofactor.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include(router.urls)),
    path("api/v1/", include("workflow.api_urls")),
    path("api/v1/", include("awards.api_urls")),
    path("api/v1/", include("library.api_urls")),
    path("api/v1/", include("campaigns.api_urls")),
    path("api/v1/", include("initiatives.api_urls")),
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

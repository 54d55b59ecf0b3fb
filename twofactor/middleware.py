"""Two doors every request passes, after ``AuthenticationMiddleware`` and django-otp's
``OTPMiddleware`` (which tells whether this session proved a second factor):

``IdleTimeoutMiddleware``: a session with no request for ``SESSION_IDLE_MINUTES`` (default 30) is
signed out; a page request is sent to the sign-in page, which says the session expired; an API
request goes on unauthenticated (401). The time of the last request is kept in the session,
written at most once a minute.

``SecondFactorMiddleware``: a signed-in person for whom the second factor is required
(``twofactor.policy``), or who has an authenticator, reaches nothing but the code step (or
enrolment, for one without an authenticator yet), sign-out and the language switch until the
session is verified — pages, the admin site and the API with a session alike (the API answers
403 ``second_factor_required``). Tokens (``Authorization: Token``) are not sessions: they are
issued only by the operator's ``drf_create_token`` on the server, or by the admin site, which is
itself behind this door (see SECURITY.md)."""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import LazyObject, empty
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .policy import has_authenticator, second_factor_required

LAST_SEEN = "twofactor_last_seen"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class IdleTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and "_auth_user_id" in session:
            now = int(time.time())
            last = session.get(LAST_SEEN)
            idle = settings.SESSION_IDLE_MINUTES * 60
            if last is not None and now - int(last) > idle:
                logout(request)
                if not _is_api(request):
                    query = {"expired": "1"}
                    if request.method == "GET":
                        query["next"] = request.get_full_path()
                    return redirect(f"{reverse(settings.LOGIN_URL)}?{urlencode(query)}")
            elif last is None or now - int(last) >= 60:
                session[LAST_SEEN] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self._open = None

    def _open_paths(self):
        if self._open is None:
            self._open = (
                reverse("otp-verify"),
                reverse("otp-enrol"),
                reverse("logout"),
                reverse("login"),
                reverse("set_language"),
                reverse("admin:logout"),
                settings.STATIC_URL if settings.STATIC_URL.startswith("/") else "/" + settings.STATIC_URL,
            )
        return self._open

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and not user.is_verified() and not request.path.startswith(self._open_paths()):
            has = has_authenticator(user)
            if has or second_factor_required(user):
                if _is_api(request):
                    return JsonResponse(
                        {
                            "detail": _("Cần xác thực hai lớp: hãy nhập mã xác thực ở trang đăng nhập trước."),
                            "code": "second_factor_required",
                        },
                        status=403,
                    )
                target = reverse("otp-verify" if has else "otp-enrol")
                query = {"next": request.get_full_path()} if request.method == "GET" else {}
                return redirect(f"{target}?{urlencode(query)}" if query else target)
        # the person, no longer behind the two lazy wrappers (Django's, then django-otp's): a page
        # asks ``request.user`` thousands of times (its rows' permissions), each through both
        request.user = _concrete(user)
        return self.get_response(request)


def _concrete(user):
    """The object behind ``SimpleLazyObject`` layers (evaluated, as the check above did)."""
    while isinstance(user, LazyObject):
        if user._wrapped is empty:
            user._setup()
        user = user._wrapped
    return user

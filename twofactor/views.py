"""The pages of two-factor sign-in: the code step, enrolment (QR code and the secret as text),
recovery codes (shown once) and the account's security page. They parse the form and call the
actions; the middleware (``twofactor.middleware``) is what keeps a person from everything else
until the code step is done."""

import base64

import django_otp
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods
from django_otp.plugins.otp_totp.models import TOTPDevice

from initiatives.exceptions import ApplicationError

from . import actions
from .models import RecoveryCodeDevice
from .policy import authenticator_of, second_factor_required
from .signin import client_ip


def _next(request, default="home") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    # a path on this site only (``redirect`` would read anything else as a view's name)
    if target.startswith("/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(default)


def _verified(request) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


def _wrong_code() -> str:
    return _("Mã không đúng hoặc đã hết hạn. Hãy nhập mã đang hiện trên ứng dụng xác thực, hoặc một mã khôi phục.")


@login_required
@require_http_methods(["GET", "POST"])
def verify(request):
    """The code step after the password: a code from the authenticator, or a recovery code."""
    if _verified(request):
        return redirect(_next(request))
    if authenticator_of(request.user) is None:
        if second_factor_required(request.user):
            return redirect(f"{reverse('otp-enrol')}?{urlencode({'next': _next(request)})}")
        return redirect(_next(request))
    error = ""
    if request.method == "POST":
        code = (request.POST.get("code") or "").strip()[:64]
        if not code:
            error = _("Hãy nhập mã xác thực.")
        else:
            device = actions.second_factor_verify(user=request.user, code=code, ip_address=client_ip(request))
            if device is not None:
                request.session.cycle_key()  # a new session id once the second factor is proven
                django_otp.login(request, device)
                if isinstance(device, RecoveryCodeDevice):
                    left = device.remaining()
                    messages.warning(
                        request,
                        _(
                            "Bạn vừa dùng một mã khôi phục; mã đó không dùng lại được. Còn %(n)s mã. "
                            "Hãy tạo bộ mã mới ở trang bảo mật tài khoản khi sắp hết."
                        )
                        % {"n": left},
                    )
                return redirect(_next(request))
            error = _wrong_code()
    return render(
        request,
        "twofactor/verify.html",
        {"error": error, "next": _next(request)},
        status=400 if error else 200,
    )


def _enrolment_context(device: TOTPDevice) -> dict:
    import qrcode
    import qrcode.image.svg

    secret = base64.b32encode(device.bin_key).decode()
    svg = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    return {
        "qr_svg": svg.to_string(encoding="unicode"),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "issuer": settings.OTP_TOTP_ISSUER,
        "digits": device.digits,
        "step": device.step,
    }


@login_required
@require_http_methods(["GET", "POST"])
def enrol(request):
    """Enrolment: scan the QR code (or type the secret), then confirm with a code it shows."""
    if authenticator_of(request.user) is not None:
        return redirect("account-security" if _verified(request) else "otp-verify")
    pending = TOTPDevice.objects.filter(user=request.user, confirmed=False).order_by("-pk").first()
    if pending is None:
        pending = actions.authenticator_enrol_start(user=request.user)
    error = ""
    if request.method == "POST":
        code = (request.POST.get("code") or "").strip()[:64]
        if not code:
            error = _("Hãy nhập mã xác thực.")
        else:
            try:
                device, codes = actions.authenticator_enrol_confirm(
                    user=request.user, code=code, ip_address=client_ip(request)
                )
            except ApplicationError as e:
                error, device, codes = e.detail, None, []
            if device is not None:
                request.session.cycle_key()
                django_otp.login(request, device)
                return render(
                    request,
                    "twofactor/recovery_codes.html",
                    {"codes": codes, "just_enrolled": True, "next": _next(request)},
                )
            error = error or _wrong_code()
    context = {
        **_enrolment_context(pending),
        "error": error,
        "next": _next(request),
        "required": second_factor_required(request.user),
    }
    return render(request, "twofactor/enrol.html", context, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """A new set of recovery codes (POST), shown once; GET tells how many are left."""
    if authenticator_of(request.user) is None:
        return redirect("account-security")
    if request.method == "POST":
        codes = actions.recovery_codes_regenerate(user=request.user, ip_address=client_ip(request))
        return render(request, "twofactor/recovery_codes.html", {"codes": codes, "next": reverse("account-security")})
    return redirect("account-security")


@login_required
@require_http_methods(["GET", "POST"])
def account_security(request):
    """The account's security page: whether two-factor sign-in is on (and required), the recovery
    codes left, enrol, new recovery codes, remove the authenticator (a current code first)."""
    device = authenticator_of(request.user)
    error = ""
    if request.method == "POST" and device is not None:
        code = (request.POST.get("code") or "").strip()[:64]
        # the person proves the factor again before it is removed: a session left open is not enough
        proven = bool(code) and actions.second_factor_verify(
            user=request.user, code=code, ip_address=client_ip(request)
        )
        if proven:
            actions.authenticator_remove(user_id=request.user.pk, actor=request.user)
            messages.success(request, _("Đã gỡ ứng dụng xác thực và các mã khôi phục."))
            return redirect("account-security")
        error = _wrong_code()
    recovery = RecoveryCodeDevice.objects.filter(user=request.user).first()
    context = {
        "device": device,
        "required": second_factor_required(request.user),
        "remaining": recovery.remaining() if recovery else 0,
        "idle_minutes": settings.SESSION_IDLE_MINUTES,
        "error": error,
    }
    return render(request, "twofactor/security.html", context, status=400 if error else 200)

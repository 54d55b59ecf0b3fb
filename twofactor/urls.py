from django.urls import path

from . import views

urlpatterns = [
    path("2fa/verify/", views.verify, name="otp-verify"),
    path("2fa/enrol/", views.enrol, name="otp-enrol"),
    path("2fa/recovery-codes/", views.recovery_codes, name="otp-recovery-codes"),
    path("security/", views.account_security, name="account-security"),
]

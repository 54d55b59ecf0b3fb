"""The admin shows no authenticator: django-otp registers its TOTP device admin, which would let
anyone with model permissions read a person's secret or add a device without the trail. Devices
change only through ``twofactor.actions`` (the account page, ``manage.py otp_reset``)."""

from django.contrib import admin
from django_otp.plugins.otp_totp.models import TOTPDevice

if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)

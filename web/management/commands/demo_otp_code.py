"""``manage.py demo_otp_code``: the code an authenticator holding the demo's shared secret
(``seed_demo``) shows now — for those who try the demo without an authenticator app at hand."""

from django.core.management.base import BaseCommand
from django_otp.oath import totp

from .seed_demo import DEMO_TOTP_KEY


class Command(BaseCommand):
    help = "Print the current two-factor code of the demo's shared authenticator secret."

    def handle(self, *args, **options):
        self.stdout.write(str(totp(bytes.fromhex(DEMO_TOTP_KEY))).zfill(6))

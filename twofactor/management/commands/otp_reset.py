"""``manage.py otp_reset USERNAME``: remove a person's authenticator and recovery codes (a lost
phone), on the server. An operator's command is a trusted path (whoever runs it can read the
database anyway); it is recorded in the trail as the system's act. A person for whom the second
factor is required enrols again at their next sign-in."""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from councils.models import User
from twofactor.actions import authenticator_remove


class Command(BaseCommand):
    help = "Remove a person's authenticator and recovery codes (they enrol again at the next sign-in)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--reason", default="")

    def handle(self, *args, username, reason, **options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(_("Không có người dùng %(u)s.") % {"u": username})
        if authenticator_remove(user_id=user.pk, actor=None, reason=reason):
            self.stdout.write(_("Đã gỡ ứng dụng xác thực của %(u)s.") % {"u": username})
        else:
            self.stdout.write(_("%(u)s chưa có ứng dụng xác thực.") % {"u": username})

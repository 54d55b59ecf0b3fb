from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from councils.models import User
from initiatives.imports import ImportRefused, initiatives_import


class Command(BaseCommand):
    help = "Import an existing register of initiatives (.xlsx, API.md §3): all rows or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file", help="the register (.xlsx), headings on the first row")
        parser.add_argument("--user", help="who imports (must be an officer of every row's unit); default: the system")

    def handle(self, *args, file, user=None, **options):
        actor = None
        if user:
            actor = User.objects.filter(username=user, is_active=True).first()
            if actor is None:
                raise CommandError(_("Không có người dùng '%(username)s'") % {"username": user})
        try:
            created = initiatives_import(path=file, actor=actor)
        except ImportRefused as e:
            for line in e.errors:
                self.stderr.write(line)
            raise CommandError(_("Tệp bị từ chối, không ghi gì (%(n)d lỗi)") % {"n": len(e.errors)}) from None
        self.stdout.write(self.style.SUCCESS(_("Đã nhập %(n)d sáng kiến") % {"n": created}))

import datetime

from django.core.management.base import BaseCommand
from django.utils.translation import ngettext

from initiatives.actions import attachment_orphans


class Command(BaseCommand):
    help = (
        "List (or --delete) stored attachment files that no attachment row names, older than --hours "
        "(default 1): what a crash between storing a file and committing its row leaves behind."
    )

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="delete them (otherwise only list)")
        parser.add_argument("--hours", type=float, default=1.0, help="only files older than this (default 1)")

    def handle(self, *args, delete=False, hours=1.0, **options):
        names = attachment_orphans(delete=delete, older_than=datetime.timedelta(hours=hours))
        for name in names:
            self.stdout.write(name)
        n = len(names)
        if delete:
            message = ngettext("Đã xóa %(n)d tệp không thuộc hồ sơ nào", "Đã xóa %(n)d tệp không thuộc hồ sơ nào", n)
        else:
            message = ngettext("%(n)d tệp không thuộc hồ sơ nào", "%(n)d tệp không thuộc hồ sơ nào", n)
        self.stdout.write(message % {"n": n})

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from councils.structure import StructureError, structure_parse, structure_warnings
from workflow.structure import structure_load


class Command(BaseCommand):
    help = "Load a structure file (API.md §1): programme, organisations, people, councils, targets, quotas."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON or YAML structure file")

    def handle(self, *args, file, **options):
        try:
            data = structure_parse(file)
            changes = structure_load(data=data)
        except StructureError as e:
            for line in e.errors:
                self.stderr.write(line)
            raise CommandError(_("Tệp không hợp lệ, không ghi gì (%(n)s lỗi)") % {"n": len(e.errors)}) from None
        for line in structure_warnings(data):  # loaded all the same: advice, not a refusal
            self.stderr.write(self.style.WARNING(_("Cảnh báo: %(line)s") % {"line": line}))
        self.stdout.write(self.style.SUCCESS(_("Đã nạp %(file)s: %(n)s thay đổi") % {"file": file, "n": changes}))

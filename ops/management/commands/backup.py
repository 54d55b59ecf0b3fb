from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = (
        "Back up the database (pg_dump custom format, or SQLite's backup API) and the media files into one "
        ".tar.gz with a manifest and the sha256 of every file. Restore with `manage.py restore FILE`."
    )

    def add_arguments(self, parser):
        where = parser.add_mutually_exclusive_group()
        where.add_argument("--output", type=Path, help="the file to write (must not exist)")
        where.add_argument(
            "--output-dir", type=Path, default=Path("."), help="a directory: sangkien-backup-<UTC time>.tar.gz"
        )
        parser.add_argument("--no-media", action="store_true", help="the database only")
        parser.add_argument(
            "--keep", type=int, default=0, help="keep only the newest N backups in --output-dir (0: keep all)"
        )

    def handle(self, *args, **options):
        if options["keep"] < 0:
            raise CommandError(_("--keep phải là số không âm"))
        try:
            result = backup_create(
                output=options["output"],
                output_dir=options["output_dir"],
                media=not options["no_media"],
                keep=options["keep"],
            )
        except BackupError as exc:
            raise CommandError(str(exc))
        self.stdout.write(
            _("Đã sao lưu vào %(path)s: %(files)s tệp, %(size)s byte, nhật ký kiểm toán đến mục #%(seq)s")
            % {"path": result.path, "files": result.files, "size": result.size, "seq": result.audit_seq}
        )
        for old in result.removed:
            self.stdout.write(_("Đã xóa bản sao lưu cũ %(path)s") % {"path": old})

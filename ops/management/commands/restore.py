from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into this instance's database and MEDIA_ROOT. Every file's "
        "checksum is checked first. Refuses a database (or media directory) that is not empty unless --force. "
        "Then run `manage.py migrate` (a backup of an older version) and `manage.py verify_audit`."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="replace what the database and the media directory hold"
        )
        parser.add_argument("--no-media", action="store_true", help="the database only")

    def handle(self, *args, **options):
        try:
            result = backup_restore(path=options["file"], force=options["force"], media=not options["no_media"])
        except BackupError as exc:
            raise CommandError(str(exc))
        self.stdout.write(
            _(
                "Đã phục hồi bản sao lưu lúc %(at)s (%(engine)s, %(files)s tệp, nhật ký kiểm toán đến mục #%(seq)s). "
                "Tiếp theo: manage.py migrate, rồi manage.py verify_audit."
            )
            % {"at": result.created_at, "engine": result.engine, "files": result.files, "seq": result.audit_seq}
        )

import os
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from audit.selectors import audit_verify
from audit.signing import parse_public_key


def _public_key(text):
    path = Path(text)
    if len(text) < 4096 and path.is_file():
        text = path.read_text()
    try:
        return parse_public_key(text)
    except (ValueError, TypeError):
        raise CommandError(_("Không đọc được khóa công khai %(key)s") % {"key": text[:60]}) from None


class Command(BaseCommand):
    help = (
        "Verify the audit trail: its hash chain, its head, and every signed checkpoint (in the database "
        "and in AUDIT_CHECKPOINT_DIR). Exit 0 when intact, 1 naming the first bad entry. From outside "
        "the application: --checkpoints FILE --public-key KEY trusts only those."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--checkpoints",
            action="append",
            default=[],
            metavar="FILE",
            help="a checkpoint file (JSON lines, e.g. a copy of checkpoints.jsonl or a mailed attachment); "
            "then the database's checkpoints and AUDIT_CHECKPOINT_DIR are not used",
        )
        parser.add_argument(
            "--public-key",
            action="append",
            default=[],
            metavar="KEY",
            help="a trusted public key: base64 of its 32 bytes, PEM, or a file holding either; "
            "then AUDIT_SIGNING_KEY and AUDIT_VERIFY_KEYS are not used",
        )
        parser.add_argument("--scope", default="", help="verify only the subtree at this organisation path")
        parser.add_argument(
            "--workers",
            type=int,
            default=min(4, os.cpu_count() or 1),
            help="processes walking the chains side by side (PostgreSQL; default: the cores, at most 4)",
        )

    def handle(self, *args, **options):
        files = options["checkpoints"]
        for name in files:
            if not Path(name).is_file():
                raise CommandError(_("Không có tệp mốc %(path)s") % {"path": name})
        keys = [_public_key(k) for k in options["public_key"]] or None
        result = audit_verify(
            scope_path=options["scope"],
            checkpoint_files=files,
            public_keys=keys,
            use_database_checkpoints=not files,
            use_checkpoint_dir=not files,
            workers=max(1, options["workers"]),
        )
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    _("Nhật ký kiểm toán nguyên vẹn: đã kiểm %(checked)s mục và %(checkpoints)s mốc đã ký")
                    % {"checked": result.checked, "checkpoints": result.checkpoints_checked}
                )
            )
            return
        entry = result.first_bad if result.first_bad is not None else _("(đã bị xóa)")
        self.stderr.write(
            _(
                "Nhật ký kiểm toán đã bị sửa: mục hỏng đầu tiên %(entry)s (#%(seq)s) — %(reason)s "
                "[%(code)s]; đã kiểm %(checked)s mục và %(checkpoints)s mốc đã ký"
            )
            % {
                "entry": entry,
                "seq": result.first_bad_seq if result.first_bad_seq is not None else "?",
                "reason": result.reason,
                "code": result.code,
                "checked": result.checked,
                "checkpoints": result.checkpoints_checked,
            }
        )
        sys.exit(1)

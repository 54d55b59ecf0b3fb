from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from initiatives.exceptions import ApplicationError
from workflow.actions import trail_checkpoint_create


class Command(BaseCommand):
    help = (
        "Sign a checkpoint of the audit trail's head: kept in the database, appended to "
        "AUDIT_CHECKPOINT_DIR/checkpoints.jsonl and mailed to the topmost auditors. Nothing new when "
        "nothing was appended since the last one."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--public-key",
            action="store_true",
            help="print the current signing key's id and public key (base64) and sign nothing: what to give "
            "auditors and to keep in AUDIT_VERIFY_KEYS after a rotation",
        )

    def handle(self, *args, **options):
        if options["public_key"]:
            from audit.signing import AuditRefused, key_id, public_text, signing_key

            try:
                public = signing_key().public_key()
            except AuditRefused as e:
                raise CommandError(f"{e.detail} [{e.code}]") from None
            self.stdout.write(f"{key_id(public)} {public_text(public)}")
            return
        try:
            checkpoint, created = trail_checkpoint_create(actor=None)
        except ApplicationError as e:
            raise CommandError(f"{e.detail} [{e.code}]") from None
        if created:
            message = _("Đã ký mốc #%(seq)s %(hash)s (khóa %(key_id)s)")
        else:
            message = _("Nhật ký chưa đổi từ mốc #%(seq)s %(hash)s (khóa %(key_id)s): không ký mốc mới")
        self.stdout.write(message % {"seq": checkpoint.seq, "hash": checkpoint.hash, "key_id": checkpoint.key_id})

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

    def handle(self, *args, **options):
        try:
            checkpoint, created = trail_checkpoint_create(actor=None)
        except ApplicationError as e:
            raise CommandError(f"{e.detail} [{e.code}]") from None
        if created:
            message = _("Đã ký mốc #%(seq)s %(hash)s (khóa %(key_id)s)")
        else:
            message = _("Nhật ký chưa đổi từ mốc #%(seq)s %(hash)s (khóa %(key_id)s): không ký mốc mới")
        self.stdout.write(message % {"seq": checkpoint.seq, "hash": checkpoint.hash, "key_id": checkpoint.key_id})

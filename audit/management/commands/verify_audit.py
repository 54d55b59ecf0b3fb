import sys

from django.core.management.base import BaseCommand

from audit.selectors import audit_verify


class Command(BaseCommand):
    help = "Recompute the audit trail's hash chain. Exit 0 when intact, 1 with the first bad entry."

    def handle(self, *args, **options):
        result = audit_verify()
        if result.ok:
            self.stdout.write(
                self.style.SUCCESS(f"Chuỗi kiểm toán nguyên vẹn / The audit trail is intact: {result.checked} entries")
            )
            return
        self.stderr.write(
            f"Chuỗi kiểm toán bị sửa / The audit trail was tampered with: first bad entry {result.first_bad} "
            f"({result.reason}); {result.checked} entries checked"
        )
        sys.exit(1)

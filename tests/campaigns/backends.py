"""A mail backend that refuses one address (as a mail server may): the campaign counts it failed."""

from django.core.mail.backends.locmem import EmailBackend

REFUSED = "u2_m2@example.org"


class RefusingBackend(EmailBackend):
    def send_messages(self, messages):
        for m in messages:
            if REFUSED in m.to:
                raise OSError(f"550 mailbox unavailable: {REFUSED}")
        return super().send_messages(messages)

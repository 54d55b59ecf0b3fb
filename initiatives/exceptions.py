"""Domain errors. ``ApplicationError`` is a valid request the current state forbids (→ 409)."""

from django.core.exceptions import ValidationError


class ApplicationError(Exception):
    def __init__(self, detail: str, code: str = "invalid_state", extra: dict | None = None):
        self.detail = detail
        self.code = code
        self.extra = extra or {}
        super().__init__(detail)


class RefusedInput(ValidationError):
    """Bad input (→ 400) that also carries a machine-readable ``code``: the answer is
    ``{field: [message], "detail": message, "code": code}``."""

    def __init__(self, field: str, message: str, code: str):
        super().__init__({field: [message]})
        self.field = field
        self.detail = message
        self.api_code = code

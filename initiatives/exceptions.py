"""Domain errors. ``ApplicationError`` is a valid request the current state forbids (→ 409)."""


class ApplicationError(Exception):
    def __init__(self, detail: str, code: str = "invalid_state", extra: dict | None = None):
        self.detail = detail
        self.code = code
        self.extra = extra or {}
        super().__init__(detail)

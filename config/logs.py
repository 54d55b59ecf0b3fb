"""Structured logs and the request id that follows a request into the tasks it schedules.

The request id comes from the ``X-Request-ID`` header (nginx sets one, deploy/nginx) or is made
here; ops.middleware puts it in ``request_id`` for the request's duration. Celery tasks sent while
it is set carry it in their headers (``before_task_publish``), and the worker puts it back while the
task runs (``task_prerun``): so one id names a request's log lines and those of its tasks.
"""

import contextvars
import json
import logging
import re
import uuid
from datetime import UTC, datetime

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")

# what a client may send as its own id: short, printable, nothing a log reader could trip on
VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")
HEADER = "request_id"  # the Celery message header


def new_request_id() -> str:
    return uuid.uuid4().hex


def accept_request_id(value: str | None) -> str:
    """The client's id when it looks like one, else a new one."""
    if value and VALID_ID.match(value):
        return value
    return new_request_id()


class RequestIdFilter(logging.Filter):
    def filter(self, record):
        if not getattr(record, "request_id", None):
            record.request_id = request_id.get() or "-"
        return True


# attributes every LogRecord has: the rest were passed with extra= and go into the JSON object
_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime", "request_id"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id, and every extra field."""

    def format(self, record):
        out = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or request_id.get() or None,
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)

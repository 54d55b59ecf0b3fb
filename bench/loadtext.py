"""Text for the bulk writer (``bench/loadgen.py``): COPY's text format, JSON as ``audit.chain``'s
``canonical_json`` writes it, and times as integers (seconds since the epoch, UTC) formatted the
ways the rows need them, without a ``datetime`` per value.

Every function here is checked against the slow path it replaces (``tests/bench/test_loadtext.py``):
``json.dumps``, ``audit.chain.utc_text``, ``datetime.isoformat``."""

from __future__ import annotations

import datetime
import json

UTC = datetime.UTC
NULL = "\\N"


def esc(s: str) -> str:
    """A value in COPY's text format (backslash, tab, newline and carriage return escaped)."""
    if "\\" in s or "\t" in s or "\n" in s or "\r" in s:
        return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return s


def unesc(s: str):
    """COPY text back to a value (None for NULL): the SQLite path of tiny loads."""
    if s == NULL:
        return None
    if "\\" not in s:
        return s
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == "\\" and i + 1 < len(s):
            n = s[i + 1]
            out.append({"t": "\t", "n": "\n", "r": "\r"}.get(n, n))
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


_encode_str = json.encoder.encode_basestring  # what json.dumps(ensure_ascii=False) writes a str with


def js(value) -> str:
    """A JSON value as ``canonical_json`` writes it (a string through json's own encoder)."""
    if isinstance(value, str):
        return _encode_str(value)
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def obj(pairs) -> str:
    """A JSON object from (key, JSON text of the value) pairs, keys sorted as ``canonical_json`` sorts
    them (``json.dumps(sort_keys=True)`` sorts the items by key). Keys are plain names (no escaping)."""
    return "{" + ",".join([f'"{k}":{v}' for k, v in sorted(pairs)]) + "}"


class Clock:
    """Times as integer seconds since the epoch, formatted with a cache per day.

    - ``pg(t)``: a timestamptz literal for COPY, ``YYYY-MM-DD HH:MM:SS+00``;
    - ``utc(t)``: ``audit.chain.utc_text`` (the trail's hashed ``at``);
    - ``local_iso(t)``: ``datetime.isoformat()`` of the local time (what the actions put in details);
    - ``local_date(t)``: the local date, ``YYYY-MM-DD``.
    The zone's offset must be the same over the whole range (it is for Asia/Ho_Chi_Minh since 1975);
    otherwise every call takes the slow path."""

    def __init__(self, tz, first: int, last: int):
        self.tz = tz
        offsets = {
            datetime.datetime.fromtimestamp(t, tz).utcoffset() for t in range(first, last + 86400 * 31, 86400 * 15)
        }
        self.fixed = len(offsets) == 1
        offset = offsets.pop() if self.fixed else datetime.timedelta(0)
        self.offset = int(offset.total_seconds())
        sign = "+" if self.offset >= 0 else "-"
        h, m = divmod(abs(self.offset) // 60, 60)
        self.suffix = f"{sign}{h:02d}:{m:02d}"
        self.days = {}
        self.hours = {}  # t // 3600 -> ("YYYY-MM-DD HH:", "YYYY-MM-DDTHH:")
        self.minsec = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]

    def hour(self, h: int) -> tuple[str, str]:
        s = self.hours.get(h)
        if s is None:
            day = self._day(h // 24)
            s = self.hours[h] = (f"{day} {h % 24:02d}:", f"{day}T{h % 24:02d}:")
        return s

    def _day(self, d: int) -> str:
        s = self.days.get(d)
        if s is None:
            s = self.days[d] = (datetime.date(1970, 1, 1) + datetime.timedelta(days=d)).isoformat()
        return s

    def pg(self, t: int) -> str:
        h, r = divmod(t, 3600)
        return f"{(self.hours.get(h) or self.hour(h))[0]}{self.minsec[r]}+00"

    def utc(self, t: int) -> str:
        h, r = divmod(t, 3600)
        return f"{(self.hours.get(h) or self.hour(h))[1]}{self.minsec[r]}.000000Z"

    def local_iso(self, t: int) -> str:
        if not self.fixed:
            return datetime.datetime.fromtimestamp(t, self.tz).isoformat()
        h, r = divmod(t + self.offset, 3600)
        return f"{(self.hours.get(h) or self.hour(h))[1]}{self.minsec[r]}{self.suffix}"

    def local_date(self, t: int) -> str:
        if not self.fixed:
            return datetime.datetime.fromtimestamp(t, self.tz).date().isoformat()
        return self._day((t + self.offset) // 86400)

    def local_year(self, t: int) -> str:
        return self.local_date(t)[:4]

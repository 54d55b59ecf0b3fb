"""One way to read the months, quarters and days people type into URLs and query parameters.

Each parser accepts exactly one shape and years 1900–2999 only: years 0000 and 9999 are valid to
``re`` but not to ``datetime`` arithmetic (the month after 9999-12 has no year, 0000 is no year at
all), and no programme runs outside these years. A bad value raises ``ValidationError`` {parameter:
[one message]} — the API answers it with 400 naming the parameter; pages catch it.
"""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

YEAR_MIN, YEAR_MAX = 1900, 2999
MONTH_RE = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$", re.ASCII)
DAY_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$", re.ASCII)


def _bad(name: str, message: str):
    raise ValidationError({name: [message]})


def parse_month(value, name: str = "month") -> datetime.date:
    """ "YYYY-MM" → the first day of that month."""
    m = MONTH_RE.match(value if isinstance(value, str) else "")
    if not m or not 1 <= int(m.group(2)) <= 12 or not YEAR_MIN <= int(m.group(1)) <= YEAR_MAX:
        _bad(name, _("Tháng phải có dạng YYYY-MM, năm từ %(min)d đến %(max)d") % {"min": YEAR_MIN, "max": YEAR_MAX})
    return datetime.date(int(m.group(1)), int(m.group(2)), 1)


def parse_quarter(value, name: str = "quarter") -> tuple[int, int]:
    """ "YYYY-Qn" → (year, n)."""
    m = QUARTER_RE.match(value if isinstance(value, str) else "")
    if not m or not YEAR_MIN <= int(m.group(1)) <= YEAR_MAX:
        _bad(
            name,
            _("Quý phải có dạng YYYY-Qn (n từ 1 đến 4), năm từ %(min)d đến %(max)d")
            % {"min": YEAR_MIN, "max": YEAR_MAX},
        )
    return int(m.group(1)), int(m.group(2))


def parse_day(value, name: str) -> datetime.date:
    """ "YYYY-MM-DD" → that day."""
    m = DAY_RE.match(value if isinstance(value, str) else "")
    day = None
    if m and YEAR_MIN <= int(m.group(1)) <= YEAR_MAX:
        try:
            day = datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            day = None
    if day is None:
        _bad(name, _("Ngày phải có dạng YYYY-MM-DD, năm từ %(min)d đến %(max)d") % {"min": YEAR_MIN, "max": YEAR_MAX})
    return day


SEARCH_MAX_CHARS = 100
SEARCH_MAX_WORDS = 10


def parse_search(value, name: str = "q") -> list[str]:
    """Words to look for in titles and summaries: accents and case dropped (``search_text`` is
    stored so). At most ``SEARCH_MAX_CHARS`` characters and ``SEARCH_MAX_WORDS`` words — each word
    is a substring scan over the whole register (2 million dossiers), so a pasted paragraph would
    keep a database busy for minutes."""
    from unidecode import unidecode

    text = (value if isinstance(value, str) else "").strip()
    if len(text) > SEARCH_MAX_CHARS:
        _bad(name, _("Từ khóa tìm kiếm dài tối đa %(n)d ký tự") % {"n": SEARCH_MAX_CHARS})
    words = unidecode(text).lower().split()
    if len(words) > SEARCH_MAX_WORDS:
        _bad(name, _("Tìm tối đa %(n)d từ") % {"n": SEARCH_MAX_WORDS})
    return words


def month_after(first: datetime.date) -> datetime.date:
    """The first day of the next month."""
    return datetime.date(first.year + (first.month == 12), first.month % 12 + 1, 1)


# the same shapes for the OpenAPI schema (drf-spectacular ``OpenApiParameter(pattern=…)``)
MONTH_PATTERN = r"^\d{4}-\d{2}$"
QUARTER_PATTERN = r"^\d{4}-Q[1-4]$"

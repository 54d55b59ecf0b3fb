"""Mapping a person's free-text qualification and position to the categories of the award rules.

``User.qualification`` and ``User.position`` are free text from the structure file or the dossier
(Circular 18/2013 art. 5 asks for both). They are compared without accents and case:

1. **manager** (cán bộ quản lý) when the position names a management post: "giám đốc" (also
   phó giám đốc), "trưởng" (trưởng phòng, trưởng ca, phó trưởng ban …), "phó phòng/ban", "quản lý",
   "quản đốc", "chủ tịch", or the English "manager", "director", "head of", "chief". A team
   leader ("tổ trưởng", "tổ phó") is a worker post, not a manager. A qualification text "manager" counts as well.
2. otherwise **university_or_above** when the qualification names a degree: "đại học", "kỹ sư",
   "cử nhân", "thạc sĩ", "tiến sĩ", "university", "bachelor", "engineer", "master", "phd", "doctor".
3. otherwise **college_or_below** when it names anything lower: "cao đẳng", "trung cấp", "sơ cấp",
   "công nhân", "thợ", "phổ thông", "college", "vocational", "technician", "high school", "worker".
4. otherwise the category is unknown (``None``): no rule is met and the reason says so.

The category codes themselves ("college_or_below" …) are accepted verbatim as well.
"""

import re

from django.utils.translation import gettext_lazy
from unidecode import unidecode

from .models import Category

MANAGER_POSITION = re.compile(
    r"\b(giam doc|truong|pho (phong|ban)|quan ly|quan doc|"
    r"chu tich|manager|director|head of|chief)\b"
)
NOT_MANAGER = re.compile(r"\b(to truong|to pho)\b")
UNIVERSITY = re.compile(
    r"\b(dai hoc|ky su|cu nhan|thac si|tien si|university|bachelor|engineer|master|phd|doctor|ths|ts)\b"
)
COLLEGE_OR_BELOW = re.compile(
    r"\b(cao dang|trung cap|so cap|cong nhan|tho|pho thong|college|vocational|technician|high school|worker|"
    r"thpt|12/12)\b"
)


def _norm(text: str) -> str:
    return unidecode(text or "").lower().strip()


def author_category(*, qualification: str, position: str = "") -> str | None:
    q, p = _norm(qualification), _norm(position)
    if q in Category.values:
        return q
    if (MANAGER_POSITION.search(p) and not NOT_MANAGER.search(p)) or q == "manager":
        return Category.MANAGER
    if UNIVERSITY.search(q):
        return Category.UNIVERSITY_OR_ABOVE
    if COLLEGE_OR_BELOW.search(q):
        return Category.COLLEGE_OR_BELOW
    return None


_LABELS = {
    Category.COLLEGE_OR_BELOW: gettext_lazy("trình độ cao đẳng trở xuống"),
    Category.UNIVERSITY_OR_ABOVE: gettext_lazy("trình độ đại học trở lên"),
    Category.MANAGER: gettext_lazy("cán bộ quản lý"),
}


def category_label(category: str) -> str:
    """The author group's name in the active language."""
    return str(_LABELS.get(category, category))

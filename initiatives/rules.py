"""The business rules of a dossier, in one place.

Every door that writes a dossier — the API, the pages, the register import, the admin, the demo,
a shell — goes through ``initiative_create`` / ``initiative_update`` (or, for the import, calls
``initiative_rules`` itself before writing), and those call ``initiative_rules``. Callers only
parse: JSON, form strings and spreadsheet cells arrive here as they came, and the rules decide.

``initiative_rules`` answers ``(cleaned, errors)``: the values normalised (title stripped, the unit as
an ``Organisation``, authors as ``{"user", "full_name", "share_percent": Decimal}``, benefit as
``int``, ``applied_since`` as a ``date``) and a dict field → [messages] — each message one gettext
string (Vietnamese source, English in locale/en), in the request's language.

The rules (DOMAIN.md, API.md §2):
- ``title``: text, 10–300 characters after trimming.
- ``summary`` ≤ 5,000 characters, ``problem`` and ``solution`` ≤ 20,000.
- ``category``: technical · management · union · covid.
- ``organisation``: a grassroots unit (``level`` unit, or one that keeps a unit council) the actor may create in: they
  belong to it, hold a role on it, or advise it (``can_create_in``). Fixed once the draft exists.
- ``authors``: 1–50; each a username of an *active* user or a full name (≤ 200 characters); each
  share > 0 and ≤ 100 with at most two decimals; the shares sum to exactly 100; nobody twice. An
  author given by full name only must not bear the name (compared without accents, case or extra
  spaces) of a member or substitute of a council on the dossier's route (``routing.route_councils``):
  such a person is named by username, so that they are asked to confirm and are recused.
- ``benefit_value_vnd``: an integer, 0 ≤ value ≤ 10^15 VND (the estimated first-year benefit).
- ``applied_since`` (optional while drafting): a date ``YYYY-MM-DD``, not in the future, and within
  the programme's counting window: the programme counts initiatives applied between its start and
  its end (DOMAIN.md), so a draft's date must lie in ``[programme.starts, programme.ends]`` of the
  programme the draft belongs to (the one running when it was created; the register import uses
  the one running on the registration day). A draft made while no programme runs belongs to none:
  then only "not in the future" and a plausibility floor (1 January 1990) apply.
- ``confidential``: true or false.
"""

import datetime
import re
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from unidecode import unidecode

from councils.models import Organisation, User
from councils.selectors import is_unit

from .models import Category, Programme
from .routing import route_seat_q
from .selectors import can_create_in

TITLE_MIN, TITLE_MAX = 10, 300
TEXT_MAX = {"summary": 5_000, "problem": 20_000, "solution": 20_000}
FULL_NAME_MAX = 200
MAX_AUTHORS = 50
MAX_BENEFIT_VND = 10**15
EARLIEST_APPLIED = datetime.date(1990, 1, 1)
HUNDRED = Decimal(100)
CENT = Decimal("0.01")
CATEGORIES = frozenset(Category.values)
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)

# the fields the rules know, in the order their errors are listed
FIELDS = (
    "title",
    "summary",
    "problem",
    "solution",
    "category",
    "organisation",
    "authors",
    "benefit_value_vnd",
    "applied_since",
    "confidential",
)
MISSING = object()


def _text_field_label(name: str) -> str:
    return {"summary": _("Tóm tắt"), "problem": _("Tình trạng trước khi áp dụng"), "solution": _("Nội dung giải pháp")}[
        name
    ]


def _title(value, errors):
    if value is MISSING or value is None:
        errors["title"] = [_("Cần tên sáng kiến")]
        return None
    if not isinstance(value, str):
        errors["title"] = [_("Tên sáng kiến phải là văn bản")]
        return None
    title = value.strip()
    if not title:
        errors["title"] = [_("Tên sáng kiến không được để trống")]
    elif len(title) < TITLE_MIN:
        errors["title"] = [_("Tên sáng kiến phải dài ít nhất %(min)d ký tự") % {"min": TITLE_MIN}]
    elif len(title) > TITLE_MAX:
        errors["title"] = [_("Tên sáng kiến không quá %(max)d ký tự") % {"max": TITLE_MAX}]
    return title


def _text(name, value, errors):
    if value is MISSING or value is None:
        return ""
    if not isinstance(value, str):
        errors[name] = [_("%(field)s phải là văn bản") % {"field": _text_field_label(name)}]
        return ""
    if len(value) > TEXT_MAX[name]:
        errors[name] = [
            _("%(field)s không quá %(max)d ký tự") % {"field": _text_field_label(name), "max": TEXT_MAX[name]}
        ]
    return value


def _category(value, errors):
    if value is MISSING or value is None or value == "":
        errors["category"] = [_("Cần lĩnh vực")]
        return None
    if not isinstance(value, str) or value not in CATEGORIES:
        errors["category"] = [
            _("Lĩnh vực '%(value)s' không hợp lệ (technical, management, union, covid)") % {"value": _short(value)}
        ]
        return None
    return value


def _short(value, limit=60) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _organisation(value, errors, *, actor, check_actor):
    if value is MISSING or value is None or value == "":
        errors["organisation"] = [_("Cần mã đơn vị")]
        return None
    if isinstance(value, Organisation):
        org, code = value, value.code
    elif isinstance(value, str):
        code = value.strip()
        org = Organisation.objects.filter(code=code).first() if len(code) <= 100 else None
    else:
        errors["organisation"] = [_("Mã đơn vị phải là văn bản")]
        return None
    if org is None:
        errors["organisation"] = [_("Không có đơn vị '%(code)s'") % {"code": _short(code)}]
        return None
    if not is_unit(org):
        errors["organisation"] = [_("'%(code)s' không phải công đoàn cơ sở") % {"code": code}]
        return None
    if check_actor and not can_create_in(user=actor, organisation=org):
        errors["organisation"] = [_("Bạn không thuộc và không tư vấn đơn vị '%(code)s'") % {"code": code}]
        return None
    return org


def _share(value):
    """(Decimal, None) or (None, message) for one author's share."""
    if value is MISSING or value is None or value == "":
        return None, _("cần tỷ lệ đóng góp (%)")
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | str):
        return None, _("tỷ lệ đóng góp phải là một số")
    try:
        if isinstance(value, str):
            text = value.strip().rstrip("%").strip().replace(",", ".")
            share = Decimal(text) if len(text) <= 30 else Decimal("NaN")
        elif isinstance(value, float):
            share = Decimal(repr(value))
        else:
            share = Decimal(value)
    except (InvalidOperation, ValueError):
        return None, _("tỷ lệ đóng góp phải là một số")
    if not share.is_finite():
        return None, _("tỷ lệ đóng góp phải là một số")
    if share <= 0:
        return None, _("tỷ lệ đóng góp phải lớn hơn 0")
    if share > HUNDRED:
        return None, _("tỷ lệ đóng góp không vượt quá 100")
    if share != share.quantize(CENT):
        return None, _("tỷ lệ đóng góp có tối đa hai chữ số thập phân")
    return share.quantize(CENT), None


def _authors(value, errors):
    if value is MISSING or value is None or value == []:
        errors["authors"] = [_("Cần ít nhất một tác giả")]
        return None
    if not isinstance(value, list | tuple):
        errors["authors"] = [_("Danh sách tác giả phải là một danh sách")]
        return None
    if len(value) > MAX_AUTHORS:
        errors["authors"] = [_("Tối đa %(max)d tác giả") % {"max": MAX_AUTHORS}]
        return None
    messages = []

    def bad(n, problem):
        messages.append(_("Tác giả %(n)d: %(problem)s") % {"n": n, "problem": problem})

    usernames = {
        a["username"].strip()
        for a in value
        if isinstance(a, dict) and isinstance(a.get("username"), str) and len(a["username"]) <= 150
    }
    known = {u.username: u for u in User.objects.filter(username__in=usernames, is_active=True)} if usernames else {}
    cleaned, seen = [], set()
    for n, entry in enumerate(value, start=1):
        if not isinstance(entry, dict):
            bad(n, _("mỗi tác giả phải là một đối tượng"))
            continue
        user = entry.get("user")
        username = entry.get("username")
        full_name = entry.get("full_name")
        if full_name is not None and not isinstance(full_name, str):
            bad(n, _("họ tên phải là văn bản"))
            continue
        full_name = (full_name or "").strip()
        if user is not None:
            # an author already on the dossier stays while untouched, even if their account was
            # closed since; naming someone anew needs an active account
            if not isinstance(user, User) or not (user.is_active or entry.get("existing")):
                bad(n, _("không có người dùng '%(username)s'") % {"username": getattr(user, "username", "?")})
                continue
        elif username not in (None, ""):
            if not isinstance(username, str):
                bad(n, _("tên đăng nhập phải là văn bản"))
                continue
            user = known.get(username.strip())
            if user is None:
                bad(n, _("không có người dùng '%(username)s'") % {"username": _short(username)})
                continue
        elif not full_name:
            bad(n, _("mỗi tác giả cần username hoặc full_name"))
            continue
        if len(full_name) > FULL_NAME_MAX:
            bad(n, _("họ tên không quá %(max)d ký tự") % {"max": FULL_NAME_MAX})
            continue
        share, problem = _share(entry.get("share_percent", MISSING))
        if problem:
            bad(n, problem)
            continue
        if user is not None:
            if user.pk in seen:
                bad(n, _("%(name)s bị liệt kê hai lần") % {"name": user.username})
                continue
            seen.add(user.pk)
        cleaned.append(
            {"user": user, "full_name": full_name or (user.display_name if user else ""), "share_percent": share}
        )
    if not messages:
        total = sum((a["share_percent"] for a in cleaned), Decimal(0))
        if total != HUNDRED:
            messages.append(
                _("Tổng tỷ lệ đóng góp phải bằng 100 (hiện là %(total)s)") % {"total": f"{total.normalize():f}"}
            )
    if messages:
        errors["authors"] = messages
        return None
    return cleaned


def normalised_name(name: str) -> str:
    """A person's name as the rules compare it: without accents, case or extra spaces."""
    return " ".join(unidecode(name or "").casefold().split())


def _seat_holders_by_full_name(authors, organisation, errors, seat_cache=None):
    """Refuse an author given by full name only who bears the name of a member or substitute of a
    council on the route: unnamed by username, they would vote on a dossier they co-author. One
    query, and only when some author has no username (``seat_cache``: one per unit for many rows)."""
    by_name = [(n, a) for n, a in enumerate(authors, start=1) if a["user"] is None]
    if not by_name:
        return
    seated = seat_cache.get(organisation.pk) if seat_cache is not None else None
    if seated is None:
        seated = set()
        for full_name, first, last, username in User.objects.filter(
            route_seat_q(organisation=organisation)
        ).values_list("full_name", "first_name", "last_name", "username"):
            seated.add(normalised_name(full_name or f"{first} {last}".strip() or username))
        if seat_cache is not None:
            seat_cache[organisation.pk] = seated
    messages = [
        _("Tác giả %(n)d: %(problem)s")
        % {
            "n": n,
            "problem": _(
                "'%(name)s' trùng tên với một thành viên hoặc người dự khuyết của hội đồng sẽ xét hồ sơ này: hãy "
                "ghi người đó bằng tên đăng nhập (username) để họ xác nhận việc ghi tên và không biểu quyết hồ sơ "
                "này. Nếu là một người khác trùng tên, hãy ghi thêm chi tiết để phân biệt (ví dụ đơn vị)."
            )
            % {"name": a["full_name"]},
        }
        for n, a in by_name
        if normalised_name(a["full_name"]) in seated
    ]
    if messages:
        errors["authors"] = messages


def _benefit(value, errors):
    if value is MISSING or value is None or value == "":
        return 0
    number = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float):
        number = int(value) if value.is_integer() else None
    elif isinstance(value, Decimal):
        number = int(value) if value.is_finite() and value == value.to_integral_value() else None
    elif isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,30}\s*", value, re.ASCII):
        number = int(value)
    if number is None:
        errors["benefit_value_vnd"] = [_("Giá trị làm lợi phải là số nguyên (VND)")]
        return None
    if number < 0:
        errors["benefit_value_vnd"] = [_("Giá trị làm lợi không được âm")]
        return None
    if number > MAX_BENEFIT_VND:
        errors["benefit_value_vnd"] = [_("Giá trị làm lợi quá lớn (tối đa 10^15 VND)")]
        return None
    return number


def assessed_benefit(value) -> int | None:
    """A council's estimate of the yearly benefit (``assessed_benefit_vnd``, optional): ``None``
    when not given, else an integer 0 ≤ value ≤ 10^15. Raises ``ValidationError`` naming the field."""
    if value is MISSING or value is None or value == "":
        return None
    errors = {}
    number = _benefit(value, errors)
    if errors:
        messages = {
            "int": _("Giá trị làm lợi được thẩm định phải là số nguyên (VND)"),
            "neg": _("Giá trị làm lợi được thẩm định không được âm"),
            "big": _("Giá trị làm lợi được thẩm định quá lớn (tối đa 10^15 VND)"),
        }
        problem = "big" if number is None and _is_big(value) else "neg" if _is_negative(value) else "int"
        raise ValidationError({"assessed_benefit_vnd": [messages[problem]]})
    return number


def _is_negative(value) -> bool:
    try:
        return not isinstance(value, bool) and Decimal(str(value).strip()) < 0
    except (InvalidOperation, ValueError):
        return False


def _is_big(value) -> bool:
    try:
        return not isinstance(value, bool) and Decimal(str(value).strip()) > MAX_BENEFIT_VND
    except (InvalidOperation, ValueError):
        return False


def counted_benefit():
    """The benefit reports sum, as an expression: the assessed value when a council gave one."""
    from django.db.models import F
    from django.db.models.functions import Coalesce

    return Coalesce(F("assessed_benefit_vnd"), F("benefit_value_vnd"))


def _applied_since(value, errors, *, programme, today):
    if value is MISSING or value is None or value == "":
        return None
    day = None
    if isinstance(value, datetime.datetime):
        day = value.date()
    elif isinstance(value, datetime.date):
        day = value
    elif isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            day = datetime.date.fromisoformat(value.strip())
        except ValueError:
            day = None
    if day is None:
        errors["applied_since"] = [_("Ngày áp dụng phải có dạng YYYY-MM-DD")]
        return None
    if day > today:
        errors["applied_since"] = [_("Ngày áp dụng không thể ở tương lai")]
    elif programme is not None and day < programme.starts:
        errors["applied_since"] = [
            _("Chương trình %(programme)s chỉ tính sáng kiến áp dụng từ ngày %(starts)s")
            % {"programme": programme.code, "starts": f"{programme.starts:%d/%m/%Y}"}
        ]
    elif programme is not None and day > programme.ends:
        errors["applied_since"] = [
            _("Chương trình %(programme)s chỉ tính sáng kiến áp dụng đến ngày %(ends)s")
            % {"programme": programme.code, "ends": f"{programme.ends:%d/%m/%Y}"}
        ]
    elif programme is None and day < EARLIEST_APPLIED:
        errors["applied_since"] = [
            _("Ngày áp dụng không thể trước ngày %(earliest)s") % {"earliest": f"{EARLIEST_APPLIED:%d/%m/%Y}"}
        ]
    return day


def _confidential(value, errors):
    if value is MISSING or value is None:
        return False
    if not isinstance(value, bool):
        errors["confidential"] = [_("Bảo mật phải là true hoặc false")]
        return None
    return value


def initiative_rules(
    *,
    actor,
    data: dict,
    programme: Programme | None,
    check_organisation: bool = True,
    check_actor: bool = True,
    today: datetime.date | None = None,
    seat_cache: dict | None = None,
) -> tuple[dict, dict]:
    """Check a whole dossier (``data`` holds every field the dossier will have; a missing key is a
    missing value). Returns ``(cleaned, errors)``. ``check_organisation=False`` when the unit is
    already fixed (an edit; ``data["organisation"]`` is then the dossier's unit, for the authors'
    rule); ``check_actor=False`` when the caller checked the actor's right to the
    unit itself (the register import asks for an officer of the unit); ``seat_cache`` (a dict)
    when checking many dossiers at once."""
    today = today or timezone.localdate()
    errors: dict[str, list[str]] = {}
    get = data.get
    cleaned = {
        "title": _title(get("title", MISSING), errors),
        "summary": _text("summary", get("summary", MISSING), errors),
        "problem": _text("problem", get("problem", MISSING), errors),
        "solution": _text("solution", get("solution", MISSING), errors),
        "category": _category(get("category", MISSING), errors),
        "authors": _authors(get("authors", MISSING), errors),
        "benefit_value_vnd": _benefit(get("benefit_value_vnd", MISSING), errors),
        "applied_since": _applied_since(get("applied_since", MISSING), errors, programme=programme, today=today),
        "confidential": _confidential(get("confidential", MISSING), errors),
    }
    if check_organisation:
        cleaned["organisation"] = _organisation(
            get("organisation", MISSING), errors, actor=actor, check_actor=check_actor
        )
        unit = cleaned["organisation"]
    else:
        unit = get("organisation")  # fixed: the dossier's own unit (an edit)
    if cleaned["authors"] and isinstance(unit, Organisation):
        _seat_holders_by_full_name(cleaned["authors"], unit, errors, seat_cache)
        if "authors" in errors:
            cleaned["authors"] = None
    return cleaned, {f: errors[f] for f in FIELDS if f in errors}


def registration_rules(initiative, programme) -> dict:
    """At its first submission a dossier is registered in the programme running that day (the one
    whose reports count it, by ``submitted_at``): it counts only if first applied within that
    programme's window, from its start (the draft may have been written under an earlier one, or
    while none ran)."""
    day = initiative.applied_since
    if programme is None or day is None or programme.starts <= day <= programme.ends:
        return {}
    if day < programme.starts:
        message = _(
            "Hồ sơ được đăng ký vào chương trình %(programme)s, chương trình chỉ tính sáng kiến áp dụng từ ngày "
            "%(starts)s: sửa ngày áp dụng hoặc không nộp vào chương trình này"
        )
    else:
        message = _("Chương trình %(programme)s chỉ tính sáng kiến áp dụng đến ngày %(ends)s")
    return {
        "applied_since": [
            message
            % {
                "programme": programme.code,
                "starts": f"{programme.starts:%d/%m/%Y}",
                "ends": f"{programme.ends:%d/%m/%Y}",
            }
        ]
    }


# categories whose benefit may be social rather than in money (union activity, Covid-19 prevention)
NON_MONETARY_CATEGORIES = (Category.UNION, Category.COVID)


def submission_rules(initiative) -> dict:
    """What a dossier must hold before it goes to the advisory team (Circular 18/2013/TT-BKHCN,
    art. 5: the essence — state before and what changed —, the date of first application, the
    benefit in the first year). A draft may be incomplete; a submission may not. Field errors,
    all at once ({} when complete)."""
    errors = {}
    for name in ("summary", "problem", "solution"):
        if not (getattr(initiative, name) or "").strip():
            errors[name] = [_("Cần điền %(field)s trước khi nộp") % {"field": _text_field_label(name).lower()}]
    if initiative.applied_since is None:
        errors["applied_since"] = [_("Cần ngày áp dụng lần đầu hoặc áp dụng thử trước khi nộp")]
    if not initiative.benefit_value_vnd and initiative.category not in NON_MONETARY_CATEGORIES:
        errors["benefit_value_vnd"] = [
            _("Cần giá trị làm lợi ước tính trong năm đầu áp dụng (lớn hơn 0) trước khi nộp")
        ]
    return errors

"""Bulk import of an existing register (API.md §3, ``import_initiatives FILE.xlsx``).

The first sheet's first row holds the headings (Vietnamese; English accepted):
Số hồ sơ (reference, optional) · Tên sáng kiến (title) · Mã đơn vị (unit code) · Lĩnh vực (category:
technical · management · union · covid, or its Vietnamese label) · Tác giả (authors: "name:share; name:share",
a name being a username or a full name; without shares they split equally) · Giá trị làm lợi (benefit, VND) ·
Ngày áp dụng (applied_since) · Ngày đăng ký (registered) · Ngày công nhận (recognised, optional).

A registered row becomes ``advisory_review``; a recognised one goes to the stage after the unit council
(``routing.stage_after``) with that council and ``due_at`` = recognised day + its ``decision_days``; when
no council sits above, it stays in ``unit_council`` with the unit's council. The whole file is checked
first; one bad row refuses the file and nothing is written. One audit entry per imported row.
"""

import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from unidecode import unidecode

from audit.actions import audit_record
from councils.models import Organisation, User
from councils.selectors import is_unit

from .actions import dossier_freeze, search_text_for
from .counters import progress_counters_apply, progress_share
from .models import Category, Initiative, InitiativeAuthor, Programme, State
from .routing import council_for_stage, stage_after

COLUMNS = {
    "reference": ("so ho so", "reference", "ma so"),
    "title": ("ten sang kien", "title"),
    "unit": ("ma don vi", "unit", "unit code", "don vi"),
    "category": ("linh vuc", "category"),
    "authors": ("tac gia", "authors"),
    "benefit": ("gia tri lam loi", "gia tri lam loi (vnd)", "benefit", "benefit_value_vnd"),
    "applied_since": ("ngay ap dung", "applied_since", "applied since"),
    "registered": ("ngay dang ky", "registered", "submitted"),
    "recognised": ("ngay cong nhan", "recognised", "recognized"),
}
MAX_BENEFIT = 10**15
REQUIRED = ("title", "unit", "category", "authors", "registered")
CATEGORY_NAMES = {unidecode(str(label)).lower(): value for value, label in Category.choices}


class ImportRefused(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(errors))


def _bi(vi, en):
    return f"{vi} / {en}"


def _norm(text) -> str:
    return " ".join(unidecode(str(text or "")).lower().replace("_", " ").split())


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    text = str(value).strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _local_noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())


def read_rows(path) -> tuple[list[str], list[tuple[int, dict]]]:
    """(problems with the headings, [(row number, {column: value})]) from the first sheet."""
    from openpyxl import load_workbook

    try:
        wb = load_workbook(Path(path), read_only=True, data_only=True)
    except FileNotFoundError:
        return [_bi(f"không tìm thấy tệp {path}", f"file not found: {path}")], []
    except Exception as e:  # noqa: BLE001 - any unreadable workbook
        return [_bi(f"không đọc được tệp Excel {path}", f"cannot read the Excel file {path}") + f" ({e})"], []
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    index = {}
    problems = []
    for i, heading in enumerate(header):
        key = _norm(heading)
        for column, names in COLUMNS.items():
            if key in {_norm(n) for n in names} and column not in index:
                index[column] = i
                break
        else:
            if key:  # a column we do not know would be dropped silently: say so instead
                problems.append(
                    _bi(f"dòng 1: không hiểu cột '{heading}'", f"row 1: unknown column '{heading}'")
                    + f" ({', '.join(names[0] for names in COLUMNS.values())})"
                )
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        wanted = ", ".join(COLUMNS[c][0] for c in missing)
        problems.append(_bi(f"dòng 1: thiếu cột {wanted}", f"row 1: missing columns {', '.join(missing)}"))
    if problems:
        return problems, []
    out = []
    for number, values in enumerate(rows, start=2):
        if not values or all(v in (None, "") for v in values):
            continue
        out.append((number, {c: (values[i] if i < len(values) else None) for c, i in index.items()}))
    wb.close()
    return [], out


def _parse_authors(text, users):
    parts = [p.strip() for p in str(text or "").replace("\n", ";").split(";") if p.strip()]
    if not parts:
        raise ValueError(_bi("cần ít nhất một tác giả", "at least one author is needed"))
    authors = []
    for part in parts:
        name, _, share = part.rpartition(":") if ":" in part else (part, "", "")
        name = name.strip()
        try:
            share = Decimal(share.strip().rstrip("%").replace(",", ".")) if share.strip() else None
        except InvalidOperation:
            raise ValueError(_bi(f"tỷ lệ không hợp lệ '{part}'", f"invalid share '{part}'")) from None
        authors.append({"name": name, "share_percent": share})
    if all(a["share_percent"] is None for a in authors):
        each = (Decimal(100) / len(authors)).quantize(Decimal("0.01"))
        for a in authors:
            a["share_percent"] = each
        authors[-1]["share_percent"] = Decimal(100) - each * (len(authors) - 1)
    elif any(a["share_percent"] is None for a in authors):
        raise ValueError(_bi("hoặc ghi tỷ lệ cho mọi tác giả, hoặc không ai", "give a share for every author or none"))
    total = sum(a["share_percent"] for a in authors)
    if total != 100:
        raise ValueError(_bi(f"tổng tỷ lệ phải bằng 100 (là {total})", f"shares must sum to 100 (they sum to {total})"))
    for a in authors:
        user = users.get(a["name"])
        a["user"] = user
        a["full_name"] = user.display_name if user else a["name"]
    return authors


def _check_row(number, row, *, actor, orgs, users, references, seen_references, trusted=False):
    """(errors, cleaned) for one row."""
    errors, clean = [], {}

    def bad(vi, en):
        errors.append(f"dòng {number}: {vi} / row {number}: {en}")

    title = str(row.get("title") or "").strip()
    if not 10 <= len(title) <= 300:
        bad("tên sáng kiến phải dài 10–300 ký tự", "title must be 10–300 characters")
    clean["title"] = title
    code = str(row.get("unit") or "").strip()
    org = orgs.get(code)
    if org is None:
        bad(f"không có đơn vị '{code}'", f"unknown unit '{code}'")
    elif not is_unit(org):
        bad(f"'{code}' không phải công đoàn cơ sở", f"'{code}' is not a grassroots unit")
    elif not (trusted or actor.is_superuser or actor.has_perm("councils.act_as_officer", org)):
        bad(f"bạn không phải cán bộ của '{code}'", f"you are not an officer of '{code}'")
    clean["organisation"] = org
    category = str(row.get("category") or "").strip()
    category = category if category in Category.values else CATEGORY_NAMES.get(_norm(category))
    if category is None:
        bad(f"lĩnh vực không hợp lệ '{row.get('category')}'", f"unknown category '{row.get('category')}'")
    clean["category"] = category
    try:
        clean["authors"] = _parse_authors(row.get("authors"), users)
    except ValueError as e:
        vi, _, en = str(e).partition(" / ")
        bad(vi, en)
    benefit = row.get("benefit")
    try:
        value = Decimal(str(benefit).replace(",", "").replace(".", "").strip()) if isinstance(benefit, str) else benefit
        value = Decimal(value or 0)
        if value < 0 or value != value.to_integral_value() or value > MAX_BENEFIT:
            raise InvalidOperation
        clean["benefit_value_vnd"] = int(value)
    except (InvalidOperation, TypeError, ValueError):
        bad(
            f"giá trị làm lợi không hợp lệ '{benefit}' (số nguyên VND từ 0 đến 10^15)",
            f"invalid benefit '{benefit}' (an integer in VND from 0 to 10^15)",
        )
    for column, vi in (
        ("applied_since", "ngày áp dụng"),
        ("registered", "ngày đăng ký"),
        ("recognised", "ngày công nhận"),
    ):
        try:
            clean[column] = _date(row.get(column))
        except ValueError:
            bad(
                f"{vi} không hợp lệ '{row.get(column)}' (YYYY-MM-DD hoặc dd/mm/yyyy)",
                f"invalid {column} date '{row.get(column)}' (YYYY-MM-DD or dd/mm/yyyy)",
            )
            clean[column] = None
    today = timezone.localdate()
    if "registered" in clean and clean["registered"] is None and not any("registered" in e for e in errors):
        bad("cần ngày đăng ký", "the registered date is required")
    for column in ("applied_since", "registered", "recognised"):
        if clean.get(column) and clean[column] > today:
            bad(f"ngày '{clean[column]}' ở tương lai", f"{column} date {clean[column]} is in the future")
    if clean.get("recognised") and clean.get("registered") and clean["recognised"] < clean["registered"]:
        bad("ngày công nhận trước ngày đăng ký", "recognised before it was registered")
    reference = str(row.get("reference") or "").strip() or None
    if reference and (reference in references or reference in seen_references):
        bad(f"số hồ sơ '{reference}' đã có", f"reference '{reference}' already exists")
    if reference:
        seen_references.add(reference)
    clean["reference"] = reference
    return errors, clean


def system_user() -> User:
    """The account that imports from the command line when nobody is named (never logs in)."""
    user, _ = User.objects.get_or_create(
        username="he-thong", defaults={"full_name": "Hệ thống / System", "is_active": False, "password": "!"}
    )
    return user


def initiatives_import(*, path, actor=None) -> int:
    """Import every row of the register at ``path`` or nothing. Raises ``ImportRefused`` with every
    refused row (row number and bilingual reason). Returns the number of initiatives created.
    Without ``actor`` (the command run by whoever administers the server) the system account
    imports into any unit; a named actor must be an officer of each row's unit."""
    trusted = actor is None
    actor = actor or system_user()
    errors, rows = read_rows(path)
    if errors:
        raise ImportRefused(errors)
    codes = {str(r.get("unit") or "").strip() for _, r in rows}
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    names = set()
    for _, r in rows:
        for part in str(r.get("authors") or "").replace("\n", ";").split(";"):
            names.add(part.rpartition(":")[0].strip() if ":" in part else part.strip())
    users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    given = [str(r.get("reference")).strip() for _, r in rows if r.get("reference")]
    references = set(Initiative.objects.filter(reference__in=given).values_list("reference", flat=True))
    seen, cleaned = set(), []
    for number, row in rows:
        row_errors, clean = _check_row(
            number,
            row,
            actor=actor,
            orgs=orgs,
            users=users,
            references=references,
            seen_references=seen,
            trusted=trusted,
        )
        errors += row_errors
        cleaned.append((number, clean))
    if errors:
        raise ImportRefused(errors)
    with transaction.atomic():
        for number, clean in cleaned:
            _create(number=number, clean=clean, actor=actor, source=Path(path).name)
    return len(cleaned)


def _create(*, number, clean, actor, source):
    org = clean["organisation"]
    submitted = _local_noon(clean["registered"])
    state, council, due_at, recognised_at = State.ADVISORY_REVIEW, None, None, None
    if clean.get("recognised"):
        recognised_at = _local_noon(clean["recognised"])
        nxt = stage_after(organisation=org, state=State.UNIT_COUNCIL)
        if nxt is not None:
            state, council = nxt
        else:
            state, council = State.UNIT_COUNCIL, council_for_stage(organisation=org, state=State.UNIT_COUNCIL)
        if council is not None:
            due_at = recognised_at + datetime.timedelta(days=council.decision_days)
    programme = (
        Programme.objects.filter(starts__lte=clean["registered"], ends__gte=clean["registered"])
        .order_by("-starts")
        .first()
    )
    initiative = Initiative.objects.create(
        reference=clean["reference"],
        title=clean["title"],
        category=clean["category"],
        organisation=org,
        programme=programme,
        benefit_value_vnd=clean["benefit_value_vnd"],
        applied_since=clean["applied_since"],
        state=state,
        council=council,
        due_at=due_at,
        created_by=actor,
        submitted_at=submitted,
        recognised_at=recognised_at,
        search_text=search_text_for(clean["title"], ""),
    )
    if not initiative.reference:
        initiative.reference = f"SK-{clean['registered']:%Y}-{initiative.pk:07d}"
        initiative.save(update_fields=["reference"])
    InitiativeAuthor.objects.bulk_create(
        InitiativeAuthor(
            initiative=initiative,
            user=a["user"],
            full_name=a["full_name"],
            share_percent=a["share_percent"],
            position=i,
        )
        for i, a in enumerate(clean["authors"])
    )
    progress_counters_apply(before=None, after=progress_share(initiative))
    dossier_freeze(initiative=initiative, actor=actor, at=submitted, extra={"imported_from": source, "row": number})
    initiative.save(update_fields=["dossier_version"])
    audit_record(
        actor=actor,
        action="import",
        obj=initiative,
        to_state=state,
        version=initiative.version,
        details={
            "reference": initiative.reference,
            "file": source,
            "row": number,
            "registered": str(clean["registered"]),
            "recognised": str(clean.get("recognised") or ""),
        },
    )
    return initiative

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
from decimal import Decimal
from pathlib import Path

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from unidecode import unidecode

from audit.actions import audit_record
from councils.models import Organisation, User

from .actions import dossier_freeze, search_text_for
from .counters import progress_counters_apply, progress_share
from .duplicates import dup_key
from .models import Category, Consent, Initiative, InitiativeAuthor, Programme, State
from .routing import council_for_stage, stage_after
from .rules import initiative_rules

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
REQUIRED = ("title", "unit", "category", "authors", "registered")
CATEGORY_NAMES = {unidecode(str(label)).lower(): value for value, label in Category.choices}


class ImportRefused(Exception):
    def __init__(self, errors):
        self.errors = errors
        super().__init__("\n".join(errors))


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
        return [_("không tìm thấy tệp %(path)s") % {"path": path}], []
    except Exception as e:  # noqa: BLE001 - any unreadable workbook
        return [_("không đọc được tệp Excel %(path)s (%(error)s)") % {"path": path, "error": e}], []
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
                    _("dòng 1: không hiểu cột '%(heading)s' (%(known)s)")
                    % {"heading": heading, "known": ", ".join(names[0] for names in COLUMNS.values())}
                )
    missing = [c for c in REQUIRED if c not in index]
    if missing:
        wanted = ", ".join(COLUMNS[c][0] for c in missing)
        problems.append(_("dòng 1: thiếu cột %(columns)s") % {"columns": wanted})
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
    """Authors from a register cell, "name:share; name:share" (a name is a username or a full
    name); without shares they split equally. Parsing only: the shares' rules are the actions'."""
    parts = [p.strip() for p in str(text or "").replace("\n", ";").split(";") if p.strip()]
    authors = []
    for part in parts:
        name, sep, share = part.rpartition(":")
        name = name.strip() if sep else part
        authors.append({"name": name, "share_percent": share.strip() if sep else None})
    if authors and all(a["share_percent"] is None for a in authors):
        each = (Decimal(100) / len(authors)).quantize(Decimal("0.01"))
        for a in authors:
            a["share_percent"] = each
        authors[-1]["share_percent"] = Decimal(100) - each * (len(authors) - 1)
    elif any(a["share_percent"] is None for a in authors):
        raise ValueError(_("hoặc ghi tỷ lệ cho mọi tác giả, hoặc không ai"))
    out = []
    for a in authors:
        user = users.get(a["name"])
        if user:
            out.append({"user": user, "share_percent": a["share_percent"]})
        else:
            out.append({"full_name": a["name"], "share_percent": a["share_percent"]})
    return out


def _benefit(value):
    """A register's benefit cell: a number, or text with thousands separators ("1.500.000")."""
    if isinstance(value, str):
        return value.replace(",", "").replace(".", "").strip()
    return value


def _check_row(number, row, *, actor, orgs, users, references, seen_references, trusted=False):
    """(errors, cleaned) for one row: the dossier's rules (``initiatives.rules``, the same as every
    other door), then what only a register has (who may import, dates of registration and
    recognition, references)."""
    errors, clean = [], {}

    def bad(message):
        errors.append(_("dòng %(row)d: %(message)s") % {"row": number, "message": message})

    dates = {}
    for column, label in (
        ("applied_since", _("ngày áp dụng")),
        ("registered", _("ngày đăng ký")),
        ("recognised", _("ngày công nhận")),
    ):
        try:
            dates[column] = _date(row.get(column))
        except ValueError:
            bad(
                _("%(what)s không hợp lệ '%(value)s' (YYYY-MM-DD hoặc dd/mm/yyyy)")
                % {"what": label, "value": row.get(column)}
            )
            dates[column] = False  # unreadable (reported), as opposed to None (empty)
    registered = dates["registered"]
    programme = (
        Programme.objects.filter(starts__lte=registered, ends__gte=registered).order_by("-starts").first()
        if registered
        else None
    )
    code = str(row.get("unit") or "").strip()
    category = str(row.get("category") or "").strip()
    category = category if category in Category.values else CATEGORY_NAMES.get(_norm(category), category)
    data = {
        "title": str(row.get("title") or ""),
        "organisation": orgs.get(code) or code,
        "category": category,
        "benefit_value_vnd": _benefit(row.get("benefit")),
        "applied_since": dates["applied_since"] or None,
    }
    try:
        data["authors"] = _parse_authors(row.get("authors"), users)
    except ValueError as e:
        bad(str(e))
        data["authors"] = None
    cleaned, rule_errors = initiative_rules(actor=actor, data=data, programme=programme, check_actor=False)
    if dates["applied_since"] is False:
        rule_errors.pop("applied_since", None)
    for field_errors in rule_errors.values():
        for message in field_errors:
            bad(message)
    org = cleaned.get("organisation")
    if org is not None and not (trusted or actor.is_superuser or actor.has_perm("councils.act_as_officer", org)):
        bad(_("bạn không phải cán bộ của '%(code)s'") % {"code": code})
    clean.update(cleaned)
    clean.update({k: v or None for k, v in dates.items() if k != "applied_since"})
    today = timezone.localdate()
    if registered is None:
        bad(_("cần ngày đăng ký"))
    for column, label in (("registered", _("ngày đăng ký")), ("recognised", _("ngày công nhận"))):
        if clean.get(column) and clean[column] > today:
            bad(_("%(what)s %(day)s ở tương lai") % {"what": label, "day": f"{clean[column]:%d/%m/%Y}"})
    if clean.get("recognised") and clean.get("registered") and clean["recognised"] < clean["registered"]:
        bad(_("ngày công nhận trước ngày đăng ký"))
    reference = str(row.get("reference") or "").strip() or None
    if reference and (reference in references or reference in seen_references):
        bad(_("số hồ sơ '%(reference)s' đã có") % {"reference": reference})
    if reference:
        seen_references.add(reference)
    clean["reference"] = reference
    return errors, clean


def system_user() -> User:
    """The account that imports from the command line when nobody is named (never logs in)."""
    user, _ = User.objects.get_or_create(
        username="he-thong", defaults={"full_name": "Hệ thống", "is_active": False, "password": "!"}
    )
    return user


def _prepare(path, actor, trusted):
    """(every refused row's message, [(row number, cleaned row)]) for the register at ``path``."""
    errors, rows = read_rows(path)
    if errors:
        return errors, []
    codes = {str(r.get("unit") or "").strip() for _number, r in rows}
    orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    names = set()
    for _number, r in rows:
        for part in str(r.get("authors") or "").replace("\n", ";").split(";"):
            names.add(part.rpartition(":")[0].strip() if ":" in part else part.strip())
    users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
    given = [str(r.get("reference")).strip() for _number, r in rows if r.get("reference")]
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
    return errors, cleaned


def initiatives_import_preview(*, path, actor) -> tuple[list[str], int]:
    """Check the register at ``path`` as ``actor`` would import it, writing nothing: (every refused
    row's message, the number of rows read)."""
    errors, cleaned = _prepare(path, actor, trusted=False)
    return errors, len(cleaned)


def initiatives_import(*, path, actor=None) -> int:
    """Import every row of the register at ``path`` or nothing. Raises ``ImportRefused`` with every
    refused row (row number and reason, in the active language). Returns the number of initiatives created.
    Without ``actor`` (the command run by whoever administers the server) the system account
    imports into any unit; a named actor must be an officer of each row's unit."""
    trusted = actor is None
    actor = actor or system_user()
    errors, cleaned = _prepare(path, actor, trusted)
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
        dup_key=dup_key(clean["title"], ""),
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
            consent=Consent.NOT_REQUIRED,  # the union's register records the signed applications
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

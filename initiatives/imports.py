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

Every refused row is a ``{"row", "column", "field", "reason"}`` (``column``: the heading as the
workbook writes it); the command and ``ImportRefused`` print them as lines ("dòng 3: …").

From a page and the API (issue 11, item 5) an upload is a ``RegisterImport``: the file is kept under a
random name with its sha256, checked whole by a task without writing (``checking`` → ``checked``),
then imported by Celery in batches of ``REGISTER_IMPORT_BATCH`` rows (``importing`` → ``done``), each
batch in its own transaction, its progress saved with it; every imported row is screened for
duplicates (``_screen_row``). Without ``partial`` a register with refused rows imports nothing; with
it only the good rows are imported. The same file (sha256) already imported for the organisation,
or a row whose reference number is already there, creates nothing twice.
"""

import contextlib
import datetime
import hashlib
import json
import logging
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from unidecode import unidecode

from audit.actions import audit_record
from config.bulk import bulk_insert
from councils.models import Organisation, User

from .actions import dossier_snapshot, search_text_for
from .duplicates import IMPORT_SCREEN, dup_key, register_words, screen, screen_many
from .exceptions import ApplicationError, RefusedInput
from .files import XLSX, clean_name, sniff
from .models import (
    Category,
    Consent,
    ImportState,
    Initiative,
    InitiativeAuthor,
    Programme,
    RegisterImport,
    RegisterImportBatch,
    State,
)
from .routing import recognised_stages
from .rules import initiative_rules

logger = logging.getLogger(__name__)

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
# the template's headings (what ``initiatives.imports.COLUMNS`` reads) and what goes in each
TEMPLATE_COLUMNS = [
    ("Số hồ sơ", "Không bắt buộc. Để trống thì hệ thống cấp số."),
    ("Tên sáng kiến", "Bắt buộc, 10–300 ký tự."),
    ("Mã đơn vị", "Bắt buộc: mã công đoàn cơ sở (ví dụ PCBD-XN1). Bạn phải là cán bộ của đơn vị đó."),
    ("Lĩnh vực", "Bắt buộc: technical, management, union, covid hoặc tên lĩnh vực bằng tiếng Việt."),
    ("Tác giả", "Bắt buộc: “tên đăng nhập hoặc họ tên:tỷ lệ; …”, tổng 100; không ghi tỷ lệ thì chia đều."),
    ("Giá trị làm lợi (VND)", "Số nguyên ≥ 0 (trên 0, trừ lĩnh vực công đoàn và phòng chống Covid-19)."),
    ("Ngày áp dụng", "YYYY-MM-DD hoặc dd/mm/yyyy."),
    ("Ngày đăng ký", "Bắt buộc: YYYY-MM-DD hoặc dd/mm/yyyy, không ở tương lai."),
    ("Ngày công nhận", "Không bắt buộc: ngày hội đồng cấp đơn vị công nhận, không trước ngày đăng ký."),
]
# the template's headings: what a refused row's ``column`` says when the workbook has no such heading
HEADINGS = {
    "reference": "Số hồ sơ",
    "title": "Tên sáng kiến",
    "unit": "Mã đơn vị",
    "category": "Lĩnh vực",
    "authors": "Tác giả",
    "benefit": "Giá trị làm lợi (VND)",
    "applied_since": "Ngày áp dụng",
    "registered": "Ngày đăng ký",
    "recognised": "Ngày công nhận",
}
# the dossier rules' fields → the register's columns
RULE_COLUMNS = {"organisation": "unit", "benefit_value_vnd": "benefit"}
REQUIRED = ("title", "unit", "category", "authors", "registered")
CATEGORY_NAMES = {unidecode(str(label)).lower(): value for value, label in Category.choices}
CATEGORIES = frozenset(Category.values)


def refusal_line(refusal: dict) -> str:
    """A refused row as one line of text ("dòng 3: …"), in the active language."""
    if refusal.get("row"):
        return _("dòng %(row)d: %(message)s") % {"row": refusal["row"], "message": refusal["reason"]}
    return refusal["reason"]


class ImportRefused(Exception):
    def __init__(self, errors, refusals=None):
        self.errors = errors
        self.refusals = refusals or []
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
    if len(text) == 10 and text[4] == "-" and text[7] == "-" and text[:4].isdigit():
        # YYYY-MM-DD (how a checked batch keeps its dates): fromisoformat, ten times strptime's
        # speed; what it refuses goes on to the formats below (which accept exactly as before)
        with contextlib.suppress(ValueError):
            return datetime.date.fromisoformat(text)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def _local_noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())


def _heading_problem(reason: str, column: str = "") -> dict:
    return {"row": 1, "column": column, "field": "", "reason": reason}


def read_rows(source) -> tuple[list[dict], list[tuple[int, dict]], dict]:
    """(refusals of the whole file, [(row number, {column: value})], {column: its heading as written})
    from the first sheet of the workbook at ``source`` (a path or an open binary file)."""
    from openpyxl import load_workbook

    label = getattr(source, "name", source)
    try:
        wb = load_workbook(Path(source) if isinstance(source, str | Path) else source, read_only=True, data_only=True)
    except FileNotFoundError:
        return (
            [{"row": None, "column": "", "field": "", "reason": _("không tìm thấy tệp %(path)s") % {"path": label}}],
            [],
            {},
        )
    except Exception as e:  # noqa: BLE001 - any unreadable workbook
        reason = _("không đọc được tệp Excel %(path)s (%(error)s)") % {"path": Path(str(label)).name, "error": e}
        return [{"row": None, "column": "", "field": "", "reason": reason}], [], {}
    ws = wb.worksheets[0]
    rows = ws.iter_rows(values_only=True)
    header = next(rows, None) or ()
    index, headings = {}, {}
    problems = []
    for i, heading in enumerate(header):
        key = _norm(heading)
        for column, names in COLUMNS.items():
            if key in {_norm(n) for n in names} and column not in index:
                index[column] = i
                headings[column] = str(heading).strip()
                break
        else:
            if key:  # a column we do not know would be dropped silently: say so instead
                problems.append(
                    _heading_problem(
                        _("không hiểu cột '%(heading)s' (%(known)s)")
                        % {"heading": heading, "known": ", ".join(names[0] for names in COLUMNS.values())},
                        str(heading),
                    )
                )
    for column in REQUIRED:
        if column not in index:
            problems.append(
                _heading_problem(_("thiếu cột %(columns)s") % {"columns": COLUMNS[column][0]}, HEADINGS[column])
            )
    if problems:
        wb.close()
        return problems, [], headings
    out = []
    for number, values in enumerate(rows, start=2):
        if not values or all(v in (None, "") for v in values):
            continue
        out.append((number, {c: (values[i] if i < len(values) else None) for c, i in index.items()}))
    wb.close()
    return [], out, headings


def _json_cell(value):
    """A cell as JSON keeps it (a batch's rows are stored until a worker imports them)."""
    if isinstance(value, datetime.datetime):  # a date cell: the register's dates are days
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


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


class _Context:
    """What checking many rows shares: units, people, references and programmes read once, and
    whose officer the importer is (asked once per unit)."""

    def __init__(self, rows, *, actor, trusted, scope=None, headings=None, shared=None):
        self.actor, self.trusted, self.scope = actor, trusted, scope
        shared = {} if shared is None else shared
        self.headings = headings or {}
        codes = {str(r.get("unit") or "").strip() for _number, r in rows}
        self.orgs = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
        names = set()
        for _number, r in rows:
            for part in str(r.get("authors") or "").replace("\n", ";").split(";"):
                names.add(part.rpartition(":")[0].strip() if ":" in part else part.strip())
        self.users = {u.username: u for u in User.objects.filter(username__in=names, is_active=True)}
        given = [str(r.get("reference")).strip() for _number, r in rows if r.get("reference")]
        self.references = set()
        for i in range(0, len(given), 5000):
            self.references |= set(
                Initiative.objects.filter(reference__in=given[i : i + 5000]).values_list("reference", flat=True)
            )
        self.seen_references = set()
        self.programmes = list(Programme.objects.order_by("-starts"))
        # what does not change while one register is imported: whose officer the importer is, the
        # names of the seat holders on each unit's council route, where a recognised row goes
        self.officer_of = shared.setdefault("officer_of", {})
        self.seats = shared.setdefault("seats", {})
        self.stages = shared.setdefault("stages", {})

    def programme(self, day):
        if not day:
            return None
        return next((p for p in self.programmes if p.starts <= day <= p.ends), None)

    def may_import(self, org) -> bool:
        if self.trusted or self.actor.is_superuser:
            return True
        if self.scope is not None and org.path.startswith(self.scope.path) and self.may_import_scope():
            return True  # roles hold on the whole subtree (``councils.backends``)
        if org.pk not in self.officer_of:
            self.officer_of[org.pk] = self.actor.has_perm("councils.act_as_officer", org)
        return self.officer_of[org.pk]

    def may_import_scope(self) -> bool:
        if "scope" not in self.officer_of:
            self.officer_of["scope"] = self.actor.has_perm("councils.act_as_officer", self.scope)
        return self.officer_of["scope"]

    def column(self, field: str) -> str:
        return self.headings.get(field) or HEADINGS.get(field, field)


def _check_row(number, row, ctx: _Context):
    """(refusals, cleaned) for one row: the dossier's rules (``initiatives.rules``, the same as every
    other door), then what only a register has (who may import, dates of registration and
    recognition, references). Each refusal names its row, its column and the reason."""
    errors, clean = [], {}

    def bad(field, message):
        errors.append({"row": number, "column": ctx.column(field), "field": field, "reason": message})

    dates = {}
    for column, label in (
        ("applied_since", gettext_lazy("ngày áp dụng")),  # lazy: translated only for a refusal
        ("registered", gettext_lazy("ngày đăng ký")),
        ("recognised", gettext_lazy("ngày công nhận")),
    ):
        try:
            dates[column] = _date(row.get(column))
        except ValueError:
            bad(
                column,
                _("%(what)s không hợp lệ '%(value)s' (YYYY-MM-DD hoặc dd/mm/yyyy)")
                % {"what": label, "value": row.get(column)},
            )
            dates[column] = False  # unreadable (reported), as opposed to None (empty)
    registered = dates["registered"]
    programme = ctx.programme(registered)
    code = str(row.get("unit") or "").strip()
    category = str(row.get("category") or "").strip()
    category = category if category in CATEGORIES else CATEGORY_NAMES.get(_norm(category), category)
    data = {
        "title": str(row.get("title") or ""),
        "organisation": ctx.orgs.get(code) or code,
        "category": category,
        "benefit_value_vnd": _benefit(row.get("benefit")),
        "applied_since": dates["applied_since"] or None,
    }
    try:
        data["authors"] = _parse_authors(row.get("authors"), ctx.users)
    except ValueError as e:
        bad("authors", str(e))
        data["authors"] = None
    cleaned, rule_errors = initiative_rules(
        actor=ctx.actor, data=data, programme=programme, check_actor=False, seat_cache=ctx.seats
    )
    if dates["applied_since"] is False:
        rule_errors.pop("applied_since", None)
    for field, field_errors in rule_errors.items():
        for message in field_errors:
            bad(RULE_COLUMNS.get(field, field), message)
    org = cleaned.get("organisation")
    if org is not None and not ctx.may_import(org):
        bad("unit", _("bạn không phải cán bộ của '%(code)s'") % {"code": code})
    elif org is not None and ctx.scope is not None and not org.path.startswith(ctx.scope.path):
        bad(
            "unit",
            _("'%(code)s' không thuộc %(organisation)s, tổ chức của lần nhập này")
            % {"code": code, "organisation": ctx.scope.name},
        )
    clean.update(cleaned)
    clean.update({k: v or None for k, v in dates.items() if k != "applied_since"})
    clean["programme"] = programme
    today = timezone.localdate()
    if registered is None:
        bad("registered", _("cần ngày đăng ký"))
    for column, label in (("registered", gettext_lazy("ngày đăng ký")), ("recognised", gettext_lazy("ngày công nhận"))):
        if clean.get(column) and clean[column] > today:
            bad(column, _("%(what)s %(day)s ở tương lai") % {"what": label, "day": f"{clean[column]:%d/%m/%Y}"})
    if clean.get("recognised") and clean.get("registered") and clean["recognised"] < clean["registered"]:
        bad("recognised", _("ngày công nhận trước ngày đăng ký"))
    reference = str(row.get("reference") or "").strip() or None
    if reference and (reference in ctx.references or reference in ctx.seen_references):
        bad("reference", _("số hồ sơ '%(reference)s' đã có") % {"reference": reference})
    if reference:
        ctx.seen_references.add(reference)
    clean["reference"] = reference
    return errors, clean


def system_user() -> User:
    """The account that imports from the command line when nobody is named (never logs in)."""
    user, _ = User.objects.get_or_create(
        username="he-thong", defaults={"full_name": "Hệ thống", "is_active": False, "password": "!"}
    )
    return user


_SHARED = {"key": None, "value": {}}


def _shared_for(imp: RegisterImport) -> dict:
    """The look-ups one import's check and batches share in this process (the latest import's)."""
    key = (imp.pk, imp.sha256, imp.created_at)
    if _SHARED["key"] != key:
        _SHARED["key"], _SHARED["value"] = key, {}
    return _SHARED["value"]


def _prepare_rows(rows, *, actor, trusted, scope=None, headings=None, shared=None):
    """(every refusal, [(row number, cleaned row, refused?)]) for rows already read."""
    ctx = _Context(rows, actor=actor, trusted=trusted, scope=scope, headings=headings, shared=shared)
    refusals, cleaned = [], []
    for number, row in rows:
        row_refusals, clean = _check_row(number, row, ctx)
        refusals += row_refusals
        cleaned.append((number, clean, bool(row_refusals)))
    return refusals, cleaned


def _prepare(path, actor, trusted):
    """(every refused row's message, [(row number, cleaned row)]) for the register at ``path``."""
    refusals, rows, headings = read_rows(path)
    if refusals:
        return [refusal_line(r) for r in refusals], []
    refusals, cleaned = _prepare_rows(rows, actor=actor, trusted=trusted, headings=headings)
    return [refusal_line(r) for r in refusals], [(number, clean) for number, clean, _bad in cleaned]


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
        for i in range(0, len(cleaned), register_import_batch_size()):
            _create_many(rows=cleaned[i : i + register_import_batch_size()], actor=actor, source=Path(path).name)
    return len(cleaned)


def _create_many(*, rows, actor, source, extra=None, stages=None, later=None) -> list[Initiative]:
    """Create the initiatives of checked rows ``[(row number, cleaned row)]`` inside the caller's
    transaction, in a few statements whatever their number: the initiatives, their authors, their
    first frozen dossier version (``dossier_freeze``'s content and digest), their progress counters
    and one audit entry each (``import``), chained in row order."""
    from audit.actions import audit_record_many

    from .counters import Share, local_day, person_key, progress_counters_add
    from .models import DossierVersion

    if not rows:
        return []
    stages = {} if stages is None else stages
    unknown = {c["organisation"].pk: c["organisation"] for _n, c in rows if c.get("recognised")}
    stages.update(recognised_stages(organisations=[o for pk, o in unknown.items() if pk not in stages]))
    made = []
    for number, clean in rows:
        org = clean["organisation"]
        submitted = _local_noon(clean["registered"])
        state, council, due_at, recognised_at = State.ADVISORY_REVIEW, None, None, None
        if clean.get("recognised"):
            recognised_at = _local_noon(clean["recognised"])
            state, council = stages[org.pk]
            if council is not None:
                due_at = recognised_at + datetime.timedelta(days=council.decision_days)
        initiative = Initiative(
            reference=clean["reference"],
            title=clean["title"],
            category=clean["category"],
            organisation=org,
            programme=clean.get("programme"),
            benefit_value_vnd=clean["benefit_value_vnd"],
            applied_since=clean["applied_since"],
            state=state,
            council=council,
            due_at=due_at,
            created_by=actor,
            submitted_at=submitted,
            recognised_at=recognised_at,
            dossier_version=1,
            search_text=search_text_for(clean["title"], ""),
            dup_key=dup_key(clean["title"], ""),
        )
        made.append((number, clean, initiative))

    def number(_objs):  # a row without a reference number gets one from its id
        numbered = []
        for _number, clean, initiative in made:
            if not initiative.reference:
                initiative.reference = f"SK-{clean['registered']:%Y}-{initiative.pk:07d}"
                numbered.append(initiative)
        return numbered

    bulk_insert(Initiative, [i for _n, _c, i in made], prepare=number, update_fields=["reference"])
    authors, versions, shares, audits = [], [], [], []
    for number, clean, initiative in made:
        rows_authors = [
            InitiativeAuthor(
                initiative=initiative,
                user=a["user"],
                full_name=a["full_name"],
                share_percent=a["share_percent"],
                position=i,
                consent=Consent.NOT_REQUIRED,  # the union's register records the signed applications
            )
            for i, a in enumerate(clean["authors"])
        ]
        authors += rows_authors
        content = {
            **dossier_snapshot(initiative, authors=rows_authors, attachments=[]),
            "imported_from": source,
            "row": number,
        }
        digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        versions.append(
            DossierVersion(
                initiative=initiative,
                number=1,
                content=content,
                digest=digest,
                submitted_by=actor,
                submitted_at=initiative.submitted_at,
            )
        )
        shares.append(
            Share(
                organisation_id=initiative.organisation_id,
                path=initiative.organisation.path,
                category=initiative.category,
                benefit=initiative.counted_benefit_vnd,
                registered_on=local_day(initiative.submitted_at),
                recognised_on=local_day(initiative.recognised_at) if initiative.recognised_at else None,
                persons=frozenset(person_key(a.user_id, a.full_name) for a in rows_authors),
            )
        )
        audits.append(
            {
                "actor": actor,
                "action": "import",
                "obj": initiative,
                "to_state": initiative.state,
                "version": initiative.version,
                "details": {
                    "reference": initiative.reference,
                    "file": source,
                    "row": number,
                    "registered": str(clean["registered"]),
                    "recognised": str(clean.get("recognised") or ""),
                    **(extra or {}),
                },
            }
        )
    bulk_insert(InitiativeAuthor, authors, batch_size=2000)
    from .opentasks import tasks_sync_many

    tasks_sync_many(i.pk for _n, _c, i in made)  # the imported dossiers' open work
    for author in authors:  # the snapshot above read ``a.user`` before the authors had ids
        author.initiative_id = author.initiative.pk
    bulk_insert(DossierVersion, versions)

    def count_and_audit():  # the shared locks (counters, the audit chain's head): last, briefly
        progress_counters_add(shares)
        audit_record_many(audits)

    if later is None:
        count_and_audit()
    else:
        later.append(count_and_audit)
    return [i for _n, _c, i in made]


# --- duplicate screening of imported rows ---------------------------------------------------------


def _screen_row(*, initiative: Initiative, user=None, limit: int = 5) -> list[dict]:
    """Earlier initiatives that look like the imported ``initiative``: ``[{"id", "title",
    "organisation", "similarity", …}]``, best first: the programme-wide duplicate screen
    (``initiatives.duplicates.screen``), with its visibility rule for ``user``."""
    return screen(
        title=initiative.title,
        summary=initiative.summary,
        organisation=initiative.organisation,
        category=initiative.category,
        exclude_ids=(initiative.pk,),
        user=user,
        limit=limit,
    )


def _screen_rows(*, initiatives: list[Initiative], user=None, limit: int = 5, total_rows=None) -> list[list[dict]]:
    """``_screen_row`` for each of a batch's new initiatives, in a few statements for the whole
    batch (``initiatives.duplicates.screen_many``). With ``total_rows`` (the register's size), the
    words the batch repeats count as common as they will be once imported (``register_words``): the
    screen then asks the index for the rows' telling words, not the unit's code of every title."""
    items = [
        {
            "title": i.title,
            "summary": i.summary,
            "organisation": i.organisation,
            "category": i.category,
            "exclude_ids": (i.pk,),
            "key": i.dup_key,  # computed as it was created
        }
        for i in initiatives
    ]
    expected = register_words([i.dup_key for i in initiatives], total_rows) if total_rows else None
    return screen_many(items, user=user, limit=limit, expected=expected, **IMPORT_SCREEN)


# --- imports from a page and the API (RegisterImport) ---------------------------------------------

DUPLICATES_KEPT = 1000  # rows with candidates kept in the report (all are counted)


def register_import_max_bytes() -> int:
    return int(float(getattr(settings, "REGISTER_IMPORT_MAX_MB", 50)) * 1024 * 1024)


def register_import_batch_size() -> int:
    return max(1, int(getattr(settings, "REGISTER_IMPORT_BATCH", 2500)))


def may_import_into(*, user, organisation: Organisation) -> bool:
    """Officers of ``organisation`` (``councils.act_as_officer`` on it, admins included)."""
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser or user.has_perm("councils.act_as_officer", organisation)
    )


def may_read_import(*, user, register_import: RegisterImport) -> bool:
    org = register_import.organisation
    return bool(getattr(user, "is_authenticated", False)) and (
        user.is_superuser
        or register_import.by_id == user.pk
        or user.has_perm("councils.act_as_officer", org)
        or user.has_perm("councils.audit_in", org)
    )


def register_import_get_visible(*, user, pk) -> RegisterImport:
    """The import ``pk`` for who uploaded it, the organisation's officers and auditors;
    ``RegisterImport.DoesNotExist`` (→ 404) for everyone else."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise RegisterImport.DoesNotExist from None
    if not 0 < pk < 2**63:
        raise RegisterImport.DoesNotExist
    imp = RegisterImport.objects.select_related("organisation", "by").get(pk=pk)
    if not may_read_import(user=user, register_import=imp):
        raise RegisterImport.DoesNotExist
    return imp


def register_imports_of(*, user, limit: int = 20):
    """The latest imports ``user`` uploaded."""
    return RegisterImport.objects.filter(by=user).select_related("organisation")[:limit]


def _refuse_upload(upload) -> tuple[str, int]:
    """(safe name, size) of an acceptable register upload; ``RefusedInput`` (400 naming ``file``) else."""
    if upload is None:
        raise RefusedInput(
            "file", _("Hãy chọn tệp sổ sáng kiến (.xlsx) để tải lên (trường “file”)"), code="file_missing"
        )
    name = clean_name(getattr(upload, "name", ""), fallback="so-sang-kien.xlsx")
    size = upload.size or 0
    limit = register_import_max_bytes()
    if size > limit:
        raise RefusedInput(
            "file",
            _("Tệp “%(name)s” lớn hơn %(mb)s MB") % {"name": name, "mb": limit // (1024 * 1024)},
            code="file_too_large",
        )
    if not size or sniff(upload) != XLSX:
        raise RefusedInput(
            "file",
            _(
                "Tệp “%(name)s” không phải sổ Excel (.xlsx): loại tệp được xét theo nội dung tệp, không theo tên; "
                "hãy dùng mẫu sổ"
            )
            % {"name": name},
            code="file_type",
        )
    return name, size


def register_import_create(
    *, actor, organisation: Organisation, upload, partial: bool = False, start: bool = True
) -> tuple[RegisterImport, bool]:
    """An officer of ``organisation`` uploads a register workbook (403 otherwise; 400 naming ``file``
    for a missing file, one that is not an .xlsx by its content, or one too large). Returns
    ``(import, created)``: when this very file (sha256) is already being or was imported for
    ``organisation``, that import and ``False`` — nothing is created twice. Otherwise the file is
    kept under a random name and checked whole by a task, writing nothing; with ``start`` (the API)
    the rows are then imported at once when none is refused, or with ``partial`` the good ones;
    without it (the page) the officer confirms first (``register_import_start``). Audited
    (``register_import_create``)."""
    if not may_import_into(user=actor, organisation=organisation):
        raise PermissionDenied(
            _("Chỉ cán bộ công đoàn của %(organisation)s mới được nhập sổ sáng kiến cho tổ chức này.")
            % {"organisation": organisation.name}
        )
    name, size = _refuse_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    sha256 = digest.hexdigest()
    same = (
        RegisterImport.objects.filter(
            organisation=organisation, sha256=sha256, state__in=[ImportState.IMPORTING, ImportState.DONE]
        )
        .select_related("organisation", "by")
        .first()
    )
    if same is not None:
        return same, False
    stored = []
    try:
        with transaction.atomic():
            imp = RegisterImport(
                organisation=organisation,
                by=actor,
                name=name,
                size=size,
                sha256=sha256,
                partial=bool(partial),
                language=translation.get_language() or settings.LANGUAGE_CODE,
                created_at=timezone.now(),
            )
            imp.file.save("upload", upload, save=False)  # the name comes from ``register_import_storage_name``
            stored.append(imp.file.name)
            imp.save()
            audit_record(
                actor=actor,
                action="register_import_create",
                obj=imp,
                to_state=imp.state,
                details={
                    "organisation": organisation.code,
                    "file": name,
                    "size": size,
                    "sha256": sha256,
                    "partial": imp.partial,
                },
            )
            transaction.on_commit(lambda: _schedule_check(imp.pk, start))
    except BaseException:
        for stored_name in stored:
            imp.file.storage.delete(stored_name)
        raise
    return imp, True


def _schedule_check(import_id: int, start: bool) -> None:
    from .tasks import check_register_import

    check_register_import.delay(import_id, start)


def _fail(import_id: int, error: str) -> None:
    with transaction.atomic():
        imp = RegisterImport.objects.select_for_update().select_related("organisation", "by").get(pk=import_id)
        if imp.state in (ImportState.DONE, ImportState.FAILED):
            return
        before = imp.state
        imp.state, imp.error, imp.finished_at = ImportState.FAILED, error[:2000], timezone.now()
        imp.save(update_fields=["state", "error", "finished_at"])
        audit_record(
            actor=imp.by,
            action="register_import_failed",
            obj=imp,
            from_state=before,
            to_state=imp.state,
            details={"file": imp.name, "error": imp.error[:300]},
        )


def _speaking(import_id: int):
    """The language the import was uploaded in (its report's reasons are written in it)."""
    language = RegisterImport.objects.filter(pk=import_id).values_list("language", flat=True).first()
    return translation.override(language or settings.LANGUAGE_CODE)


def register_import_check(*, import_id: int, start: bool = True) -> RegisterImport:
    with _speaking(import_id):
        return _check(import_id=import_id, start=start)


def _check(*, import_id: int, start: bool) -> RegisterImport:
    """Check the whole register of a ``checking`` import as its officer would import it, writing no
    initiative: ``rows`` read, every refused row (``{"row", "column", "field", "reason"}``), the good
    rows kept in batches; then ``checked`` — and, with ``start``, ``importing`` when none is refused
    or the import is ``partial``."""
    imp = RegisterImport.objects.select_related("organisation", "by").get(pk=import_id)
    if imp.state != ImportState.CHECKING:
        return imp
    try:
        with imp.file.open("rb") as f:
            refusals, rows, headings = read_rows(f)
            if not refusals:
                refusals, cleaned = _prepare_rows(
                    rows,
                    actor=imp.by,
                    trusted=False,
                    scope=imp.organisation,
                    headings=headings,
                    shared=_shared_for(imp),
                )
                bad = {number for number, _clean, refused in cleaned if refused}
                good = [
                    [number, {k: _json_cell(v) for k, v in row.items()}] for number, row in rows if number not in bad
                ]
            else:
                good = []
        if not rows and not refusals:
            refusals = [{"row": None, "column": "", "field": "", "reason": _("Sổ không có dòng nào để nhập.")}]
    except Exception as e:  # noqa: BLE001 - whatever broke, the officer reads why and nothing was written
        logger.exception("register import %s: the check failed", import_id)
        _fail(import_id, f"{type(e).__name__}: {e}")
        return RegisterImport.objects.get(pk=import_id)
    size = register_import_batch_size()
    with transaction.atomic():
        imp = RegisterImport.objects.select_for_update().select_related("organisation", "by").get(pk=import_id)
        if imp.state != ImportState.CHECKING:
            return imp
        RegisterImportBatch.objects.bulk_create(
            [
                RegisterImportBatch(register_import=imp, number=n, rows=good[i : i + size])
                for n, i in enumerate(range(0, len(good), size), start=1)
            ]
        )
        imp.rows, imp.refused, imp.total, imp.state = len(rows), refusals, len(good), ImportState.CHECKED
        imp.save(update_fields=["rows", "refused", "total", "state"])
        if start and (imp.partial or not refusals):
            _begin(imp)
    return imp


def register_import_start(*, import_id: int, actor, partial: bool = False) -> RegisterImport:
    """Import a ``checked`` register (the page's "import" and "import only the good rows"): an officer
    of its organisation (403 otherwise); 409 ``invalid_state`` unless ``checked``, 409
    ``rows_refused`` when rows were refused and ``partial`` is not asked, 409 ``nothing_to_import``
    when no row is good."""
    with transaction.atomic():
        imp = RegisterImport.objects.select_for_update().select_related("organisation", "by").get(pk=import_id)
        if not may_import_into(user=actor, organisation=imp.organisation):
            raise PermissionDenied(
                _("Chỉ cán bộ công đoàn của %(organisation)s mới được nhập sổ sáng kiến cho tổ chức này.")
                % {"organisation": imp.organisation.name}
            )
        if imp.state != ImportState.CHECKED:
            raise ApplicationError(
                _("Lần nhập này đang ở trạng thái “%(state)s”, không nhập được nữa")
                % {"state": imp.get_state_display()},
                code="invalid_state",
                extra={"state": imp.state},
            )
        if imp.total == 0:
            raise ApplicationError(_("Sổ không có dòng hợp lệ nào để nhập"), code="nothing_to_import")
        if imp.refused and not (partial or imp.partial):
            raise ApplicationError(
                _("Sổ có dòng bị từ chối: hãy chọn nhập chỉ các dòng hợp lệ, hoặc sửa sổ rồi tải lên lại"),
                code="rows_refused",
            )
        imp.partial = bool(imp.partial or partial)
        imp.save(update_fields=["partial"])
        _begin(imp)
    return imp


def _begin(imp: RegisterImport) -> None:
    """``checked`` → ``importing`` (inside the caller's transaction, the row locked); the batches
    are queued after the commit. Nothing to import: straight to ``done``."""
    imp.state = ImportState.IMPORTING
    imp.save(update_fields=["state", "partial"])
    if imp.total == 0:
        _finish(imp)
        return
    batch_ids = list(imp.batches.order_by("number").values_list("pk", flat=True))
    transaction.on_commit(lambda: _schedule_batches(imp.pk, batch_ids))


def _schedule_batches(import_id: int, batch_ids: list[int]) -> None:
    from .tasks import import_register_batch

    for batch_id in batch_ids:
        import_register_batch.delay(import_id, batch_id)


def _finish(imp: RegisterImport) -> None:
    imp.state, imp.finished_at = ImportState.DONE, timezone.now()
    imp.save(update_fields=["state", "finished_at"])
    audit_record(
        actor=imp.by,
        action="register_import_done",
        obj=imp,
        from_state=ImportState.IMPORTING,
        to_state=imp.state,
        details={
            "file": imp.name,
            "sha256": imp.sha256,
            "rows": imp.rows,
            "imported": imp.imported,
            "refused": len({r.get("row") for r in imp.refused}),
            "duplicates": imp.duplicates_count,
        },
    )


def register_import_batch(*, import_id: int, batch_id: int) -> int:
    with _speaking(import_id):
        return _import_batch(import_id=import_id, batch_id=batch_id)


def _no_jit() -> None:
    """PostgreSQL: no JIT compilation for the rest of this transaction. A batch's set-based
    statements (its screen over thousands of rows, the counters' upserts) are costed high enough to
    be compiled, and compiling took longer than running them: 570 ms of JIT for a 2,500-row screen
    that ran in 40 ms (EXPLAIN ANALYZE at 200,000)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def _import_batch(*, import_id: int, batch_id: int) -> int:
    """Import one batch of a register in one transaction: each row checked again (a reference taken
    meanwhile is refused, never created twice), created with its audit entry, screened for
    duplicates; the import's progress saved with it; the last batch finishes the import. A batch
    that another run claimed already imports nothing. Returns the number created."""
    claimed = RegisterImportBatch.objects.filter(pk=batch_id, register_import_id=import_id, state="pending").update(
        state="running"
    )
    if not claimed:
        return 0
    try:
        with transaction.atomic():
            _no_jit()
            imp = RegisterImport.objects.select_related("organisation", "by").get(pk=import_id)
            batch = RegisterImportBatch.objects.get(pk=batch_id)
            rows = [(number, row) for number, row in batch.rows]
            shared = _shared_for(imp)
            refusals, cleaned = _prepare_rows(rows, actor=imp.by, trusted=False, scope=imp.organisation, shared=shared)
            good = [(number, clean) for number, clean, refused in cleaned if not refused]
            later = []
            made = _create_many(
                rows=good,
                actor=imp.by,
                source=imp.name,
                extra={"register_import": imp.pk},
                stages=shared.setdefault("stages", {}),
                later=later,
            )
            created, duplicates = len(made), []
            screened = _screen_rows(initiatives=made, user=imp.by, total_rows=max(imp.rows, len(made)))
            for (number, _clean), initiative, found in zip(good, made, screened, strict=True):
                if found:
                    duplicates.append(
                        {
                            "row": number,
                            "id": initiative.pk,
                            "reference": initiative.reference,
                            "title": initiative.title,
                            "candidates": [
                                {
                                    k: d.get(k)
                                    for k in ("id", "title", "organisation", "similarity", "reasons")
                                    if k in d
                                }
                                for d in found
                            ],
                        }
                    )
            for step in later:  # after the screen: no other writer waits on these locks meanwhile
                step()
            batch.state, batch.imported = "done", created
            batch.save(update_fields=["state", "imported"])
            imp = RegisterImport.objects.select_for_update().select_related("organisation", "by").get(pk=import_id)
            imp.imported += created
            imp.done += len(rows)
            if refusals:  # rows good at the check that are not any more (a reference taken meanwhile …)
                imp.refused = [*imp.refused, *refusals]
            room = max(0, DUPLICATES_KEPT - len(imp.duplicates))
            imp.duplicates = [*imp.duplicates, *duplicates[:room]]
            imp.duplicates_count += len(duplicates)
            imp.save(update_fields=["imported", "done", "refused", "duplicates", "duplicates_count"])
            if imp.state == ImportState.IMPORTING and not imp.batches.exclude(state="done").exists():
                _finish(imp)
        return created
    except Exception as e:  # noqa: BLE001 - the batch wrote nothing; the import says why
        logger.exception("register import %s: batch %s failed", import_id, batch_id)
        RegisterImportBatch.objects.filter(pk=batch_id).update(state="failed")
        _fail(import_id, f"{type(e).__name__}: {e}")
        return 0


def register_template() -> bytes:
    """The register's template (.xlsx): the headings on the first sheet, what each column takes on
    the second."""
    import io

    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    ws.title = "So sang kien"
    ws.append([heading for heading, _help in TEMPLATE_COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for letter, width in zip("ABCDEFGHI", (14, 50, 14, 14, 40, 20, 14, 14, 16), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"
    guide = wb.create_sheet("Huong dan")
    guide.append(["Cột", "Cách ghi"])
    for row in TEMPLATE_COLUMNS:
        guide.append(list(row))
    guide.column_dimensions["A"].width, guide.column_dimensions["B"].width = 24, 100
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def register_import_data(imp: RegisterImport) -> dict:
    """An import as the API answers it and the page polls it."""
    refused_rows = len({r.get("row") for r in imp.refused})
    return {
        "id": imp.pk,
        "state": imp.state,
        "organisation": imp.organisation.code,
        "file": imp.name,
        "size": imp.size,
        "sha256": imp.sha256,
        "partial": imp.partial,
        "by": imp.by.display_name,
        "rows": imp.rows,
        "imported": imp.imported,
        "refused_rows": refused_rows,
        "refused": [
            {"row": r.get("row"), "column": r.get("column", ""), "field": r.get("field", ""), "reason": r["reason"]}
            for r in imp.refused
        ],
        "duplicates": imp.duplicates,
        "duplicates_count": imp.duplicates_count,
        "done": imp.done,
        "total": imp.total,
        "percent": round(100 * imp.done / imp.total, 1) if imp.total else (100.0 if imp.state == "done" else 0.0),
        "error": imp.error,
        "created_at": imp.created_at.isoformat(),
        "finished_at": imp.finished_at.isoformat() if imp.finished_at else None,
    }

"""A national programme of N initiatives written in bulk (``manage.py generate_load``).

The shape: the federation, ~80 affiliates (sector unions and provincial federations), corporations
under them, grassroots units under those and, for a tenth of the units, two sub-units (depth 5);
a council at every level (unit councils of five: chair, secretary, three members; every fourth
corporation council votes by secret ballot), advisory teams, officers, auditors and a pool of
authors (each a worker of one unit, who writes that unit's initiatives), all able to log in with
one password. Initiatives are spread over the programme's months in realistic state proportions;
each carries its authors, its frozen dossier version once submitted, the council sessions it went
through (closed ones as ``initiative_close`` leaves them: minutes, the votes — anonymous on a
secret ballot, with the casts that say who voted —, open ones with some ballots cast), certificates
within the affiliates' quotas, and its trail entries (create, submit, forward, the votes of its open
session, each close, withdraw) chained per affiliate as ``audit_record`` chains them (format 3), so
``verify_audit`` passes.

How it is fast (2,000,000 initiatives: ``BENCHMARKS.md`` §1):

- the plan (each initiative's id, creation time, unit and state, the certificates cut to the
  quotas) is drawn first, in one process; ids follow creation time, as the actions' would;
- the rows are built as COPY text directly (no model, no dict, no ``datetime`` per row: times are
  integers formatted with a cache per day, ``bench/loadtext.py``), and the trail's hashed text is
  ``audit.chain``'s own canonical JSON with holes (``entry_text_format_v3``) filled per entry;
- the affiliates are shared among worker processes (``--workers``; forked, each with its own
  connection and one transaction per batch): the chains are per affiliate, so each worker links
  its own chains, numbering its entries ``base + w + W·j`` (increasing along every chain);
- on PostgreSQL a large load into a fresh database first sets aside the secondary indexes and the
  foreign keys of the tables it fills and builds them again afterwards, in parallel
  (``bench/bulkschema.py``: the schema afterwards is the one before), with ``synchronous_commit``
  off and the tables' autovacuum paused during the load;
- then the progress counters, the open-task table, the sequences and ``ANALYZE``.

On SQLite (CI's smoke test, tiny N) the same rows go in through ``executemany``, in one process.
``--append`` adds another federation tree beside what is there (indexes kept).
"""

from __future__ import annotations

import bisect
import datetime
import json
import os
import random
import resource
import sys
import time
import traceback
from dataclasses import dataclass, field
from hashlib import sha256

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import connection, connections, transaction
from django.utils import timezone

from audit.chain import ENTRY_PREFIX_V3, HASH_V3, HASHED_FIELDS, entry_digest, entry_text_format_v3, scope_key_of
from initiatives.duplicates import dup_key

from .loadtext import NULL, Clock, esc, js, obj, unesc

PASSWORD = "sangkien2026"
PREFIX = "LG"
UTC = datetime.UTC

# The state an initiative has reached, with its share of the programme (per mille). Certified
# counts are then cut to the affiliates' quotas (the rest stay before the sector council).
STATE_MIX = [
    ("draft", 90),
    ("advisory_review", 70),
    ("unit_council", 70),
    ("corporation_council", 55),
    ("sector_review", 30),
    ("federation_review", 3),
    ("rejected", 560),
    ("withdrawn", 40),
    ("sector_certified", 80),
    ("federation_certified", 2),
]
# how far up the ladder a rejected dossier went before its rejection (per mille)
REJECTED_AT = [("unit_council", 700), ("corporation_council", 250), ("sector_review", 50)]
LADDER = ["unit_council", "corporation_council", "sector_review", "federation_review"]
KIND_OF_STAGE = {
    "unit_council": "unit",
    "corporation_council": "corporation",
    "sector_review": "sector",
    "federation_review": "federation",
}
SECTOR_CAP = 100  # sector certificates per affiliate and programme (Chứng nhận Lao động sáng tạo)
FEDERATION_CAP = 60  # federation certificates per programme (Bằng Lao động sáng tạo)
WORDS = [
    "bơm",
    "băng tải",
    "lò hơi",
    "máy nén",
    "điện mặt trời",
    "phần mềm",
    "kho hàng",
    "an toàn",
    "nước thải",
    "tiết kiệm điện",
    "máy cắt",
    "quy trình",
    "biến áp",
    "đường dây",
    "hóa đơn",
]
# the first initiatives, in the first unit (the personas'): one at every open stage
FORCED = ["draft", "advisory_review", "unit_council", "corporation_council", "sector_review", "federation_review"]
CATEGORIES = ["technical", "management", "union", "covid"]
REASON = "Chưa đủ căn cứ về hiệu quả"
DAY = 86400

# the trail's COPY columns are its hashed fields, its id and its hash; the writer fills them in this order
AUDIT_COLUMNS = ("id", *HASHED_FIELDS, "hash")
assert HASHED_FIELDS == (
    "hash_version",
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "actor_display_name",
    "action",
    "object_type",
    "object_id",
    "scope_path",
    "scope_key",
    "scope_seq",
    "scope_prev",
    "from_state",
    "to_state",
    "version",
    "comment",
    "details",
    "prev_hash",
), "audit.chain's hashed fields changed: update Writer.entry"
ENTRY_FORMAT, ENTRY_HOLES = entry_text_format_v3()
J_COMMENT = {"": '""', REASON: js(REASON)}
assert ENTRY_HOLES == (
    "action",
    "actor_display_name",
    "actor_id",
    "actor_name",
    "at",
    "comment",
    "details",
    "from_state",
    "object_id",
    "object_type",
    "prev_hash",
    "scope_key",
    "scope_path",
    "scope_prev",
    "scope_seq",
    "seq",
    "to_state",
    "version",
), "audit.chain's canonical order changed: update entry_text"


def entry_text(action, actor, at, comment, details, source, ini_obj, prev, ini_scope, n, seq, target, version) -> str:
    """The hashed text of an initiative's format-3 entry: ``ENTRY_FORMAT`` (``audit.chain``'s own
    canonical JSON with holes) with its holes filled, written as one f-string. ``action``,
    ``source``, ``target`` are plain names, ``at`` is ``utc_text``, ``comment`` one of
    ``J_COMMENT``'s keys, ``details`` canonical JSON text, ``ini_obj``/``ini_scope`` the
    initiative's parts (``Writer.initiative``). ``Writer`` compares it with ``ENTRY_FORMAT`` when it
    starts, and every ``check_every``-th entry's hash with ``entry_digest`` as it goes."""
    return (
        f'{{"action":"{action}",{actor.j_actor},"at":"{at}","comment":{J_COMMENT[comment]},"details":{details},'
        f'"from_state":"{source}","hash_version":3,{ini_obj}{prev}{ini_scope}{prev}","scope_seq":{n},"seq":{seq},'
        f'"to_state":"{target}","version":{version}}}'
    )


COLUMNS = {
    "initiatives_initiative": (
        "id",
        "reference",
        "title",
        "summary",
        "problem",
        "solution",
        "category",
        "benefit_value_vnd",
        "applied_since",
        "confidential",
        "state",
        "version",
        "dossier_version",
        "due_at",
        "created_at",
        "updated_at",
        "submitted_at",
        "recognised_at",
        "decided_at",
        "search_text",
        "council_id",
        "created_by_id",
        "organisation_id",
        "programme_id",
        "dup_key",
    ),
    "initiatives_initiativeauthor": (
        "id",
        "full_name",
        "share_percent",
        "position",
        "initiative_id",
        "user_id",
        "consent",
        "consent_at",
        "consent_comment",
    ),
    "initiatives_dossierversion": (
        "id",
        "number",
        "content",
        "digest",
        "submitted_at",
        "submitted_by_id",
        "initiative_id",
    ),
    "workflow_councilsession": (
        "id",
        "stage",
        "dossier_version",
        "opened_at",
        "due_at",
        "closed_at",
        "outcome",
        "minutes",
        "closed_by_id",
        "council_id",
        "initiative_id",
        "ballot",
        "decision_days",
        "quorum",
        "threshold_denominator",
        "threshold_numerator",
        "legacy_votes",
    ),
    "workflow_ballotcast": ("id", "cast_at", "voter_id", "session_id"),
    "workflow_vote": (
        "id",
        "decision",
        "score",
        "comment",
        "cast_at",
        "session_id",
        "voter_id",
        "assessed_benefit_vnd",
    ),
    "audit_auditentry": AUDIT_COLUMNS,
    "awards_certificate": (
        "id",
        "serial",
        "award",
        "period_month",
        "title",
        "recipients",
        "issued_at",
        "revoke_reason",
        "details",
        "council_id",
        "initiative_id",
        "issued_by_id",
        "organisation_id",
        "programme_id",
        "quota_id",
        "amount_vnd",
        "reason",
    ),
    "councils_organisation": ("id", "path", "depth", "numchild", "code", "name", "level", "headcount"),
    "councils_council": (
        "id",
        "code",
        "name",
        "kind",
        "quorum",
        "threshold_numerator",
        "threshold_denominator",
        "ballot",
        "decision_days",
        "organisation_id",
    ),
    "councils_user": (
        "id",
        "password",
        "is_superuser",
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_active",
        "date_joined",
        "full_name",
        "position",
        "qualification",
        "organisation_id",
    ),
    "councils_membership": ("id", "role", "council_id", "user_id"),
    "councils_councilpermission": ("id", "content_object_id", "permission_id", "user_id"),
    "councils_roleassignment": ("id", "role", "organisation_id", "user_id"),
    "councils_rolepermission": ("id", "content_object_id", "permission_id", "user_id"),
}
# written by the workers, one batch of initiatives at a time
WORKER_TABLES = (
    "initiatives_initiative",
    "initiatives_initiativeauthor",
    "initiatives_dossierversion",
    "workflow_councilsession",
    "workflow_ballotcast",
    "workflow_vote",
    "audit_auditentry",
    "awards_certificate",
)
STRUCTURE_TABLES = (
    "councils_organisation",
    "councils_council",
    "councils_user",
    "councils_membership",
    "councils_councilpermission",
    "councils_roleassignment",
    "councils_rolepermission",
)
# the tables whose secondary indexes and foreign keys a bulk load sets aside (the big ones)
BULK_TABLES = (*WORKER_TABLES, "councils_user", "councils_roleassignment", "councils_rolepermission")


class LoadRefused(Exception):
    pass


# --- output -----------------------------------------------------------------------------------------


class Sink:
    """Lines of COPY text into tables: COPY on PostgreSQL, parsed back and ``executemany`` elsewhere."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"
        self.rows = 0
        self.seconds = {}  # table -> seconds spent writing it
        self._lite_types = {}

    def write(self, table: str, lines: list) -> None:
        if not lines:
            return
        self.rows += len(lines)
        t = time.monotonic()
        columns = COLUMNS[table]
        cols = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for i in range(0, len(lines), 5000):
                        copy.write("".join(lines[i : i + 5000]))
            else:
                marks = ", ".join(["%s"] * len(columns))
                convert = self._lite_converters(table, columns)
                rows = []
                for line in lines:
                    values = [unesc(v) for v in line[:-1].split("\t")]
                    rows.append([f(v) if f and v is not None else v for f, v in zip(convert, values, strict=True)])
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", rows)
        self.seconds[table] = round(self.seconds.get(table, 0) + time.monotonic() - t, 2)

    def _lite_converters(self, table, columns):
        """SQLite stores datetimes as naive UTC text and booleans as integers (Django's adapters)."""
        if table not in self._lite_types:
            from django.apps import apps

            model = next(m for m in apps.get_models() if m._meta.db_table == table)
            kinds = {f.column: f.get_internal_type() for f in model._meta.concrete_fields}
            out = []
            for c in columns:
                kind = kinds[c]
                if kind == "DateTimeField":
                    out.append(lambda v: v[:-3] if v.endswith("+00") else v)
                elif kind == "BooleanField":
                    out.append(lambda v: 1 if v == "t" else 0)
                else:
                    out.append(None)
            self._lite_types[table] = out
        return self._lite_types[table]


def next_ids(tables) -> dict:
    """The next free id of each table: past its rows and, on PostgreSQL, past every id its sequence
    already handed out (rows of rolled-back transactions or deleted rows may come back: a restored
    backup, a test's kept rows)."""
    out = {}
    with connection.cursor() as cursor:
        for t in tables:
            if connection.vendor == "postgresql":
                cursor.execute(
                    f"SELECT GREATEST((SELECT COALESCE(MAX(id), 0) FROM {t}), "
                    f"COALESCE(pg_sequence_last_value(pg_get_serial_sequence('{t}', 'id')::regclass), 0))"
                )
            else:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}")
            out[t] = cursor.fetchone()[0] + 1
    return out


def reset_sequences(tables) -> None:
    """Move each sequence past the ids written by COPY; never back (setval is not undone by a
    rollback: a lowered sequence would hand out ids that rows written before already hold)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for t in tables:
            cursor.execute(
                f"SELECT setval(s, GREATEST(COALESCE(pg_sequence_last_value(s), 1), "
                f"(SELECT COALESCE(MAX(id), 1) FROM {t}))) "
                f"FROM (SELECT pg_get_serial_sequence('{t}', 'id')::regclass AS s) AS q"
            )


def progress(done: int, total: int, started: float, label: str = "initiatives") -> None:
    width = 30
    frac = done / total if total else 1
    spent = time.monotonic() - started
    eta = spent / frac - spent if frac else 0
    bar = "#" * int(width * frac) + "-" * (width - int(width * frac))
    sys.stderr.write(f"\r[{bar}] {done:,}/{total:,} {label} {spent:6.0f} s, ETA {eta:5.0f} s")
    if done >= total:
        sys.stderr.write("\n")
    sys.stderr.flush()


def backend_cpu_seconds(conn) -> float:
    """CPU seconds (user + system) the PostgreSQL backend of Django connection ``conn`` has used so
    far (read from /proc: the server is on this machine); 0 when unknown."""
    if conn.vendor != "postgresql" or conn.connection is None:
        return 0.0
    try:
        pid = conn.connection.info.backend_pid
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError, AttributeError):
        return 0.0


def own_cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def check_entry_text() -> None:
    """``entry_text`` is ``ENTRY_FORMAT`` filled: compared on an entry with every kind of hole."""
    p = Person(7, 'ng"uoi', "Tên \\ người")
    iid, key, path, prev = 123, "00010002", "000100020003", "ab" * 32
    ini_obj = f'"object_id":"{iid}","object_type":"initiative","prev_hash":"'
    ini_scope = f'","scope_key":"{key}","scope_path":"{path}","scope_prev":"'
    at = "2025-01-02T03:04:05.000000Z"
    details = '{"a":[1,"b"]}'
    mine = entry_text("close", p, at, REASON, details, "unit_council", ini_obj, prev, ini_scope, 3, 9, "rejected", 1)
    values = {
        "action": js("close"),
        "actor_display_name": js(p.name),
        "actor_id": "7",
        "actor_name": js(p.username),
        "at": js(at),
        "comment": js(REASON),
        "details": details,
        "from_state": js("unit_council"),
        "object_id": js(str(iid)),
        "object_type": js("initiative"),
        "prev_hash": js(prev),
        "scope_key": js(key),
        "scope_path": js(path),
        "scope_prev": js(prev),
        "scope_seq": "3",
        "seq": "9",
        "to_state": js("rejected"),
        "version": "1",
    }
    if mine != ENTRY_FORMAT.format(*(values[f] for f in ENTRY_HOLES)):
        raise AssertionError("bench.loadgen.entry_text is not audit.chain's format 3")


# --- the structure ---------------------------------------------------------------------------------


def _path(parent: str, n: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    s = ""
    for _ in range(4):
        n, r = divmod(n, 36)
        s = alphabet[r] + s
    return parent + s


class Person:
    """A user, with the text the rows need of it prepared once."""

    __slots__ = (
        "id",
        "username",
        "name",
        "j_user",
        "j_actor",
        "j_voter",
        "copy_name",
        "copy_names",
        "j_author",
        "j_recipient",
    )

    def __init__(self, id: int, username: str, name: str):
        self.id, self.username, self.name = id, username, name
        display = (name or username)[:300]
        self.j_user = js(username)
        # the actor's three hashed fields, in canonical order (entry_text)
        self.j_actor = f'"actor_display_name":{js(display)},"actor_id":{id},"actor_name":{self.j_user}'
        self.j_voter = f'"voter":{self.j_user},"voter_name":{js(name)}'  # a vote row of open minutes
        self.copy_name = esc(name)
        self.copy_names = f"{esc(username)}\t{esc(display)}"  # actor_name, actor_display_name
        self.j_author = None
        self.j_recipient = None


class Council:
    __slots__ = ("id", "code", "j_code", "kind", "org", "ballot", "secret", "quorum", "members", "people", "j_present")

    def __init__(self, id, code, kind, org, ballot):
        self.id, self.code, self.kind, self.org, self.ballot = id, code, kind, org, ballot
        self.j_code = js(code)
        self.secret = ballot == "secret"
        self.quorum = 1
        self.members = []  # [(Person, role)]
        self.people = []  # the members' Persons
        self.j_present = "[]"  # a closed session's members_present: its first three members


class Unit:
    """An organisation that holds initiatives, with the councils its dossiers go before."""

    __slots__ = (
        "id",
        "path",
        "key",
        "code",
        "name",
        "aff",
        "unit_c",
        "adv_c",
        "corp_adv_c",
        "corp_c",
        "sector_c",
        "fed_c",
        "authors",
        "j_code",
    )

    def __init__(self, org: dict, aff: int):
        self.id, self.path, self.code, self.name = org["id"], org["path"], org["code"], org["name"]
        self.key = scope_key_of(self.path)
        self.j_code = js(self.code)
        self.aff = aff
        self.authors = []


@dataclass
class Structure:
    root: dict
    affiliates: list
    units: list  # Unit
    councils: dict  # (org id, kind) -> Council
    authors: list  # Person
    officers: dict  # org id -> Person
    programme: int = 0
    quotas: dict = field(default_factory=dict)  # (award, org id) -> quota id
    personas: dict = field(default_factory=dict)  # label -> username
    prefix: str = PREFIX
    users: int = 0


def plan_sizes(n: int, affiliates: int | None) -> dict:
    """Affiliates, corporations per affiliate, units per corporation and authors for N."""
    if affiliates is None:
        affiliates = 80 if n >= 100_000 else max(2, min(80, n // 1250))
    corps = 5 if n >= 100_000 else 2
    units = 10 if n >= 100_000 else 3
    authors = max(10, min(250_000, n // 8))
    return {"affiliates": affiliates, "corporations": corps, "units": units, "authors": authors}


def build_structure(sink: Sink, ids: dict, rng: random.Random, sizes: dict, clock: Clock, start_t: int, prefix: str):
    """The tree, councils, people, roles and permissions (COPY), the programme and its quotas (ORM)."""
    from awards.models import Quota
    from councils.models import ROLE_PERMS, Organisation, Role, membership_perms
    from initiatives.models import Phase, Programme

    def take(table):
        n = ids[table]
        ids[table] = n + 1
        return n

    joined = clock.pg(start_t + 3600)
    password = esc(make_password(PASSWORD))
    orgs, councils, users, roles = [], [], [], []
    root_n = Organisation.objects.filter(depth=1).count()
    root = {
        "id": take("councils_organisation"),
        "path": _path("", root_n + 1),
        "code": f"{prefix}-TLD",
        "level": "federation",
        "name": "Tổng Liên đoàn (tải thử)",
    }
    orgs.append(root)
    children = {}

    def child(parent, code, level, name):
        k = children.get(parent["id"], 0) + 1
        children[parent["id"]] = k
        o = {
            "id": take("councils_organisation"),
            "path": _path(parent["path"], k),
            "code": code,
            "level": level,
            "name": name,
        }
        orgs.append(o)
        return o

    def person(username, name, org):
        p = Person(take("councils_user"), username, name)
        users.append((p, org))
        return p

    def council(org, kind, code, size, ballot="open"):
        c = Council(take("councils_council"), code, kind, org, ballot)
        roles_ = ["chair", "secretary"] + ["member"] * (size - 2) if kind != "advisory" else ["chair"] * size
        for k, role in enumerate(roles_[:size], 1):
            c.members.append((person(f"{code.lower()}-{k}", f"Thành viên {code} {k}", org), role))
        c.quorum = 3 if len(c.members) >= 3 else 1
        c.people = [p for p, _ in c.members]
        c.j_present = js(sorted(p.username for p in c.people[:3]))
        councils.append(c)
        return c

    unit_orgs = []  # (org, affiliate index, corporation org)
    officers = {}
    fed = council(root, "federation", f"{prefix}-TLD-HD", 5, "secret")
    affiliates = []
    for a in range(1, sizes["affiliates"] + 1):
        sector = a % 2 == 1
        aff = child(
            root,
            f"{prefix}-A{a:02d}",
            "sector",
            f"Công đoàn ngành {a:02d} (tải thử)" if sector else f"Liên đoàn Lao động tỉnh {a:02d} (tải thử)",
        )
        affiliates.append(aff)
        council(aff, "sector", f"{aff['code']}-HD", 5)
        officers[aff["id"]] = person(f"{aff['code'].lower()}-canbo", f"Cán bộ {aff['code']}", aff)
        roles.append((officers[aff["id"]], aff, Role.OFFICER))
        auditor = person(f"{aff['code'].lower()}-kiemtra", f"Kiểm tra {aff['code']}", aff)
        roles.append((auditor, aff, Role.AUDITOR))
        for c in range(1, sizes["corporations"] + 1):
            corp = child(aff, f"{aff['code']}-C{c}", "corporation", f"Tổng công ty {a:02d}.{c}")
            council(corp, "corporation", f"{corp['code']}-HD", 5, "secret" if c % 4 == 0 else "open")
            council(corp, "advisory", f"{corp['code']}-TV", 2)
            officers[corp["id"]] = person(f"{corp['code'].lower()}-canbo", f"Cán bộ {corp['code']}", corp)
            roles.append((officers[corp["id"]], corp, Role.OFFICER))
            for u in range(1, sizes["units"] + 1):
                unit = child(corp, f"{corp['code']}-U{u}", "unit", f"Công đoàn cơ sở {a:02d}.{c}.{u}")
                council(unit, "unit", f"{unit['code']}-HD", 5)
                unit_orgs.append((unit, a - 1, corp))
                if u % 10 == 1:  # a tenth of the units: an advisory team of their own and two sub-units
                    council(unit, "advisory", f"{unit['code']}-TV", 1)
                    for s in (1, 2):
                        sub = child(unit, f"{unit['code']}-B{s}", "unit", f"Công đoàn bộ phận {a}.{c}.{u}.{s}")
                        council(sub, "unit", f"{sub['code']}-HD", 5)
                        unit_orgs.append((sub, a - 1, corp))
    by_kind = {(c.org["id"], c.kind): c for c in councils}
    by_path = {o["path"]: o for o in orgs}
    units = []
    for org, a, corp in unit_orgs:
        u = Unit(org, a)
        u.unit_c = by_kind[(org["id"], "unit")]
        # the advisory team that serves it, as councils.selectors.advisory_team_for finds it: its
        # own, else its nearest ancestor's (a sub-unit's parent unit, else the corporation's)
        parent = by_path[org["path"][:16]] if len(org["path"]) > 16 else org
        u.adv_c = (
            by_kind.get((org["id"], "advisory"))
            or by_kind.get((parent["id"], "advisory"))
            or by_kind[(corp["id"], "advisory")]
        )
        u.corp_c = by_kind[(corp["id"], "corporation")]
        u.sector_c = by_kind[(affiliates[a]["id"], "sector")]
        u.fed_c = fed
        u.corp_adv_c = by_kind[(corp["id"], "advisory")]
        units.append(u)
    numchild = {o["id"]: 0 for o in orgs}
    for o in orgs:
        if len(o["path"]) > 4:
            numchild[by_path[o["path"][:-4]]["id"]] += 1
    sink.write(
        "councils_organisation",
        [
            f"{o['id']}\t{o['path']}\t{len(o['path']) // 4}\t{numchild[o['id']]}\t{esc(o['code'])}\t{esc(o['name'])}"
            f"\t{o['level']}\t1000\n"
            for o in orgs
        ],
    )
    sink.write(
        "councils_council",
        [
            f"{c.id}\t{esc(c.code)}\t{esc('Hội đồng ' + c.code)}\t{c.kind}\t{c.quorum}\t1\t2\t{c.ballot}\t60\t{c.org['id']}\n"
            for c in councils
        ],
    )
    # authors: workers of the units, spread evenly (each unit's initiatives are written by its own)
    authors = []
    for k in range(1, sizes["authors"] + 1):
        unit = units[(k - 1) % len(units)]
        p = person(f"{prefix.lower()}-tacgia-{k:06d}", f"Tác giả {k:06d}", {"id": unit.id})
        unit.authors.append(p)
        authors.append(p)
    for p in authors:
        p.j_author = obj([("username", p.j_user), ("full_name", js(p.name)), ("share_percent", '"100"')])
        p.j_recipient = obj([("full_name", js(p.name)), ("username", p.j_user)])
    sink.write(
        "councils_user",
        [
            f"{p.id}\t{password}\tf\t{esc(p.username)}\t\t\t{esc(p.username)}@example.org\tf\tt\t{joined}"
            f"\t{esc(p.name)}\t\t\t{org['id']}\n"
            for p, org in users
        ],
    )
    perm = {p.codename: p.pk for p in Permission.objects.filter(content_type__app_label="councils")}
    lines = []
    for c in councils:
        for p, role in c.members:
            lines.append(f"{take('councils_membership')}\t{role}\t{c.id}\t{p.id}\n")
    sink.write("councils_membership", lines)
    lines = []
    for c in councils:
        for p, role in c.members:
            for codename in membership_perms(c.kind, role):
                lines.append(f"{take('councils_councilpermission')}\t{c.id}\t{perm[codename]}\t{p.id}\n")
    sink.write("councils_councilpermission", lines)
    unit_of_author = {p.id: u.id for u in units for p in u.authors}
    every_role = roles + [(p, {"id": unit_of_author[p.id]}, Role.AUTHOR) for p in authors]
    sink.write(
        "councils_roleassignment",
        [f"{take('councils_roleassignment')}\t{role}\t{org['id']}\t{p.id}\n" for p, org, role in every_role],
    )
    sink.write(
        "councils_rolepermission",
        [
            f"{take('councils_rolepermission')}\t{org['id']}\t{perm[codename]}\t{p.id}\n"
            for p, org, role in every_role
            for codename in ROLE_PERMS[role]
        ],
    )
    start = datetime.datetime.fromtimestamp(start_t, clock.tz).date().replace(day=1)
    end = datetime.date(start.year + 3, start.month, 1) - datetime.timedelta(days=1)
    programme = Programme.objects.create(
        code=f"{prefix}-{start:%Y%m}", name="Chương trình tải thử", starts=start, ends=end
    )
    Phase.objects.create(programme=programme, code="P1", starts=start, ends=end, target=1_000_000)
    s = Structure(
        root=root,
        affiliates=affiliates,
        units=units,
        councils=by_kind,
        authors=authors,
        officers=officers,
        programme=programme.pk,
        prefix=prefix,
        users=len(users),
    )
    for aff in affiliates:
        q = Quota.objects.create(
            programme=programme, award="sector_certificate", cap=SECTOR_CAP, organisation_id=aff["id"], kind="cap"
        )
        s.quotas[("sector_certificate", aff["id"])] = q.pk
    q = Quota.objects.create(
        programme=programme, award="federation_certificate", cap=FEDERATION_CAP, organisation_id=root["id"], kind="cap"
    )
    s.quotas[("federation_certificate", root["id"])] = q.pk
    first = units[0]
    s.personas = {
        "author": authors[0].username,
        "adviser": first.corp_adv_c.members[0][0].username,  # the corporation's team: the biggest queue
        "unit_chair": first.unit_c.members[0][0].username,
        "unit_member": first.unit_c.members[2][0].username,
        "corporation_chair": first.corp_c.members[0][0].username,
        "sector_chair": first.sector_c.members[0][0].username,
        "federation_chair": fed.members[0][0].username,
        "officer": officers[affiliates[0]["id"]].username,
        "auditor": f"{affiliates[0]['code'].lower()}-kiemtra",
    }
    return s


# --- the plan: every initiative's id, time, unit and state, drawn in one process --------------------


@dataclass
class Plan:
    first: int  # the first initiative's id
    created: list  # k -> creation time (epoch seconds), increasing
    unit: list  # k -> index into Structure.units
    state: list  # k -> state
    serial: dict  # k -> certificate number (certified ones)
    by_affiliate: list  # affiliate index -> [k, ...] in creation order
    counts: dict  # state -> number


def make_plan(n: int, s: Structure, rng: random.Random, first_id: int, start_t: int, days: int) -> Plan:
    names = [name for name, _ in STATE_MIX]
    cum, total = [], 0
    for _, share in STATE_MIX:
        total += share
        cum.append(total)
    rnd = rng.random
    span = days * DAY
    created = sorted(rnd() for _ in range(n))
    created = [start_t + int(c * span) for c in created]
    unit = rng.choices(range(len(s.units)), k=n)
    state = rng.choices(names, cum_weights=cum, k=n)
    for k in range(min(n, len(FORCED))):  # the personas' unit holds a dossier at every stage
        unit[k], state[k] = 0, FORCED[k]
    certs, serial = {}, {}
    for k in range(n):
        st = state[k]
        if st == "sector_certified":
            aff = s.units[unit[k]].aff
            if certs.get(aff, 0) >= SECTOR_CAP:
                state[k] = "sector_review"
                continue
            certs[aff] = certs.get(aff, 0) + 1
        elif st == "federation_certified":
            if certs.get("federation", 0) >= FEDERATION_CAP:
                state[k] = "federation_review"
                continue
            certs["federation"] = certs.get("federation", 0) + 1
        else:
            continue
        serial[k] = len(serial) + 1
    by_affiliate = [[] for _ in s.affiliates]
    for k in range(n):
        by_affiliate[s.units[unit[k]].aff].append(k)
    counts = {}
    for st in state:
        counts[st] = counts.get(st, 0) + 1
    return Plan(first_id, created, unit, state, serial, by_affiliate, counts)


# --- the initiatives -------------------------------------------------------------------------------


class Writer:
    """The rows of the initiatives of some affiliates, as COPY text, a batch at a time.

    ``w`` of ``workers``: the ids of every table but the initiatives' (the plan's) and the trail's
    entry numbers are ``base + w + workers·j``, so workers never collide and each chain's numbers
    increase."""

    def __init__(self, s: Structure, plan: Plan, clock: Clock, bases: dict, seq_base: int, w: int, workers: int):
        self.s, self.plan, self.clock = s, plan, clock
        self.step = workers
        self.next = {t: b + w for t, b in bases.items()}
        self.seq = seq_base + 1 + w
        self.dup_keys = {}
        self.heads = {}  # scope key -> [n, hash, seq]
        self.lines = {t: [] for t in WORKER_TABLES}
        self.audit_lines = self.lines["audit_auditentry"]
        self.entries = 0
        self.rng = random.Random(0)
        self.check_every = 0  # re-hash every n-th entry the slow way (audit.chain.entry_digest)
        self.python_seconds = 0.0
        check_entry_text()

    def take(self, table: str) -> int:
        n = self.next[table]
        self.next[table] = n + self.step
        return n

    def uuid(self) -> str:
        """A random version-4 UUID (hex) from the seeded generator (os.urandom per vote is slow)."""
        n = self.rng.getrandbits(128)
        n = (n & ~(0xF000 << 64) | (0x4000 << 64)) & ~(0xC000 << 48) | (0x8000 << 48)
        return f"{n:032x}"

    def dup_key(self, word, unit, summary, iid):
        """``initiatives.duplicates.dup_key(title, summary)``: the words of the title and summary
        but the number read once per (word, unit) (the number is a word of its own)."""
        base = self.dup_keys.get((word, unit.id))
        if base is None:
            words = set(dup_key(f"Sáng kiến cải tiến {word} số", summary).split())
            base = self.dup_keys[(word, unit.id)] = (words, sorted(words))
        number = str(iid)
        if number in base[0]:
            return " ".join(base[1])
        words = base[1][:]
        bisect.insort(words, number)
        return " ".join(words)

    # -- the trail --

    def entry(self, t, actor: Person, action, ini, source, target, version, comment, details):
        """One entry appended to the initiative's affiliate chain: its hashed text (``audit.chain``'s
        canonical JSON, see ``entry_text``), its hash and its COPY line. ``details`` is JSON text."""
        key, path, iid, ini_obj, ini_scope = ini
        head = self.heads.get(key)
        if head is None:
            head = self.heads[key] = [0, "", 0]
        n = head[0] + 1
        prev = head[1]
        seq = self.seq
        self.seq = seq + self.step
        h, r = divmod(t, 3600)
        hour = self.clock.hours.get(h) or self.clock.hour(h)
        ms = self.clock.minsec[r]
        text = entry_text(
            action,
            actor,
            f"{hour[1]}{ms}.000000Z",
            comment,
            details,
            source,
            ini_obj,
            prev,
            ini_scope,
            n,
            seq,
            target,
            version,
        )
        digest = sha256(b"%s%s" % (ENTRY_PREFIX_V3, text.encode())).hexdigest()
        head[0], head[1], head[2] = n, digest, seq
        self.audit_lines.append(
            f"{self.take('audit_auditentry')}\t3\t{seq}\t{hour[0]}{ms}+00\t{actor.id}\t{actor.copy_names}"
            f"\t{action}\tinitiative\t{iid}\t{path}\t{key}\t{n}\t{prev}\t{source}\t{target}\t{version}"
            f"\t{comment}\t{esc(details)}\t{prev}\t{digest}\n"
        )
        self.entries += 1
        if self.check_every and self.entries % self.check_every == 0:
            self._check(t, actor, action, ini, source, target, version, comment, details, n, prev, seq, digest)

    def _check(self, t, actor, action, ini, source, target, version, comment, details, n, prev, seq, h):
        values = {
            "hash_version": HASH_V3,
            "seq": seq,
            "at": datetime.datetime.fromtimestamp(t, UTC),
            "actor_id": actor.id,
            "actor_name": actor.username,
            "actor_display_name": (actor.name or actor.username)[:300],
            "action": action,
            "object_type": "initiative",
            "object_id": str(ini[2]),
            "scope_path": ini[1],
            "scope_key": ini[0],
            "scope_seq": n,
            "scope_prev": prev,
            "from_state": source,
            "to_state": target,
            "version": version,
            "comment": comment,
            "details": json.loads(details),
            "prev_hash": prev,
        }
        if entry_digest(values) != h:
            raise AssertionError(f"the bulk writer's hash of entry {seq} is not audit.chain's")

    # -- sessions --

    def session(self, ini, council: Council, stage, opened, closed=None, outcome="", closer=None, cast=3):
        """A council session; a closed one as the close leaves it. Returns (id, its minutes as the
        three parts of canonical JSON text around the close's extra details, see ``close_details``)."""
        sid = self.take("workflow_councilsession")
        rnd, clock = self.rng.random, self.clock
        pg = clock.pg
        iid = ini[2]
        members = council.people
        voters = members[:cast] if cast < len(members) else members
        secret = council.secret
        votes = []
        cast_lines = self.lines["workflow_ballotcast"]
        vote_lines = self.lines["workflow_vote"]
        decide = max(council.quorum, len(voters) - 1)
        for k, p in enumerate(voters):
            at = opened + DAY * (1 + k) + 3600 * int(rnd() * 8)
            if closed:
                decision = outcome if k < decide else "approve"
            else:
                decision = "return" if rnd() < 1 / 3 else "approve"
            comment = "" if decision == "approve" else REASON
            score = 50 + int(rnd() * 50)
            cast_lines.append(f"{self.take('workflow_ballotcast')}\t{pg(at)}\t{p.id}\t{sid}\n")
            votes.append((p, decision, score, comment, at))
            if not closed:  # the open session's ballots are in the trail as they were cast
                if secret:
                    details = f'{{"ballot":"secret","council":{council.j_code},"session":{sid}}}'
                    self.entry(at, p, "vote", ini, stage, stage, 1, "", details)
                else:
                    details = (
                        f'{{"ballot":"{council.ballot}","council":{council.j_code},"decision":"{decision}",'
                        f'"score":{score},"session":{sid}}}'
                    )
                    # an open ballot is a vote row with its voter (vote_cast); a secret one would be
                    # a sealed ballot until the close (not generated: see BENCHMARKS.md §1)
                    vote_lines.append(
                        f"{self.uuid()}\t{decision}\t{score}\t{comment}\t{pg(at)}\t{sid}\t{p.id}\t{NULL}\n"
                    )
                    self.entry(at, p, "vote", ini, stage, stage, 1, comment, details)
        parts = None
        if closed:
            if secret:
                # as the close leaves a secret ballot: the decisions without voter or time, shuffled
                shuffled = votes[:]
                self.rng.shuffle(shuffled)
                for _p, decision, score, comment, _at in shuffled:
                    vote_lines.append(f"{self.uuid()}\t{decision}\t{score}\t{comment}\t{NULL}\t{sid}\t{NULL}\t{NULL}\n")
                vote_rows = ",".join(
                    f'{{"comment":{J_COMMENT[c]},"decision":"{d}","score":{sc}}}'
                    for d, sc, c in sorted((d, sc, c) for _p, d, sc, c, _at in votes)
                )
            else:
                for p, decision, score, comment, at in votes:
                    vote_lines.append(
                        f"{self.uuid()}\t{decision}\t{score}\t{comment}\t{pg(at)}\t{sid}\t{p.id}\t{NULL}\n"
                    )
                vote_rows = ",".join(
                    f'{{"comment":{J_COMMENT[c]},"decision":"{d}","score":{sc},{p.j_voter}}}'
                    for p, d, sc, c, _at in votes
                )
            tally = {}
            for v in votes:
                tally[v[1]] = tally.get(v[1], 0) + 1
            average = round(sum(v[2] for v in votes) / len(votes), 1)
            carried = f'["{outcome}"]' if tally.get(outcome, 0) * 2 >= len(members) else "[]"
            reasons = J_COMMENT[REASON] if outcome in ("return", "reject") else '""'
            present = council.j_present if len(voters) == 3 else js(sorted(v[0].username for v in votes))
            nm = len(members)
            tally_text = ",".join(f'"{d}":{c}' for d, c in sorted(tally.items()))
            # canonical JSON (keys sorted), in three parts around the close's extra keys
            parts = (
                f'{{"average_score":{average!r},"ballot":"{council.ballot}","carried":{carried},',
                f'"closed_at":"{clock.local_iso(closed)}","closed_by":{closer.j_user},"comment":{reasons},'
                f'"council":{council.j_code},"dossier_version":1,"eligible":{nm},"members":{nm},'
                f'"members_present":{present},',
                f'"outcome":"{outcome}","quorum":{council.quorum},"recused":[],"stage":"{stage}","substitutes":[],'
                f'"tally":{{{tally_text}}},"threshold":"1/2",'
                f'"votes":[{vote_rows}],"votes_cast":{len(votes)}}}',
            )
        self.lines["workflow_councilsession"].append(
            f"{sid}\t{stage}\t1\t{pg(opened)}\t{pg(opened + 60 * DAY)}"
            f"\t{pg(closed) if closed else NULL}\t{outcome}\t{esc(''.join(parts)) if parts else '{}'}"
            f"\t{closer.id if closer else NULL}\t{council.id}\t{iid}\t{council.ballot}\t60\t{council.quorum}\t2\t1\t0\n"
        )
        return sid, parts

    # -- one initiative --

    def initiative(self, k: int) -> None:
        rng, s, plan, clock = self.rng, self.s, self.plan, self.clock
        rnd = rng.random
        pg, local_date = clock.pg, clock.local_date
        iid = plan.first + k
        unit = s.units[plan.unit[k]]
        state = plan.state[k]
        created = plan.created[k]
        forced = k < len(FORCED)
        word = WORDS[int(rnd() * len(WORDS))]
        title = f"Sáng kiến cải tiến {word} số {iid}"
        summary = f"Cải tiến {word} tại {unit.name}"
        n_auth = 1 + (rnd() < 0.4) + (rnd() < 0.15)
        pool = unit.authors if len(unit.authors) >= n_auth else s.authors
        authors = rng.sample(pool, n_auth)
        if forced and s.authors[0] not in authors:
            authors[0] = s.authors[0]
        creator = authors[0]
        ini = (
            unit.key,
            unit.path,
            iid,
            f'"object_id":"{iid}","object_type":"initiative","prev_hash":"',
            f'","scope_key":"{unit.key}","scope_path":"{unit.path}","scope_prev":"',
        )
        at = created
        submitted = recognised = decided = council_id = due = None
        benefit = (5 + int(rnd() * 495)) * 1_000_000
        reference = NULL
        version = 0
        self.entry(at, creator, "create", ini, "", "draft", 0, "", "{}")
        if state != "draft":
            at += DAY * (1 + int(rnd() * 9))
            submitted = at
            version = 1
            reference = f"{s.prefix}-{clock.local_year(created)}-{iid:08d}"
            team = unit.adv_c
            digest = sha256(f"{iid}:{title}".encode()).hexdigest()
            content = (  # stored, not hashed: any key order
                f'{{"reference":"{reference}","title":{js(title)},"summary":{js(summary)},'
                f'"problem":"Hiện trạng trước khi áp dụng","solution":"Nội dung giải pháp","category":"technical",'
                f'"organisation":{unit.j_code},"benefit_value_vnd":{benefit},'
                f'"applied_since":"{local_date(created)}","confidential":false,'
                f'"authors":[{",".join(a.j_author for a in authors)}],"attachments":[]}}'
            )
            self.lines["initiatives_dossierversion"].append(
                f"{self.take('initiatives_dossierversion')}\t1\t{esc(content)}\t{digest}\t{pg(at)}\t{creator.id}\t{iid}\n"
            )
            details = f'{{"advisory_team":{team.j_code},"dossier_digest":"{digest}","possible_duplicates":[]}}'
            self.entry(at, creator, "submit", ini, "draft", "advisory_review", 1, "", details)
            council_id = team.id
        if state == "withdrawn":
            at += DAY * (1 + int(rnd() * 9))
            decided = at
            council_id = None
            self.entry(at, creator, "withdraw", ini, "advisory_review", "withdrawn", 1, "", "{}")
        # the stages it goes through: up to its current one, or up to where it was decided
        if state in LADDER:
            climb = LADDER[: LADDER.index(state) + 1]
        elif state == "rejected":
            r = int(rnd() * 1000)
            stop = REJECTED_AT[-1][0]
            for value, share in REJECTED_AT:
                if r < share:
                    stop = value
                    break
                r -= share
            climb = LADDER[: LADDER.index(stop) + 1]
        elif state == "sector_certified":
            climb = LADDER[:3]
        elif state == "federation_certified":
            climb = LADDER[:4]
        else:
            climb = ()
        source = "advisory_review"
        councils = (unit.unit_c, unit.corp_c, unit.sector_c, unit.fed_c)
        for n, stage in enumerate(climb):
            council = councils[n]
            at += DAY * (2 + int(rnd() * 18))
            opened = at
            if n == 0:
                details = (
                    f'{{"council":{council.j_code},"due_at":"{clock.local_iso(at + 60 * DAY)}",'
                    f'"opened_session":{self.next["workflow_councilsession"]}}}'
                )
                self.entry(at, unit.adv_c.people[0], "forward", ini, source, stage, 1, "", details)
            last = n == len(climb) - 1
            if last and state == stage:  # before this council now: an open session, some ballots cast
                self.session(ini, council, stage, opened, cast=int(rnd() * 3))
                council_id, due = council.id, opened + 60 * DAY
                break
            at += DAY * (3 + int(rnd() * 27))
            if last:
                outcome = "reject" if state == "rejected" else "certify"
                target = state
            else:
                outcome, target = "approve", climb[n + 1]
            closer = council.people[1]
            _sid, (p1, p2, p3) = self.session(ini, council, stage, opened, at, outcome, closer)
            if outcome == "approve":
                details = f'{p1}{p2}"opened_session":{self.next["workflow_councilsession"]},{p3}'
                recognised = recognised or at
            elif outcome == "certify":
                recognised = recognised or at
                decided = at
                serial = self._certificate(k, iid, title, unit, state, council, closer, authors, at)
                details = f'{p1}"certificate":"{serial}",{p2}{p3}'
            else:
                decided = at
                details = f"{p1}{p2}{p3}"
            self.entry(at, closer, "close", ini, stage, target, 1, REASON if outcome == "reject" else "", details)
            source = target
            council_id = None
        self.lines["initiatives_initiative"].append(
            f"{iid}\t{reference}\t{title}\t{summary}"
            f"\t{'Hiện trạng trước khi áp dụng' if submitted else ''}\t{'Nội dung giải pháp' if submitted else ''}"
            f"\t{'technical' if submitted else CATEGORIES[int(rnd() * 4)]}\t{benefit}"
            f"\t{local_date(created) if submitted else NULL}\tf\t{state}\t{1 + len(climb)}\t{version}"
            f"\t{pg(due) if due else NULL}\t{pg(created)}\t{pg(at)}\t{pg(submitted) if submitted else NULL}"
            f"\t{pg(recognised) if recognised else NULL}\t{pg(decided) if decided else NULL}"
            f"\t{title.lower()} {summary.lower()}\t{council_id if council_id else NULL}\t{creator.id}\t{unit.id}"
            f"\t{s.programme if submitted else NULL}\t{self.dup_key(word, unit, summary, iid)}\n"
        )
        share = round(100 / n_auth, 2)
        consent, consent_at = ("not_required", NULL) if n_auth == 1 else ("confirmed", pg(created))
        lines = self.lines["initiatives_initiativeauthor"]
        for pos, a in enumerate(authors):
            lines.append(
                f"{self.take('initiatives_initiativeauthor')}\t{a.copy_name}\t{share}\t{pos}\t{iid}\t{a.id}"
                f"\t{consent}\t{consent_at}\t\n"
            )

    def _certificate(self, k, iid, title, unit, state, council, closer, authors, at):
        s, clock = self.s, self.clock
        federation = state == "federation_certified"
        award = (
            ("federation_certificate", s.root["id"])
            if federation
            else ("sector_certificate", s.affiliates[unit.aff]["id"])
        )
        serial = f"{s.prefix}-{'BLD' if federation else 'CN'}-{clock.local_year(at)}-{self.plan.serial[k]:06d}"
        recipients = "[" + ",".join(a.j_recipient for a in authors) + "]"
        self.lines["awards_certificate"].append(
            f"{self.take('awards_certificate')}\t{serial}\t{award[0]}\t{clock.local_date(at)[:8]}01\t{title}"
            f"\t{esc(recipients)}\t{clock.pg(at)}\t\t{{}}\t{council.id}\t{iid}\t{closer.id}\t{unit.id}"
            f"\t{s.programme}\t{s.quotas[award]}\t{5_000_000 if federation else 3_000_000}\t\n"
        )
        return serial

    def flush(self, sink: Sink) -> None:
        for table in WORKER_TABLES:
            sink.write(table, self.lines[table])
            self.lines[table].clear()

    def run(self, affiliates: list, sink: Sink, seed: int, batch: int, on_batch=None) -> None:
        """Write the initiatives of ``affiliates`` (indexes), a transaction per ``batch``."""
        pending = 0
        for a in affiliates:
            self.rng = random.Random(f"{seed}/{self.s.prefix}/{a}")  # another tree (--append): other votes
            for k in self.plan.by_affiliate[a]:
                t = time.monotonic()
                self.initiative(k)
                self.python_seconds += time.monotonic() - t
                pending += 1
                if pending >= batch:
                    with transaction.atomic():
                        self.flush(sink)
                    if on_batch:
                        on_batch(pending)
                    pending = 0
        with transaction.atomic():
            self.flush(sink)
        if on_batch and pending:
            on_batch(pending)


# --- the run ---------------------------------------------------------------------------------------


def _worker_main(ctx, w, workers, affiliates, out, done_counter):
    """A forked worker: its own connection, its affiliates, its figures back to the parent."""
    code = 0
    try:
        connections["default"].close()  # never the parent's socket
        sink = Sink()
        with connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit = off")
        writer = Writer(ctx["s"], ctx["plan"], ctx["clock"], ctx["bases"], ctx["seq_base"], w, workers)
        writer.check_every = ctx["check_every"]

        def on_batch(k):
            with done_counter.get_lock():
                done_counter.value += k

        writer.run(affiliates, sink, ctx["seed"], ctx["batch"], on_batch)
        out.send(
            {
                "heads": writer.heads,
                "rows": sink.rows,
                "entries": writer.entries,
                "write_seconds": sink.seconds,
                "python_seconds": writer.python_seconds,
                "cpu_seconds": own_cpu_seconds(),
                "db_cpu_seconds": backend_cpu_seconds(connection),
            }
        )
    except BaseException:
        out.send({"error": traceback.format_exc()})
        code = 1
    finally:
        try:
            connections["default"].close()
        finally:
            os._exit(code)


def _split(affiliates: int, workers: int) -> list:
    """Affiliates dealt round-robin to the workers."""
    return [list(range(w, affiliates, workers)) for w in range(workers)]


def generate(
    n: int,
    *,
    append: bool = False,
    seed: int = 2026,
    batch: int = 20_000,
    affiliates: int | None = None,
    quiet: bool = False,
    workers: int | None = None,
    bulk: bool | None = None,
    check_every: int = 997,
) -> dict:
    """Write the programme; returns what was written and where the time went. Refuses a database
    that already holds initiatives unless ``append`` (which adds another federation-wide tree).

    ``workers``: processes building rows (default: 2 on PostgreSQL from 50,000 initiatives outside
    a transaction, else 1 in this process). ``bulk``: set the big tables' secondary indexes and
    foreign keys aside during the load (default: PostgreSQL, not ``append``, from 50,000
    initiatives, outside a transaction). ``check_every``: every n-th trail entry is hashed again
    through ``audit.chain.entry_digest`` and compared (0: never)."""
    from councils.models import Organisation
    from initiatives.models import Initiative

    from . import bulkschema

    pg = connection.vendor == "postgresql"
    outside = not connection.in_atomic_block
    if pg and outside:
        bulkschema.restore_pending()  # a load interrupted before it put its indexes back
    if not append and Initiative.objects.exists():
        raise LoadRefused("the database already holds initiatives")
    if workers is None:
        workers = 2 if pg and outside and n >= 50_000 else 1
    if workers > 1 and not (pg and outside):
        raise LoadRefused("workers")  # parallel workers need PostgreSQL and no enclosing transaction
    if bulk is None:
        bulk = pg and outside and not append and n >= 50_000
    cpu0, t0 = own_cpu_seconds(), time.monotonic()
    main_db = _MainBackend()
    rng = random.Random(seed if not append else seed + Initiative.objects.count())
    sink = Sink()
    ids = next_ids([tb for tb in STRUCTURE_TABLES + WORKER_TABLES if tb != "workflow_vote"])  # a vote's id is a UUID
    tz = timezone.get_default_timezone()
    today = timezone.localdate()
    start = datetime.date(today.year - 2, today.month, 1)  # a three-year programme, two years run
    start_t = int(datetime.datetime.combine(start, datetime.time(7), tz).timestamp())
    days = (today - start).days - 45
    clock = Clock(tz, start_t, start_t + (days + 400) * DAY)
    sizes = plan_sizes(n, affiliates)
    prefix, k = PREFIX, 1
    while Organisation.objects.filter(code=f"{prefix}-TLD").exists():  # --append: another tree
        k += 1
        prefix = f"{PREFIX}{k}"
    phases = {}
    set_aside, restored, results = [], {}, []
    if bulk:
        t = time.monotonic()
        set_aside = bulkschema.capture(BULK_TABLES)
        bulkschema.drop(set_aside)
        phases["set_aside"] = round(time.monotonic() - t, 1)
    try:
        t = time.monotonic()
        with transaction.atomic():
            if pg:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL synchronous_commit = off")
            s = build_structure(sink, ids, rng, sizes, clock, start_t, prefix)
        phases["structure"] = round(time.monotonic() - t, 1)
        t = time.monotonic()
        seq_base = _seq_base()
        plan = make_plan(n, s, rng, ids["initiatives_initiative"], start_t, days)
        phases["plan"] = round(time.monotonic() - t, 1)
        bases = {tb: ids[tb] for tb in WORKER_TABLES if tb != "workflow_vote"}
        t = time.monotonic()
        if workers == 1:
            writer = Writer(s, plan, clock, bases, seq_base, 0, 1)
            writer.check_every = check_every
            done = [0]

            def on_batch(k):
                done[0] += k
                if not quiet:
                    progress(done[0], n, t0)

            if pg and outside:
                with connection.cursor() as cursor:
                    cursor.execute("SET synchronous_commit = off")
            writer.run(list(range(len(s.affiliates))), sink, seed, batch, on_batch)
            results.append(
                {
                    "heads": writer.heads,
                    "rows": 0,  # counted in this process's sink
                    "entries": writer.entries,
                    "write_seconds": {},
                    "python_seconds": writer.python_seconds,
                    "cpu_seconds": 0.0,  # counted as this process's
                    "db_cpu_seconds": 0.0,
                }
            )
        else:
            main_db.pause()
            results = _run_workers(
                {
                    "s": s,
                    "plan": plan,
                    "clock": clock,
                    "bases": bases,
                    "seq_base": seq_base,
                    "seed": seed,
                    "batch": batch,
                    "check_every": check_every,
                },
                _split(len(s.affiliates), workers),
                n,
                t0,
                quiet,
            )
            main_db.resume()
        phases["rows"] = round(time.monotonic() - t, 1)
    finally:
        if bulk:
            t = time.monotonic()
            restored = bulkschema.restore(set_aside, parallel=2)
            phases["indexes_and_keys"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    heads = {}
    for r in results:
        heads.update(r["heads"])
    with transaction.atomic():
        from audit.actions import chain_heads_set, entry_seq_sync

        chain_heads_set({key: tuple(v) for key, v in heads.items()})
        entry_seq_sync()
        reset_sequences([tb for tb in STRUCTURE_TABLES + WORKER_TABLES if tb != "workflow_vote"])
    phases["heads_and_sequences"] = round(time.monotonic() - t, 1)
    if pg:  # the planner's statistics of the tables just filled, before the rebuilds read them
        t = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {', '.join(BULK_TABLES)}")
        phases["analyze"] = round(time.monotonic() - t, 1)
    from initiatives.counters import progress_counters_rebuild
    from initiatives.opentasks import tasks_rebuild

    t = time.monotonic()
    progress_counters_rebuild()
    phases["counters"] = round(time.monotonic() - t, 1)
    t = time.monotonic()
    tasks_rebuild()  # the inbox's open-task table, from the dossiers written in bulk
    phases["open_tasks"] = round(time.monotonic() - t, 1)
    if pg:
        t = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # the rest (counters, open tasks, structure)
        phases["analyze"] += round(time.monotonic() - t, 1)
    seconds = time.monotonic() - t0
    entries = sum(r["entries"] for r in results)
    rows = sink.rows + sum(r["rows"] for r in results)
    write_seconds = dict(sink.seconds)
    for r in results:
        for table, sec in r["write_seconds"].items():
            write_seconds[table] = round(write_seconds.get(table, 0) + sec, 1)
    own = own_cpu_seconds() - cpu0 + sum(r["cpu_seconds"] for r in results)
    db = main_db.total() + sum(r["db_cpu_seconds"] for r in results) + restored.get("db_cpu_seconds", 0)
    return {
        "initiatives": n,
        "units": len(s.units),
        "affiliates": len(s.affiliates),
        "councils": len(s.councils),
        "users": s.users,
        "rows": rows,
        "audit_entries": seq_base + entries,  # the highest entry number (the chain's length on a fresh database)
        "entries_written": entries,
        "states": plan.counts,
        "certificates": len(plan.serial),
        "seconds": round(seconds, 1),
        "rate_per_second": round(n / seconds, 1),
        "workers": workers,
        "bulk": bool(bulk),
        "phases_seconds": phases,
        "rows_python_seconds": round(sum(r["python_seconds"] for r in results), 1),
        "write_seconds": write_seconds,
        "indexes_restored": restored,
        "cpu_seconds": {"generator": round(own, 1), "postgresql": round(db, 1)},
        "load_average": list(os.getloadavg()),
        "personas": s.personas,
        "password": PASSWORD,
    }


class _MainBackend:
    """CPU seconds of this process's own PostgreSQL backend(s) (the connection is closed while
    workers are forked, and a new backend serves the rest)."""

    def __init__(self):
        self.spent = 0.0
        self.start = backend_cpu_seconds(connection)

    def pause(self):
        self.spent += backend_cpu_seconds(connection) - self.start

    def resume(self):
        connection.ensure_connection()
        self.start = backend_cpu_seconds(connection)

    def total(self) -> float:
        return self.spent + backend_cpu_seconds(connection) - self.start


def _seq_base() -> int:
    """The last entry number in use (the old global chain's end included)."""
    from django.db.models import Max

    from audit.models import AuditEntry, AuditHead

    return max(
        AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0,
        AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0,
    )


def _run_workers(ctx, shares, n, t0, quiet) -> list:
    import multiprocessing

    mp = multiprocessing.get_context("fork")
    done = mp.Value("q", 0)
    connections.close_all()  # the children must not share the parent's sockets
    procs, pipes = [], []
    for w, share in enumerate(shares):
        parent_end, child_end = mp.Pipe(duplex=False)
        p = mp.Process(target=_worker_main, args=(ctx, w, len(shares), share, child_end, done), daemon=True)
        p.start()
        child_end.close()
        procs.append(p)
        pipes.append(parent_end)
    results = [None] * len(procs)
    try:
        while any(r is None for r in results):
            for i, pipe in enumerate(pipes):
                if results[i] is None and pipe.poll(0.2):
                    results[i] = pipe.recv()
                    if "error" in results[i]:
                        raise RuntimeError(f"worker {i} failed:\n{results[i]['error']}")
                elif results[i] is None and not procs[i].is_alive() and not pipe.poll(0):
                    raise RuntimeError(f"worker {i} died (exit code {procs[i].exitcode})")
            if not quiet:
                progress(min(done.value, n), n, t0)
    finally:
        for p in procs:
            if p.is_alive() and any(r is None or "error" in r for r in results):
                p.terminate()
            p.join()
    if not quiet and done.value < n:
        progress(n, n, t0)
    return results

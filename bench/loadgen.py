"""A national programme of N initiatives written in bulk (``manage.py generate_load``).

The shape: the federation, ~80 affiliates (sector unions and provincial federations), corporations
under them, grassroots units under those and, for a tenth of the units, two sub-units (depth 5);
a council at every level (unit councils of five: chair, secretary, three members; every fourth
corporation council votes by secret ballot), advisory teams, officers, auditors and a pool of
authors, all able to log in with one password. Initiatives are spread over the programme's months
in realistic state proportions; each initiative carries its authors, its frozen dossier version once
submitted, the council sessions it went through (closed ones as ``initiative_close`` leaves them:
minutes, the votes — anonymous on a secret ballot, with the casts that say who voted —, open ones
with some ballots cast), certificates within the affiliates' quotas, and its trail entries
(create, submit, forward, the votes of its open session, each close) chained with
``audit.chain``'s own hashing, so ``verify_audit`` passes.

Rows go through PostgreSQL ``COPY`` (psycopg 3 ``cursor.copy``), a batch of initiatives per
transaction, so the database is consistent (and its chain valid) at every commit; on SQLite (CI's
smoke test, tiny N) the same rows go through ``executemany``.

The chain is built by ONE function, ``chain_entries`` (format 3: one chain per affiliate, linked by
``audit.chain.entry_link``), and its heads saved by ``save_head``.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import random
import sys
import time
import uuid
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils import timezone

from audit.chain import HASHED_FIELDS, entry_link, scope_key_of
from initiatives.duplicates import dup_key

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


class LoadRefused(Exception):
    pass


# --- output -----------------------------------------------------------------------------------------


class Sink:
    """Bulk rows into tables: COPY on PostgreSQL, executemany elsewhere."""

    def __init__(self):
        self.pg = connection.vendor == "postgresql"
        self.rows = 0
        self.seconds = {}  # table -> seconds spent writing it

    def write(self, table: str, columns: tuple, rows: list) -> None:
        if not rows:
            return
        self.rows += len(rows)
        t = time.monotonic()
        self._write(table, columns, rows)
        self.seconds[table] = round(self.seconds.get(table, 0) + time.monotonic() - t, 2)

    def _write(self, table: str, columns: tuple, rows: list) -> None:
        cols = ", ".join(f'"{c}"' for c in columns)
        with connection.cursor() as cursor:
            if self.pg:
                with cursor.cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                cursor.executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks})", [self._lite(r) for r in rows])

    @staticmethod
    def _lite(row):
        out = []
        for v in row:
            if isinstance(v, datetime.datetime):
                v = v.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
            elif isinstance(v, datetime.date):
                v = v.isoformat()
            elif isinstance(v, uuid.UUID):
                v = v.hex
            out.append(v)
        return out


class Ids:
    """Explicit primary keys: the next free id of each table (sequences set at the end)."""

    def __init__(self, tables):
        self.next = {}
        with connection.cursor() as cursor:
            for t in tables:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {t}")
                self.next[t] = cursor.fetchone()[0] + 1

    def take(self, table: str) -> int:
        n = self.next[table]
        self.next[table] = n + 1
        return n

    def reset_sequences(self):
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for t in self.next:
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), (SELECT COALESCE(MAX(id), 1) FROM {t}))"
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


# --- the chain: the ONE place that links entries ---------------------------------------------------


@dataclass
class Head:
    """Where the bulk writer stands: the last global entry number it used, and every affiliate's
    chain head {scope_key: [n, hash, seq]} (format 3: one chain per affiliate, see audit/chain.py)."""

    seq: int = 0
    scopes: dict = field(default_factory=dict)


def load_head() -> Head:
    from django.db.models import Max

    from audit.models import AuditChain, AuditEntry, AuditHead

    seq = max(
        AuditEntry.objects.aggregate(m=Max("seq"))["m"] or 0,
        AuditHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0,
    )
    scopes = {k: [n, h, s] for k, n, h, s in AuditChain.objects.values_list("key", "n", "hash", "seq")}
    return Head(seq, scopes)


def save_head(head: Head) -> None:
    """Move the chains' head rows to the entries just written and the entry-number sequence past
    them, in the batch's transaction (the closed global chain of formats 1–2 is left alone)."""
    from audit.actions import chain_heads_set, entry_seq_sync

    chain_heads_set({k: tuple(v) for k, v in head.scopes.items()})
    entry_seq_sync()


def chain_entries(entries: list[dict], head: Head) -> None:
    """Link ``entries`` (in trail order; each with the hashed fields except the links) after
    ``head``, exactly as ``audit.actions.audit_record`` does one at a time: a global entry number,
    then ``audit.chain.entry_link`` on the entry's affiliate chain. Moves ``head`` along."""
    scopes = head.scopes
    for e in entries:
        key = scope_key_of(e["scope_path"])
        n, h, _seq = scopes.get(key, (0, "", 0))
        head.seq += 1
        e["seq"] = head.seq
        entry_link(e, prev_n=n, prev_hash=h)
        scopes[key] = [e["scope_seq"], e["hash"], e["seq"]]


AUDIT_COLUMNS = ("id", *HASHED_FIELDS, "hash")  # what the trail hashes, its id and its hash


# --- the structure ---------------------------------------------------------------------------------


def _path(parent: str, n: int) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    s = ""
    for _ in range(4):
        n, r = divmod(n, 36)
        s = alphabet[r] + s
    return parent + s


@dataclass
class Person:
    id: int
    username: str
    name: str


@dataclass
class CouncilRow:
    id: int
    code: str
    kind: str
    org: dict
    ballot: str
    quorum: int
    members: list = field(default_factory=list)  # [(Person, role)]


@dataclass
class Structure:
    root: dict
    affiliates: list
    units: list  # organisations that hold initiatives
    councils: dict  # (org id, kind) -> CouncilRow
    authors: list  # Person
    officers: dict  # org id -> Person
    programme: int = 0
    quotas: dict = field(default_factory=dict)  # (award, org id) -> quota id
    personas: dict = field(default_factory=dict)  # label -> username
    prefix: str = PREFIX


def plan_sizes(n: int, affiliates: int | None) -> dict:
    """Affiliates, corporations per affiliate, units per corporation and authors for N."""
    if affiliates is None:
        affiliates = 80 if n >= 100_000 else max(2, min(80, n // 1250))
    corps = 5 if n >= 100_000 else 2
    units = 10 if n >= 100_000 else 3
    authors = max(10, min(250_000, n // 8))
    return {"affiliates": affiliates, "corporations": corps, "units": units, "authors": authors}


def build_structure(
    sink: Sink, ids: Ids, rng: random.Random, sizes: dict, start: datetime.date, prefix: str = PREFIX
) -> Structure:
    from councils.models import ROLE_PERMS, Organisation, Role, membership_perms
    from initiatives.models import Phase, Programme

    tz = timezone.get_default_timezone()
    joined = datetime.datetime.combine(start, datetime.time(8), tz)
    password = make_password(PASSWORD)
    orgs, councils, users, roles = [], [], [], []
    root_n = Organisation.objects.filter(depth=1).count()
    root = {
        "id": ids.take("councils_organisation"),
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
            "id": ids.take("councils_organisation"),
            "path": _path(parent["path"], k),
            "code": code,
            "level": level,
            "name": name,
        }
        orgs.append(o)
        return o

    def person(username, name, org):
        p = Person(ids.take("councils_user"), username, name)
        users.append((p, org))
        return p

    def council(org, kind, code, size, ballot="open"):
        c = CouncilRow(ids.take("councils_council"), code, kind, org, ballot, quorum=min(3, size))
        roles_ = ["chair", "secretary"] + ["member"] * (size - 2) if kind != "advisory" else ["chair"] * size
        for k, role in enumerate(roles_[:size], 1):
            c.members.append((person(f"{code.lower()}-{k}", f"Thành viên {code} {k}", org), role))
        councils.append(c)
        return c

    units = []
    officers = {}
    council(root, "federation", f"{prefix}-TLD-HD", 5, "secret")
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
                units.append(unit)
                if u % 10 == 1:  # a tenth of the units: an advisory team of their own and two sub-units
                    council(unit, "advisory", f"{unit['code']}-TV", 1)
                    for s in (1, 2):
                        sub = child(unit, f"{unit['code']}-B{s}", "unit", f"Công đoàn bộ phận {a}.{c}.{u}.{s}")
                        council(sub, "unit", f"{sub['code']}-HD", 5)
                        units.append(sub)
    numchild = {o["id"]: 0 for o in orgs}
    by_path = {o["path"]: o for o in orgs}
    for o in orgs:
        if len(o["path"]) > 4:
            numchild[by_path[o["path"][:-4]]["id"]] += 1
    sink.write(
        "councils_organisation",
        ("id", "path", "depth", "numchild", "code", "name", "level", "headcount"),
        [
            (o["id"], o["path"], len(o["path"]) // 4, numchild[o["id"]], o["code"], o["name"], o["level"], 1000)
            for o in orgs
        ],
    )
    for c in councils:
        c.quorum = 3 if len(c.members) >= 3 else 1
    sink.write(
        "councils_council",
        (
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
        [(c.id, c.code, f"Hội đồng {c.code}", c.kind, c.quorum, 1, 2, c.ballot, 60, c.org["id"]) for c in councils],
    )
    authors = [
        person(f"{prefix.lower()}-tacgia-{k:06d}", f"Tác giả {k:06d}", rng.choice(units))
        for k in range(1, sizes["authors"] + 1)
    ]
    sink.write(
        "councils_user",
        (
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
        [
            (
                p.id,
                password,
                False,
                p.username,
                "",
                "",
                f"{p.username}@example.org",
                False,
                True,
                joined,
                p.name,
                "",
                "",
            )
            + (org["id"],)
            for p, org in users
        ],
    )
    perm = {p.codename: p.pk for p in Permission.objects.filter(content_type__app_label="councils")}
    sink.write(
        "councils_membership",
        ("id", "role", "council_id", "user_id"),
        [(ids.take("councils_membership"), role, c.id, p.id) for c in councils for p, role in c.members],
    )
    sink.write(
        "councils_councilpermission",
        ("id", "content_object_id", "permission_id", "user_id"),
        [
            (ids.take("councils_councilpermission"), c.id, perm[codename], p.id)
            for c in councils
            for p, role in c.members
            for codename in membership_perms(c.kind, role)
        ],
    )
    unit_ids = {u["id"] for u in units}
    author_roles = [(p, org, Role.AUTHOR) for p, org in users if org["id"] in unit_ids and p in authors]
    sink.write(
        "councils_roleassignment",
        ("id", "role", "organisation_id", "user_id"),
        [(ids.take("councils_roleassignment"), role, org["id"], p.id) for p, org, role in roles + author_roles],
    )
    sink.write(
        "councils_rolepermission",
        ("id", "content_object_id", "permission_id", "user_id"),
        [
            (ids.take("councils_rolepermission"), org["id"], perm[codename], p.id)
            for p, org, role in roles + author_roles
            for codename in ROLE_PERMS[role]
        ],
    )
    end = datetime.date(start.year + 3, start.month, 1) - datetime.timedelta(days=1)
    programme = Programme.objects.create(
        code=f"{prefix}-{start:%Y%m}", name="Chương trình tải thử", starts=start, ends=end
    )
    Phase.objects.create(programme=programme, code="P1", starts=start, ends=end, target=1_000_000)
    s = Structure(
        root=root,
        affiliates=affiliates,
        units=units,
        councils={(c.org["id"], c.kind): c for c in councils},
        authors=authors,
        officers=officers,
        programme=programme.pk,
        prefix=prefix,
    )
    from awards.models import Quota

    for aff in affiliates:
        q = Quota.objects.create(
            programme=programme, award="sector_certificate", cap=SECTOR_CAP, organisation_id=aff["id"], kind="cap"
        )
        s.quotas[("sector_certificate", aff["id"])] = q.pk
    q = Quota.objects.create(
        programme=programme, award="federation_certificate", cap=FEDERATION_CAP, organisation_id=root["id"], kind="cap"
    )
    s.quotas[("federation_certificate", root["id"])] = q.pk
    first_unit = units[0]
    s.personas = {
        "author": authors[0].username,
        "adviser": s.councils[(by_path[first_unit["path"][:12]]["id"], "advisory")].members[0][0].username,
        "unit_chair": s.councils[(first_unit["id"], "unit")].members[0][0].username,
        "unit_member": s.councils[(first_unit["id"], "unit")].members[2][0].username,
        "corporation_chair": s.councils[(by_path[first_unit["path"][:12]]["id"], "corporation")].members[0][0].username,
        "sector_chair": s.councils[(affiliates[0]["id"], "sector")].members[0][0].username,
        "federation_chair": s.councils[(root["id"], "federation")].members[0][0].username,
        "officer": officers[affiliates[0]["id"]].username,
        "auditor": f"{affiliates[0]['code'].lower()}-kiemtra",
    }
    s.by_path = by_path
    return s


# --- the initiatives -------------------------------------------------------------------------------


def _pick(rng, table):
    r = rng.randrange(1000)
    for value, share in table:
        if r < share:
            return value
        r -= share
    return table[-1][0]


class Writer:
    """The rows of a batch of initiatives, written table by table."""

    TABLES = (
        "initiatives_initiative",
        "initiatives_initiativeauthor",
        "initiatives_dossierversion",
        "workflow_councilsession",
        "workflow_ballotcast",
        "audit_auditentry",
        "awards_certificate",
    )

    def __init__(self, s: Structure, ids: Ids, rng: random.Random, start: datetime.datetime, days: int, head: Head):
        self.s, self.ids, self.rng, self.start, self.days, self.head = s, ids, rng, start, days, head
        self.certs = {}  # quota key -> issued
        self.dup_keys = {}
        self.serial = 0
        self.counts = {}
        self.reset()

    def reset(self):
        self.rows = {t: [] for t in self.TABLES}
        self.votes = []
        self.entries = []

    def uuid(self):
        """A random version-4 UUID from the seeded generator (os.urandom per vote is slow)."""
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def dup_key(self, word, summary, iid):
        """``initiatives.duplicates.dup_key(title, summary)``: the words of the title and summary
        but the number read once per (word, unit) (the number is a word of its own)."""
        base = self.dup_keys.get((word, summary))
        if base is None:
            base = self.dup_keys[(word, summary)] = set(dup_key(f"Sáng kiến cải tiến {word} số", summary).split())
        return " ".join(sorted(base | {str(iid)}))

    def council_of(self, unit, kind):
        path = unit["path"]
        by_path = self.s.by_path
        if kind == "unit":
            return self.s.councils[(unit["id"], "unit")]
        if kind == "advisory":
            own = self.s.councils.get((unit["id"], "advisory"))
            return own or self.s.councils[(by_path[path[:12]]["id"], "advisory")]
        if kind == "corporation":
            return self.s.councils[(by_path[path[:12]]["id"], "corporation")]
        if kind == "sector":
            return self.s.councils[(by_path[path[:8]]["id"], "sector")]
        return self.s.councils[(self.s.root["id"], "federation")]

    def entry(self, at, actor, action, ini, source, target, version, comment="", details=None):
        self.entries.append(
            {
                "at": at,
                "actor_id": actor.id if actor else None,
                "actor_name": actor.username if actor else "",
                "actor_display_name": (actor.name or actor.username)[:300] if actor else "",
                "action": action,
                "object_type": "initiative",
                "object_id": str(ini["id"]),
                "scope_path": ini["path"],
                "from_state": source,
                "to_state": target,
                "version": version,
                "comment": comment,
                "details": details or {},
            }
        )

    def session(self, ini, council, stage, opened, closed=None, outcome="", target="", closer=None, cast=3):
        sid = self.ids.take("workflow_councilsession")
        rng = self.rng
        members = [p for p, _ in council.members]
        voters = members[: min(len(members), cast)]
        minutes = {}
        secret = council.ballot == "secret"
        votes = []
        for k, p in enumerate(voters):
            at = opened + datetime.timedelta(days=1 + k, hours=rng.randrange(8))
            decision = outcome if closed and k < max(council.quorum, len(voters) - 1) else "approve"
            if not closed:
                decision = rng.choice(("approve", "approve", "return"))
            comment = "" if decision == "approve" else "Chưa đủ căn cứ về hiệu quả"
            score = rng.randrange(50, 100)
            self.rows["workflow_ballotcast"].append((self.ids.take("workflow_ballotcast"), at, p.id, sid))
            votes.append({"voter": p, "decision": decision, "score": score, "comment": comment, "at": at})
            if not closed:  # the open session's ballots are in the trail as they were cast
                details = {"council": council.code, "ballot": council.ballot, "session": sid}
                if not secret:
                    details.update(decision=decision, score=score)
                self.entry(at, p, "vote", ini, stage, stage, 1, "" if secret else comment, details)
        if closed:
            if secret:
                # as the close leaves a secret ballot: the decisions without voter or time, shuffled
                shuffled = votes[:]
                rng.shuffle(shuffled)
                for v in shuffled:
                    self.votes.append((self.uuid(), v["decision"], v["score"], v["comment"], None, sid, None, None))
                vote_rows = sorted(
                    ({"decision": v["decision"], "score": v["score"], "comment": v["comment"]} for v in votes),
                    key=lambda r: (r["decision"], r["score"], r["comment"]),
                )
            else:
                for v in votes:
                    self.votes.append(
                        (self.uuid(), v["decision"], v["score"], v["comment"], v["at"], sid, v["voter"].id, None)
                    )
                vote_rows = [
                    {
                        "voter": v["voter"].username,
                        "voter_name": v["voter"].name,
                        "decision": v["decision"],
                        "score": v["score"],
                        "comment": v["comment"],
                    }
                    for v in votes
                ]
            tally = {}
            for v in votes:
                tally[v["decision"]] = tally.get(v["decision"], 0) + 1
            scores = [v["score"] for v in votes]
            reasons = "" if outcome not in ("return", "reject") else "Chưa đủ căn cứ về hiệu quả"
            minutes = {
                "council": council.code,
                "stage": stage,
                "ballot": council.ballot,
                "dossier_version": 1,
                "members": len(members),
                "recused": [],
                "substitutes": [],
                "eligible": len(members),
                "quorum": council.quorum,
                "threshold": "1/2",
                "votes_cast": len(votes),
                "members_present": sorted(v["voter"].username for v in votes),
                "tally": dict(sorted(tally.items())),
                "votes": vote_rows,
                "average_score": round(sum(scores) / len(scores), 1),
                "carried": [outcome] if tally.get(outcome, 0) * 2 >= len(members) else [],
                "outcome": outcome,
                "closed_by": closer.username,
                "closed_at": closed.isoformat(),
                "comment": reasons,
            }
        self.rows["workflow_councilsession"].append(
            (
                sid,
                stage,
                1,
                opened,
                opened + datetime.timedelta(days=60),
                closed,
                outcome,
                json.dumps(minutes, ensure_ascii=False),
                closer.id if closer else None,
                council.id,
                ini["id"],
                council.ballot,
                60,
                council.quorum,
                2,
                1,
                0,
            )
        )
        return sid, minutes

    def initiative(self, k: int, created: datetime.datetime):
        rng, s = self.rng, self.s
        iid = self.ids.take("initiatives_initiative")
        unit = rng.choice(s.units)
        state = _pick(rng, STATE_MIX)
        forced = k < len(FORCED)
        if forced:  # the personas' unit holds a dossier at every stage: every inbox has work
            unit, state = s.units[0], FORCED[k]
        aff_id = s.by_path[unit["path"][:8]]["id"]
        award = None
        if state == "sector_certified":
            award = ("sector_certificate", aff_id)
            if self.certs.get(award, 0) >= SECTOR_CAP:
                state, award = "sector_review", None
        elif state == "federation_certified":
            award = ("federation_certificate", s.root["id"])
            if self.certs.get(award, 0) >= FEDERATION_CAP:
                state, award = "federation_review", None
        self.counts[state] = self.counts.get(state, 0) + 1
        word = rng.choice(WORDS)
        title = f"Sáng kiến cải tiến {word} số {iid}"
        summary = f"Cải tiến {word} tại {unit['name']}"
        n_auth = 1 + (rng.random() < 0.4) + (rng.random() < 0.15)
        authors = rng.sample(s.authors, n_auth)
        if forced and s.authors[0] not in authors:
            authors[0] = s.authors[0]
        creator = authors[0]
        ini = {"id": iid, "path": unit["path"]}
        day = datetime.timedelta(days=1)
        at = created
        submitted = recognised = decided = council_id = due = None
        benefit = rng.randrange(5, 500) * 1_000_000
        reference = None
        version = 0
        self.entry(at, creator, "create", ini, "", "draft", 0)
        if state != "draft":
            at += day * rng.randrange(1, 10)
            submitted = at
            version = 1
            reference = f"{s.prefix}-{created:%Y}-{iid:08d}"
            team = self.council_of(unit, "advisory")
            digest = hashlib.sha256(f"{iid}:{title}".encode()).hexdigest()
            content = {
                "reference": reference,
                "title": title,
                "summary": summary,
                "problem": "Hiện trạng trước khi áp dụng",
                "solution": "Nội dung giải pháp",
                "category": "technical",
                "organisation": unit["code"],
                "benefit_value_vnd": benefit,
                "applied_since": created.date().isoformat(),
                "confidential": False,
                "authors": [{"username": a.username, "full_name": a.name, "share_percent": "100"} for a in authors],
                "attachments": [],
            }
            self.rows["initiatives_dossierversion"].append(
                (self.ids.take("initiatives_dossierversion"), 1, json.dumps(content, ensure_ascii=False), digest, at)
                + (creator.id, iid)
            )
            self.entry(
                at,
                creator,
                "submit",
                ini,
                "draft",
                "advisory_review",
                1,
                details={"advisory_team": team.code, "dossier_digest": digest, "possible_duplicates": []},
            )
            council_id = team.id
        if state == "withdrawn":
            at += day * rng.randrange(1, 10)
            decided = at
            council_id = None
            self.entry(at, creator, "withdraw", ini, "advisory_review", "withdrawn", 1)
        # the stages it goes through: up to its current one, or up to where it was decided
        if state in LADDER:
            climb = LADDER[: LADDER.index(state) + 1]
        elif state == "rejected":
            stop = _pick(rng, REJECTED_AT)
            climb = LADDER[: LADDER.index(stop) + 1]
        elif state == "sector_certified":
            climb = LADDER[:3]
        elif state == "federation_certified":
            climb = LADDER[:4]
        else:
            climb = []
        source = "advisory_review"
        adviser = self.council_of(unit, "advisory").members[0][0] if climb else None
        for n, stage in enumerate(climb):
            council = self.council_of(unit, KIND_OF_STAGE[stage])
            at += day * rng.randrange(2, 20)
            opened = at
            if n == 0:
                sid_open = self.ids.next["workflow_councilsession"]
                self.entry(
                    at,
                    adviser,
                    "forward",
                    ini,
                    source,
                    stage,
                    1,
                    details={
                        "council": council.code,
                        "due_at": (at + 60 * day).isoformat(),
                        "opened_session": sid_open,
                    },
                )
            last = n == len(climb) - 1
            if last and state == stage:  # before this council now: an open session, some ballots cast
                self.session(ini, council, stage, opened, cast=rng.randrange(0, 3))
                council_id, due = council.id, opened + 60 * day
                break
            at += day * rng.randrange(3, 30)
            if last:
                outcome = "reject" if state == "rejected" else "certify"
                target = state
            else:
                outcome, target = "approve", climb[n + 1]
            closer = council.members[1][0]
            sid, minutes = self.session(ini, council, stage, opened, at, outcome, target, closer)
            details = dict(minutes)
            if outcome == "approve":
                details["opened_session"] = self.ids.next["workflow_councilsession"]
                recognised = recognised or at
            if outcome == "certify":
                recognised = recognised or at
                decided = at
                serial = self._certificate(ini, iid, title, unit, award, council, closer, authors, at)
                details["certificate"] = serial
            if outcome == "reject":
                decided = at
            self.entry(at, closer, "close", ini, stage, target, 1, minutes["comment"], details)
            source = target
            council_id = None
        self.rows["initiatives_initiative"].append(
            (
                iid,
                reference,
                title,
                summary,
                "Hiện trạng trước khi áp dụng" if submitted else "",
                "Nội dung giải pháp" if submitted else "",
                "technical" if submitted else rng.choice(CATEGORIES),
                benefit,
                created.date() if submitted else None,
                False,
                state,
                1 + len(climb),
                version,
                due,
                created,
                at,
                submitted,
                recognised,
                decided,
                f"{title} {summary}".lower(),
                council_id,
                creator.id,
                unit["id"],
                s.programme if submitted else None,
                self.dup_key(word, summary, iid),
            )
        )
        for pos, a in enumerate(authors):
            self.rows["initiatives_initiativeauthor"].append(
                (self.ids.take("initiatives_initiativeauthor"), a.name, round(100 / n_auth, 2), pos, iid, a.id)
                + ("not_required" if n_auth == 1 else "confirmed", created if n_auth > 1 else None, "")
            )

    def _certificate(self, ini, iid, title, unit, award, council, closer, authors, at):
        self.certs[award] = self.certs.get(award, 0) + 1
        self.serial += 1
        kind = award[0]
        serial = f"{self.s.prefix}-{'BLD' if kind == 'federation_certificate' else 'CN'}-{at:%Y}-{self.serial:06d}"
        self.rows["awards_certificate"].append(
            (
                self.ids.take("awards_certificate"),
                serial,
                kind,
                at.date().replace(day=1),
                title,
                json.dumps([{"full_name": a.name, "username": a.username} for a in authors], ensure_ascii=False),
                at,
                "",
                "{}",
                council.id,
                iid,
                closer.id,
                unit["id"],
                self.s.programme,
                self.s.quotas[award],
                5_000_000 if kind == "federation_certificate" else 3_000_000,
                "",
            )
        )
        return serial

    def flush(self, sink: Sink):
        t = time.monotonic()
        chain_entries(self.entries, self.head)
        self.chain_seconds = getattr(self, "chain_seconds", 0) + time.monotonic() - t
        self.rows["audit_auditentry"] = [
            (self.ids.take("audit_auditentry"),)
            + tuple(json.dumps(e[c], ensure_ascii=False) if c == "details" else e[c] for c in AUDIT_COLUMNS[1:])
            for e in self.entries
        ]
        for table, rows in self.rows.items():
            sink.write(table, COLUMNS[table], rows)
        sink.write(
            "workflow_vote",
            ("id", "decision", "score", "comment", "cast_at", "session_id", "voter_id", "assessed_benefit_vnd"),
            self.votes,
        )
        save_head(self.head)
        self.reset()


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
}


def generate(
    n: int,
    *,
    append: bool = False,
    seed: int = 2026,
    batch: int = 20_000,
    affiliates: int | None = None,
    quiet: bool = False,
) -> dict:
    """Write the programme; returns what was written. Refuses a database that already holds
    initiatives unless ``append`` (which adds another federation-wide programme tree)."""
    from initiatives.models import Initiative

    if not append and Initiative.objects.exists():
        raise LoadRefused("the database already holds initiatives")
    rng = random.Random(seed if not append else seed + Initiative.objects.count())
    t0 = time.monotonic()
    sink = Sink()
    ids = Ids(
        (
            "councils_organisation",
            "councils_council",
            "councils_user",
            "councils_membership",
            "councils_councilpermission",
            "councils_roleassignment",
            "councils_rolepermission",
            *Writer.TABLES,
        )
    )
    tz = timezone.get_default_timezone()
    today = timezone.localdate()
    start = datetime.date(today.year - 2, today.month, 1)  # a three-year programme, two years run
    sizes = plan_sizes(n, affiliates)
    from councils.models import Organisation

    prefix, k = PREFIX, 1
    while Organisation.objects.filter(code=f"{prefix}-TLD").exists():  # --append: another tree
        k += 1
        prefix = f"{PREFIX}{k}"
    with transaction.atomic():
        s = build_structure(sink, ids, rng, sizes, start, prefix)
        ids.reset_sequences()
    t_structure = time.monotonic() - t0
    head = load_head()
    days = (today - start).days - 45
    w = Writer(s, ids, rng, datetime.datetime.combine(start, datetime.time(7), tz), days, head)
    created = sorted(rng.random() for _ in range(n))
    first = datetime.datetime.combine(start, datetime.time(7), tz)
    done = 0
    t_rows = 0.0
    while done < n:
        size = min(batch, n - done)
        with transaction.atomic():
            t = time.monotonic()
            for k in range(done, done + size):
                w.initiative(k, first + datetime.timedelta(seconds=int(created[k] * days * 86400)))
            t_rows += time.monotonic() - t
            w.flush(sink)
            ids.reset_sequences()
        done += size
        if not quiet:
            progress(done, n, t0)
    from initiatives.counters import progress_counters_rebuild

    t = time.monotonic()
    progress_counters_rebuild()
    from initiatives.opentasks import tasks_rebuild

    tasks_rebuild()  # the inbox's open-task table, from the dossiers written in bulk
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    t_after = time.monotonic() - t
    return {
        "initiatives": n,
        "units": len(s.units),
        "affiliates": len(s.affiliates),
        "councils": len(s.councils),
        "users": ids.next["councils_user"] - 1,
        "rows": sink.rows,
        "audit_entries": head.seq,
        "states": w.counts,
        "certificates": sum(w.certs.values()),
        "seconds": round(time.monotonic() - t0, 1),
        "structure_seconds": round(t_structure, 1),
        "rows_python_seconds": round(t_rows, 1),
        "chain_seconds": round(getattr(w, "chain_seconds", 0), 1),
        "write_seconds": sink.seconds,
        "counters_analyze_seconds": round(t_after, 1),
        "personas": s.personas,
        "password": PASSWORD,
    }

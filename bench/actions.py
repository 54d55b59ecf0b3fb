"""Every write action timed in a loop, with its queries counted (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pg_x DJANGO_SECRET_KEY=x REDIS_URL=redis://…/12 \
        .venv/bin/python bench/actions.py --n 300 [--raw]

On a fresh database: migrates, loads a small national ladder (federation, sector, corporation, unit
councils; the unit council of five as the anchors' ``project_close.py`` has it) and times, one
process, called directly as the anchors do: ``initiative_create`` (complete dossiers),
``initiative_submit``, ``initiative_forward``, ``vote_cast`` (five per dossier), ``initiative_close``
(unit council: a third carried, a third returned, a third rejected, as the anchors' pattern),
``certificate_issue`` (on dossiers the sector council recognised), ``commendation_select`` (the
monthly five) and ``adhoc_commend``. Prints, per action, calls/s, p50/p95 and the queries of one
call. On PostgreSQL ``certificate_issue`` is timed side by side with OUR raw-SQL issue
(``bench/raw_certificate.py``: the same row changes; every other carried dossier through each,
alternating in chunks of 10) and the ratio "project / raw" printed. ``--raw``: the close is timed side by side with OUR raw-SQL close (``bench/raw_close.py``: the
same row changes, on twin dossiers seeded untimed in the same database, alternating in chunks of
25), with each one's client CPU; then the anchors' raw-SQL close
(``../shared/bench-anchors/raw_sql_close.py``, its own three tables) and the django-fsm-2 peer, each
on a database of its own with the same N, in the same run. The ratios printed say which is which.
"""

import argparse
import datetime
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
ANCHORS = ROOT.parent / "shared" / "bench-anchors"

STRUCTURE = {
    "programme": {
        "code": "BENCH",
        "name": "Bench programme",
        "starts": "2020-01-01",
        "ends": "2035-12-31",
        "phases": [{"code": "P1", "starts": "2020-01-01", "ends": "2035-12-31", "target": 100000}],
        "participation_target_percent": 10,
        "quotas": [
            {"award": "federation_certificate", "cap": 100000, "organisation": "BS"},
            {"award": "sector_certificate", "cap": 100000, "organisation": "BS"},
            {"award": "monthly_commendation", "cap": 5, "per": "month", "organisation": "BS"},
        ],
    },
    "organisations": [
        {
            "code": "BF",
            "name": "Bench federation",
            "level": "federation",
            "councils": [
                {
                    "code": "BF-HD",
                    "kind": "federation",
                    "quorum": 2,
                    "members": [{"username": "bf1", "role": "chair"}, {"username": "bf2"}, {"username": "bf3"}],
                }
            ],
            "children": [
                {
                    "code": "BS",
                    "name": "Bench sector",
                    "level": "sector",
                    "headcount": 100000,
                    "councils": [
                        {
                            "code": "BS-HD",
                            "kind": "sector",
                            "quorum": 2,
                            "members": [
                                {"username": "bs1", "role": "chair"},
                                {"username": "bs2"},
                                {"username": "bs3"},
                            ],
                        }
                    ],
                    "children": [
                        {
                            "code": "BC",
                            "name": "Bench corporation",
                            "level": "corporation",
                            "headcount": 10000,
                            "councils": [
                                {
                                    "code": "BC-HD",
                                    "kind": "corporation",
                                    "quorum": 3,
                                    "members": [
                                        {"username": "bc1", "role": "chair"},
                                        {"username": "bc2"},
                                        {"username": "bc3"},
                                    ],
                                }
                            ],
                            "children": [
                                {
                                    "code": "BU",
                                    "name": "Bench unit",
                                    "level": "unit",
                                    "headcount": 1000,
                                    "councils": [
                                        {
                                            "code": "BU-TV",
                                            "kind": "advisory",
                                            "quorum": 1,
                                            "members": [{"username": "btv", "role": "chair"}],
                                        },
                                        {
                                            "code": "BU-HD",
                                            "kind": "unit",
                                            "quorum": 3,
                                            "threshold": "2/3",
                                            "ballot": "open",
                                            "members": [
                                                {"username": "bu1", "role": "chair"},
                                                {"username": "bu2"},
                                                {"username": "bu3"},
                                                {"username": "bu4"},
                                                {"username": "bu5"},
                                            ],
                                        },
                                    ],
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    ],
    "people": [
        {
            "username": "bauthor",
            "full_name": "Bench Author",
            "email": "bauthor@example.org",
            "organisation": "BU",
            "roles": ["author"],
        },
        {"username": "bofficer", "full_name": "Bench Officer", "organisation": "BS", "roles": ["officer"]},
        {"username": "badmin", "full_name": "Bench Admin", "organisation": "BF", "roles": ["admin"]},
    ]
    + [
        {"username": u, "full_name": f"Member {u}", "email": f"{u}@example.org", "organisation": org}
        for org, users in (
            ("BF", ["bf1", "bf2", "bf3"]),
            ("BS", ["bs1", "bs2", "bs3"]),
            ("BC", ["bc1", "bc2", "bc3"]),
            ("BU", ["btv", "bu1", "bu2", "bu3", "bu4", "bu5"]),
        )
        for u in users
    ],
}

SHOW_SQL = False
# the anchors' vote pattern: carried (up), returned, rejected
PATTERNS = [["approve"] * 5, ["return"] * 4 + ["approve"], ["reject"] * 4 + ["approve"]]


def timed(label, calls, results):
    """Run ``calls`` (thunks) one after another; the queries of the first one are counted."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    lat = []
    queries = None
    t0 = time.perf_counter()
    for k, call in enumerate(calls):
        t = time.perf_counter()
        if k == 0:
            with CaptureQueriesContext(connection) as ctx:
                call()
            queries = len(ctx.captured_queries)
            if SHOW_SQL:
                for q in ctx.captured_queries:
                    print("   ", q["sql"][:300], flush=True)
        else:
            call()
        lat.append((time.perf_counter() - t) * 1000)
    wall = time.perf_counter() - t0
    lat.sort()
    row = {
        "bench": label,
        "n": len(lat),
        "per_s": round(len(lat) / wall, 1) if wall else None,
        "p50_ms": round(statistics.median(lat), 2) if lat else None,
        "p95_ms": round(lat[min(len(lat) - 1, math.ceil(0.95 * len(lat)) - 1)], 2) if lat else None,
        "queries": queries,
    }
    results.append(row)
    print(json.dumps(row), flush=True)
    return row


def setup_structure(*, migrate: bool = True) -> dict:
    """Migrate (optionally) and load the bench's national ladder; returns its users by username."""
    import django

    django.setup()
    from django.core.management import call_command

    if migrate:
        call_command("migrate", verbosity=0)
    path = os.path.join(tempfile.mkdtemp(), "bench_structure.json")
    with open(path, "w") as f:
        json.dump(STRUCTURE, f, ensure_ascii=False)
    call_command("load_structure", path, verbosity=0)
    from councils.models import User

    return {x.username: x for x in User.objects.all()}


def create_call(author, unit, i, created):
    from initiatives.actions import initiative_create

    def call():
        created.append(
            initiative_create(
                actor=author,
                organisation=unit,
                authors=[{"user": author, "share_percent": 100}],
                title=f"Sáng kiến cải tiến số {i:06d} cho băng tải",
                summary="Tóm tắt giải pháp",
                problem="Hiện trạng trước khi áp dụng",
                solution="Nội dung giải pháp",
                applied_since=datetime.date(2025, 3, 1),
                category="technical",
                benefit_value_vnd=1_000_000,
            ).pk
        )

    return call


def vote_calls(ids, u):
    """Five ballots per dossier, in the anchors' pattern (by the dossier's place in ``ids``)."""
    from workflow.actions import vote_cast

    members = [u[f"bu{k}"] for k in range(1, 6)]
    return [
        lambda pk=pk, m=m, d=d: vote_cast(
            initiative_id=pk, actor=m, decision=d, comment="" if d == "approve" else "Lý do"
        )
        for i, pk in enumerate(ids)
        for m, d in zip(members, PATTERNS[i % 3], strict=True)
    ]


def seed_voted(n: int, u: dict, *, start: int = 0) -> list[int]:
    """``n`` dossiers before the unit council with their five votes (not timed): the twins of the
    timed ones, for the raw close."""
    from councils.models import Organisation
    from workflow.actions import initiative_forward, initiative_submit

    unit, created = Organisation.objects.get(code="BU"), []
    for i in range(start, start + n):
        create_call(u["bauthor"], unit, i, created)()
    for pk in created:
        initiative_submit(initiative_id=pk, actor=u["bauthor"])
        initiative_forward(initiative_id=pk, actor=u["btv"])
    for call in vote_calls(created, u):
        call()
    return created


def run(n: int, *, migrate: bool = True, raw: bool = False) -> list[dict]:
    u = setup_structure(migrate=migrate)
    from awards.actions import adhoc_commend, budget_set, certificate_issue, commendation_select
    from councils.models import Organisation
    from initiatives.models import Initiative
    from workflow.actions import initiative_close, initiative_forward, initiative_submit, vote_cast

    unit, sector = Organisation.objects.get(code="BU"), Organisation.objects.get(code="BS")
    author = u["bauthor"]
    results = []
    created = []
    timed("initiative_create", [create_call(author, unit, i, created) for i in range(n)], results)
    ids = list(created)
    timed("initiative_submit", [lambda pk=pk: initiative_submit(initiative_id=pk, actor=author) for pk in ids], results)
    timed(
        "initiative_forward",
        [lambda pk=pk: initiative_forward(initiative_id=pk, actor=u["btv"]) for pk in ids],
        results,
    )
    timed("vote_cast", vote_calls(ids, u), results)
    if raw:
        twins = seed_voted(n, u, start=n)  # the same dossiers, votes and pattern, for our own raw close
        close_side_by_side(ids, twins, u["bu1"], results)
    else:
        timed(
            "initiative_close (unit council, 5 votes)",
            [lambda pk=pk: initiative_close(initiative_id=pk, actor=u["bu1"]) for pk in ids],
            results,
        )
    up = list(Initiative.objects.filter(pk__in=ids, state="corporation_council").values_list("pk", flat=True))
    for pk in up:  # the corporation council carries them to the sector council (not timed)
        for m in ("bc1", "bc2", "bc3"):
            vote_cast(initiative_id=pk, actor=u[m], decision="approve")
        initiative_close(initiative_id=pk, actor=u["bc1"])
    from councils.models import Council

    sector_council = Council.objects.get(code="BS-HD")
    from django.db import connection

    if connection.vendor == "postgresql" and len(up) >= 2:
        # every other dossier through the action, its neighbour through our raw issue, interleaved
        certificate_side_by_side(up[0::2], up[1::2], u["bs1"], sector_council, results)
    else:
        timed(
            CERT,
            [
                lambda pk=pk: certificate_issue(
                    initiative=Initiative(pk=pk), award="sector_certificate", actor=u["bs1"], council=sector_council
                )
                for pk in up
            ],
            results,
        )
    from django.db import transaction

    with transaction.atomic():
        budget_set(actor=u["badmin"], organisation=sector, year=datetime.date.today().year, amount_vnd=10**12)
    month = datetime.date.today().replace(day=1)
    half = max(1, len(up) // 2)  # the first half commended in the month's selection, the rest ad hoc
    timed(
        "commendation_select (monthly)",
        [
            lambda: commendation_select(
                organisation=sector, month=month, initiative_ids=up[: min(half, 5)], actor=u["bs1"]
            )
        ],
        results,
    )
    timed(
        "adhoc_commend",
        [
            lambda pk=pk: adhoc_commend(
                organisation=sector, initiative_id=pk, reason="Đóng góp đột xuất", amount_vnd=1_000_000, actor=u["bs1"]
            )
            for pk in up[half:]
        ],
        results,
    )
    return results


OUR_RAW = "our raw-SQL close (bench/raw_close.py: the same row changes, same database)"
CLOSE = "initiative_close (unit council, 5 votes)"
CERT = "certificate_issue"
RAW_CERT = "our raw-SQL certificate issue (bench/raw_certificate.py: the same row changes, same database)"


def _side_by_side_row(label, lat, queries, cpu_s) -> dict:
    lat.sort()
    return {
        "bench": label,
        "n": len(lat),
        "per_s": round(len(lat) / (sum(lat) / 1000), 1) if lat else None,
        "p50_ms": round(statistics.median(lat), 2) if lat else None,
        "p95_ms": round(lat[min(len(lat) - 1, math.ceil(0.95 * len(lat)) - 1)], 2) if lat else None,
        "queries": queries,
        "client_cpu_ms": round(cpu_s * 1000 / len(lat), 2) if lat else None,
    }


def certificate_side_by_side(ids, twins, issuer, council, results, *, chunk: int = 10):
    """``certificate_issue`` on ``ids`` and our raw-SQL issue (``bench/raw_certificate.py``) on
    ``twins`` (dossiers in the same state, carried the same way), alternating in chunks of
    ``chunk``: calls/s of each over its own calls, with each one's client CPU."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from awards.actions import certificate_issue
    from bench.raw_certificate import RawCertifier
    from initiatives.models import Initiative

    connection.ensure_connection()
    raw = RawCertifier(connection.connection)  # the same connection (and, in a test, its transaction)
    actor = (issuer.pk, issuer.username, issuer.display_name)
    ours, theirs, queries, trips = [], [], None, None
    cpu = {CERT: 0.0, RAW_CERT: 0.0}
    for k in range(0, max(len(ids), len(twins)), chunk):
        c = time.process_time()
        for pk in ids[k : k + chunk]:
            t = time.perf_counter()
            call = lambda pk=pk: certificate_issue(  # noqa: E731 - the bench's one call
                initiative=Initiative(pk=pk), award="sector_certificate", actor=issuer, council=council
            )
            if queries is None:
                with CaptureQueriesContext(connection) as ctx:
                    call()
                queries = len(ctx.captured_queries)
            else:
                call()
            ours.append((time.perf_counter() - t) * 1000)
        cpu[CERT] += time.process_time() - c
        c = time.process_time()
        for pk in twins[k : k + chunk]:
            t = time.perf_counter()
            raw.issue(pk, "sector_certificate", actor, council.pk)
            theirs.append((time.perf_counter() - t) * 1000)
            trips = trips or raw.round_trips()
        cpu[RAW_CERT] += time.process_time() - c
    for label, lat, q in ((CERT, ours, queries), (RAW_CERT, theirs, trips)):
        row = _side_by_side_row(label, lat, q, cpu[label])
        results.append(row)
        print(json.dumps(row), flush=True)


def close_side_by_side(ids, twins, closer, results, *, chunk: int = 25):
    """The project's close on ``ids`` and our raw-SQL close on their twins, alternating in chunks
    of ``chunk`` (the machine's load falls on both alike): calls/s of each over its own calls."""
    import psycopg
    from django.conf import settings
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.raw_close import RawCloser
    from workflow.actions import initiative_close

    db = settings.DATABASES["default"]
    conn = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"], port=db["PORT"] or 5432, password=db["PASSWORD"] or None
    )
    conn.autocommit = True  # each close: BEGIN … COMMIT (conn.transaction())
    raw = RawCloser(conn)
    actor = (closer.pk, closer.username, closer.display_name)
    ours, theirs, queries = [], [], None
    cpu = {CLOSE: 0.0, OUR_RAW: 0.0}  # this process's CPU (the client's: Python, psycopg, the Redis kick)
    for k in range(0, len(ids), chunk):
        c = time.process_time()
        for pk in ids[k : k + chunk]:
            t = time.perf_counter()
            if queries is None:
                with CaptureQueriesContext(connection) as ctx:
                    initiative_close(initiative_id=pk, actor=closer)
                queries = len(ctx.captured_queries)
            else:
                initiative_close(initiative_id=pk, actor=closer)
            ours.append((time.perf_counter() - t) * 1000)
        cpu[CLOSE] += time.process_time() - c
        c = time.process_time()
        for pk in twins[k : k + chunk]:
            t = time.perf_counter()
            raw.close(pk, actor)
            theirs.append((time.perf_counter() - t) * 1000)
        cpu[OUR_RAW] += time.process_time() - c
    trips = raw.round_trips(twins[0]) if twins else None
    conn.close()
    for label, lat, q in ((CLOSE, ours, queries), (OUR_RAW, theirs, trips)):
        lat.sort()
        row = {
            "bench": label,
            "n": len(lat),
            "per_s": round(len(lat) / (sum(lat) / 1000), 1) if lat else None,
            "p50_ms": round(statistics.median(lat), 2) if lat else None,
            "p95_ms": round(lat[min(len(lat) - 1, math.ceil(0.95 * len(lat)) - 1)], 2) if lat else None,
            "queries": q,
            "client_cpu_ms": round(cpu[label] * 1000 / len(lat), 2) if lat else None,
        }
        results.append(row)
        print(json.dumps(row), flush=True)


def _scratch_db(tag: str):
    # named after the bench's own database (DATABASE_URL): a run only creates databases of its prefix
    own = os.environ.get("DATABASE_URL", "").rsplit("/", 1)[-1].split("?")[0] or "bench"
    db = f"{own}_{tag}_{os.getpid()}"
    psql = ["psql", "-qAtX", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-c"]
    subprocess.run([*psql, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False, capture_output=True)
    subprocess.run([*psql, f"CREATE DATABASE {db}"], check=True)
    return db, lambda: subprocess.run([*psql, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], check=False)


def _last_json(out: str) -> dict | None:
    rows = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    return rows[-1] if rows else None


def raw_close(n: int) -> dict | None:
    """The anchors' raw-SQL close (one connection) on a database of its own (same N, same run)."""
    script = ANCHORS / "raw_sql_close.py"
    if not script.exists():
        return None
    db, drop = _scratch_db("raw")
    try:
        env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{db}"}
        subprocess.run([sys.executable, str(script), "setup", "--n", str(n)], env=env, check=True, capture_output=True)
        run = [sys.executable, str(script), "run", "--n", str(n), "--conns", "1"]
        return _last_json(subprocess.run(run, env=env, check=True, capture_output=True, text=True).stdout)
    finally:
        drop()


def peer_close(n: int) -> dict | None:
    """The anchors' django-fsm-2 + simple-history peer, from the anchors' venv (``run.sh`` builds it
    under the temp dir; ``BENCH_VENV`` overrides), when it is there."""
    venv = Path(os.environ.get("BENCH_VENV", Path(tempfile.gettempdir()) / "bench-anchors-venv"))
    python, manage = venv / "bin" / "python", ANCHORS / "djangofsm_peer" / "manage.py"
    if not python.exists() or not manage.exists():
        return None
    db, drop = _scratch_db("peer")
    try:
        env = {**os.environ, "DATABASE_URL": f"postgresql://postgres@127.0.0.1:5432/{db}"}
        env.pop("DJANGO_SETTINGS_MODULE", None)  # the peer's own settings, not the project's
        for cmd in (["migrate", "-v0"], ["bench_seed", "--n", str(n)]):
            subprocess.run([str(python), str(manage), *cmd], env=env, check=True, capture_output=True)
        run = [str(python), str(manage), "bench_close", "--n", str(n)]
        return _last_json(subprocess.run(run, env=env, check=True, capture_output=True, text=True).stdout)
    finally:
        drop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=300)
    ap.add_argument(
        "--raw",
        action="store_true",
        help="also our raw-SQL close (bench/raw_close.py, twin dossiers, interleaved), the anchors' raw-SQL close "
        "and the django-fsm-2 peer, same N, same run",
    )
    ap.add_argument("--json", help="write the figures to this file")
    ap.add_argument("--sql", action="store_true", help="print the queries of each action's first call")
    a = ap.parse_args()
    global SHOW_SQL
    SHOW_SQL = a.sql
    results = run(a.n, raw=a.raw)
    cert = next((r for r in results if r["bench"] == CERT), None)
    raw_cert = next((r for r in results if r["bench"] == RAW_CERT), None)
    if cert and raw_cert:
        ratio = cert["per_s"] / raw_cert["per_s"]
        print(
            f"project certificate_issue / OUR raw-SQL certificate issue (same rows, same database, interleaved) = "
            f"{ratio:.3f}",
            flush=True,
        )
        results.append({"bench": "ratio: project / our raw certificate issue", "per_s": None, "ratio": round(ratio, 3)})
    if a.raw:
        close = next(r for r in results if r["bench"] == CLOSE)
        ours = next(r for r in results if r["bench"] == OUR_RAW)
        ratio = close["per_s"] / ours["per_s"]
        print(f"project close / OUR raw-SQL close (same rows, same database, interleaved) = {ratio:.3f}", flush=True)
        results.append({"bench": "ratio: project / our raw close", "per_s": None, "ratio": round(ratio, 3)})
        for label, anchor in (("the anchors' raw SQL", raw_close), ("django-fsm-2 peer", peer_close)):
            row = anchor(a.n)
            if row:
                print(json.dumps(row), flush=True)
                ratio = close["per_s"] / row["closes_per_s"]
                results.append({"bench": f"anchor: {label}", "per_s": row["closes_per_s"], "ratio": round(ratio, 3)})
                print(f"project close / {label} (its own 3 tables, other database) = {ratio:.3f}", flush=True)
    print(f"\n{'action':<40} {'calls/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for r in results:
        print(
            f"{r['bench']:<40} {r['per_s']!s:>8} {r.get('p50_ms')!s:>8} {r.get('p95_ms')!s:>8} "
            f"{r.get('queries', r.get('ratio'))!s:>8}"
        )
    if a.json:
        Path(a.json).write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()

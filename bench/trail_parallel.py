#!/usr/bin/env python
"""Closes per second with 1, 4 and 8 concurrent worker processes, each closing council sessions of
a DIFFERENT affiliate (sector union: its own audit scope), on PostgreSQL (issue 12, item 3).

Run from the project's root (or another checkout of it: the code imported is the current
directory's, so the same script measures main before the change and this branch after):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pg_i12t_bench REDIS_URL=redis://127.0.0.1:6379/13 \\
        .venv/bin/python bench/trail_parallel.py seed --per 80 --affiliates 8 --template pg_i12t_bench_tpl
    ... bench/trail_parallel.py run --workers 1 4 8 --per 60 --reps 3 --template pg_i12t_bench_tpl

``seed`` migrates the database named in DATABASE_URL, loads a structure of ``--affiliates`` sector
unions (each with a corporation, a unit, an advisory team and a five-member unit council) and drives
``--per`` dossiers of every affiliate to the unit council through the real actions (create, submit,
forward, five votes), then copies that database to ``--template``. ``run`` recreates the database
from the template before every measurement (so every run closes the same dossiers), starts W
processes — worker k closes ``--per`` sessions of affiliate k with ``workflow.actions.
initiative_close``, called directly — lets them start together, and prints the closes per second
(all closes / wall time from the common start to the last finish), the per-worker rates and p50/p95,
then runs ``verify_audit`` once. Nothing is timed over HTTP. The figures are noisy on a shared
2-core machine: the median of ``--reps`` interleaved repetitions is reported, with each worker's
Python CPU time per close (what bounds the closes on 2 cores).

``run --hold-ms 20`` measures the trail's lock alone: each worker's transactions append one entry
to its affiliate's trail with the project's ``audit_record`` and stay open 20 ms (the rest of a
close's transaction after its append: statements, commit, WAL flush) without using the CPU. With
one global head row these serialise whatever the number of workers; with a chain per affiliate
they do not.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlparse

sys.path.insert(0, os.getcwd())
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

PATTERNS = [["approve"] * 5, ["return"] * 4 + ["approve"], ["reject"] * 4 + ["approve"]]


def structure(affiliates: int) -> dict:
    sectors, people = [], [{"username": "tf1", "full_name": "Fed chair", "organisation": "TF"}]
    for a in range(1, affiliates + 1):
        s, c, u = f"S{a}", f"S{a}C", f"S{a}U"
        sectors.append(
            {
                "code": s,
                "name": f"Bench sector {a}",
                "level": "sector",
                "headcount": 100000,
                "councils": [
                    {
                        "code": f"{s}-HD",
                        "kind": "sector",
                        "quorum": 1,
                        "members": [{"username": f"{s.lower()}x", "role": "chair"}],
                    }
                ],
                "children": [
                    {
                        "code": c,
                        "name": f"Bench corporation {a}",
                        "level": "corporation",
                        "headcount": 10000,
                        "councils": [
                            {
                                "code": f"{c}-HD",
                                "kind": "corporation",
                                "quorum": 1,
                                "members": [{"username": f"{c.lower()}x", "role": "chair"}],
                            }
                        ],
                        "children": [
                            {
                                "code": u,
                                "name": f"Bench unit {a}",
                                "level": "unit",
                                "headcount": 1000,
                                "councils": [
                                    {
                                        "code": f"{u}-TV",
                                        "kind": "advisory",
                                        "quorum": 1,
                                        "members": [{"username": f"{u.lower()}tv", "role": "chair"}],
                                    },
                                    {
                                        "code": f"{u}-HD",
                                        "kind": "unit",
                                        "quorum": 3,
                                        "threshold": "2/3",
                                        "ballot": "open",
                                        "members": [
                                            {"username": f"{u.lower()}m{k}", **({"role": "chair"} if k == 1 else {})}
                                            for k in range(1, 6)
                                        ],
                                    },
                                ],
                            }
                        ],
                    }
                ],
            }
        )
        people.append(
            {
                "username": f"{u.lower()}a",
                "full_name": f"Author {a}",
                "email": f"{u.lower()}a@example.org",
                "organisation": u,
                "roles": ["author"],
            }
        )
        for org, names in (
            (s, [f"{s.lower()}x"]),
            (c, [f"{c.lower()}x"]),
            (u, [f"{u.lower()}tv"] + [f"{u.lower()}m{k}" for k in range(1, 6)]),
        ):
            people += [
                {"username": n, "full_name": f"Member {n}", "email": f"{n}@example.org", "organisation": org}
                for n in names
            ]
    return {
        "programme": {
            "code": "TB",
            "name": "Trail bench programme",
            "starts": "2020-01-01",
            "ends": "2035-12-31",
            "phases": [{"code": "P1", "starts": "2020-01-01", "ends": "2035-12-31", "target": 100000}],
            "participation_target_percent": 10,
        },
        "organisations": [
            {
                "code": "TF",
                "name": "Trail bench federation",
                "level": "federation",
                "councils": [
                    {
                        "code": "TF-HD",
                        "kind": "federation",
                        "quorum": 1,
                        "members": [{"username": "tf1", "role": "chair"}],
                    }
                ],
                "children": sectors,
            }
        ],
        "people": people,
    }


def _db(url=None):
    parsed = urlparse(url or os.environ["DATABASE_URL"])
    return parsed, parsed.path.lstrip("/")


def _admin_sql(sql: str) -> None:
    import psycopg

    parsed, _name = _db()
    with psycopg.connect(
        host=parsed.hostname, port=parsed.port or 5432, user=parsed.username, dbname="postgres", autocommit=True
    ) as conn:
        conn.execute(sql)


def _copy(source: str, target: str) -> None:
    _admin_sql(
        f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname IN ('{source}', '{target}') "
        "AND pid <> pg_backend_pid()"
    )
    _admin_sql(f'DROP DATABASE IF EXISTS "{target}"')
    _admin_sql(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')


def seed(args) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    path = os.path.join(tempfile.mkdtemp(), "trail_bench.json")
    with open(path, "w") as f:
        json.dump(structure(args.affiliates), f, ensure_ascii=False)
    call_command("load_structure", path, verbosity=0)
    from councils.models import Organisation, User
    from initiatives.actions import initiative_create
    from workflow.actions import initiative_forward, initiative_submit, vote_cast

    t0 = time.perf_counter()
    for a in range(1, args.affiliates + 1):
        u = f"S{a}U"
        unit = Organisation.objects.get(code=u)
        author = User.objects.get(username=f"{u.lower()}a")
        adviser = User.objects.get(username=f"{u.lower()}tv")
        members = [User.objects.get(username=f"{u.lower()}m{k}") for k in range(1, 6)]
        for i in range(args.per):
            ini = initiative_create(
                actor=author,
                organisation=unit,
                authors=[{"user": author, "share_percent": 100}],
                title=f"Sáng kiến cải tiến số {a}-{i:05d} cho băng tải",
                summary="Tóm tắt",
                problem="Băng tải dừng nhiều lần mỗi ca",
                solution="Lắp cảm biến và bộ điều khiển mới",
                applied_since=datetime.date(2024, 3, 1),
                category="technical",
                benefit_value_vnd=1000000,
            )
            initiative_submit(initiative_id=ini.pk, actor=author)
            initiative_forward(initiative_id=ini.pk, actor=adviser)
            for member, decision in zip(members, PATTERNS[i % 3], strict=True):
                vote_cast(
                    initiative_id=ini.pk,
                    actor=member,
                    decision=decision,
                    comment="" if decision == "approve" else "Lý do của thành viên",
                )
    print(json.dumps({"seeded": args.per * args.affiliates, "seconds": round(time.perf_counter() - t0, 1)}), flush=True)
    from django.db import connection

    connection.close()
    if args.template:
        _copy(_db()[1], args.template)
        print(json.dumps({"template": args.template}), flush=True)


def worker(args) -> None:
    """One process: close ``--per`` sessions of affiliate ``--affiliate``, starting at ``--start``."""
    import django

    django.setup()
    from councils.models import User
    from initiatives.models import Initiative
    from workflow.actions import initiative_close

    u = f"S{args.affiliate}U"
    if args.hold_ms is not None:
        return _append_worker(args, u)
    chair = User.objects.get(username=f"{u.lower()}m1")
    ids = list(
        Initiative.objects.filter(state="unit_council", organisation__code=u)
        .order_by("pk")
        .values_list("pk", flat=True)
    )[: args.per]
    if len(ids) < args.per:
        sys.exit(f"affiliate {args.affiliate}: only {len(ids)} sessions to close")
    initiative_close(initiative_id=ids[0], actor=chair)  # warm-up (not timed): caches, prepared plans
    ids = ids[1:]
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = cursor.fetchone()[0]
    while time.time() < args.start:
        time.sleep(0.001)
    lat = []
    b0 = _proc_cpu(backend)
    c0 = time.process_time()
    t0 = time.time()
    for pk in ids:
        t = time.perf_counter()
        initiative_close(initiative_id=pk, actor=chair)
        lat.append((time.perf_counter() - t) * 1000)
    t1 = time.time()
    cpu = time.process_time() - c0
    backend_cpu = _proc_cpu(backend) - b0
    lat.sort()
    print(
        json.dumps(
            {
                "affiliate": args.affiliate,
                "n": len(ids),
                "python_cpu_ms_per_close": round(cpu * 1000 / len(ids), 1),
                "backend_cpu_ms_per_close": round(backend_cpu * 1000 / len(ids), 1),
                "t0": t0,
                "t1": t1,
                "p50_ms": round(statistics.median(lat), 2),
                "p95_ms": round(lat[max(0, int(0.95 * len(lat)) - 1)], 2),
            }
        ),
        flush=True,
    )


def _proc_cpu(pid) -> float:
    """CPU seconds (user + system) of process ``pid`` so far, from /proc (this machine's
    PostgreSQL backend serving the worker: the database's share of a close)."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine so far (/proc/stat's first line)."""
    ticks = [int(x) for x in open("/proc/stat").readline().split()[1:]]
    idle = ticks[3] + ticks[4]
    hz = os.sysconf("SC_CLK_TCK")
    return (sum(ticks) - idle) / hz, sum(ticks) / hz


def _append_worker(args, u) -> None:
    """The lock alone: ``--per`` transactions that append one entry to the affiliate's trail (the
    project's ``audit_record``) and then hold the transaction open ``--hold-ms`` (as a close's work
    after its append, its commit and WAL flush do) without using the CPU."""
    from django.db import connection, transaction

    from audit.actions import audit_record
    from councils.models import Organisation

    path = Organisation.objects.get(code=u).path

    def one(i):
        with transaction.atomic():
            audit_record(actor=None, action="bench", object_type="x", object_id=i, scope_path=path)
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_sleep(%s)", [args.hold_ms / 1000])

    one(-1)
    while time.time() < args.start:
        time.sleep(0.001)
    lat = []
    t0 = time.time()
    for i in range(args.per - 1):
        t = time.perf_counter()
        one(i)
        lat.append((time.perf_counter() - t) * 1000)
    t1 = time.time()
    lat.sort()
    print(
        json.dumps(
            {
                "affiliate": args.affiliate,
                "n": len(lat),
                "t0": t0,
                "t1": t1,
                "p50_ms": round(statistics.median(lat), 2),
                "p95_ms": round(lat[max(0, int(0.95 * len(lat)) - 1)], 2),
            }
        ),
        flush=True,
    )


def _one_run(args, workers: int) -> dict:
    _, name = _db()
    _copy(args.template, name)
    env = dict(os.environ)
    start = time.time() + 4.0 + 0.5 * workers  # every process set up before the common start
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                os.path.abspath(__file__),
                "worker",
                "--affiliate",
                str(k),
                "--per",
                str(args.per + 1),
                "--start",
                str(start),
                *(["--hold-ms", str(args.hold_ms)] if args.hold_ms is not None else []),
            ],
            stdout=subprocess.PIPE,
            env=env,
            cwd=os.getcwd(),
        )
        for k in range(1, workers + 1)
    ]
    while time.time() < start:
        time.sleep(0.001)
    busy0, _ = _busy()
    results = []
    for p in procs:
        out, _ = p.communicate()
        if p.returncode:
            sys.exit(f"a worker failed ({p.returncode})")
        results.append(json.loads(out.decode().strip().splitlines()[-1]))
    busy1, _ = _busy()
    first = min(r["t0"] for r in results)
    last = max(r["t1"] for r in results)
    total = sum(r["n"] for r in results)
    late = max(r["t0"] for r in results) - first
    return {
        "workers": workers,
        "closes": total,
        "closes_per_s": round(total / (last - first), 1),
        "late_start_s": round(late, 3),
        "per_worker_per_s": [round(r["n"] / (r["t1"] - r["t0"]), 1) for r in results],
        "p50_ms": [r["p50_ms"] for r in results],
        "p95_ms": [r["p95_ms"] for r in results],
        "python_cpu_ms": [r.get("python_cpu_ms_per_close") for r in results],
        "backend_cpu_ms": [r.get("backend_cpu_ms_per_close") for r in results],
        # the whole machine's CPU in use while the workers ran (cores; 2.0 = both busy), and its
        # CPU per close: cores / (CPU seconds per close) is the ceiling no number of workers passes
        "cores_busy": round((busy1 - busy0) / max(1e-9, time.time() - start), 2),
        "machine_cpu_ms_per_close": round((busy1 - busy0) * 1000 / total, 1),
        "ceiling_per_s": round(os.cpu_count() * total / max(1e-9, busy1 - busy0), 1),
        # the same from the workers' own CPU (their Python and their PostgreSQL backends): valid
        # on a loaded machine too, but blind to PostgreSQL's background writers
        "own_ceiling_per_s": _own_ceiling(results),
    }


def _own_ceiling(results) -> float | None:
    per_close = [
        (r["python_cpu_ms_per_close"] + r["backend_cpu_ms_per_close"])
        for r in results
        if r.get("backend_cpu_ms_per_close") is not None
    ]
    if not per_close:
        return None
    return round(os.cpu_count() * 1000 / statistics.mean(per_close), 1)


def _check() -> dict:
    """Outside the timed part: the trail verifies (whole chain, heads) after the concurrent closes."""
    out = subprocess.run(
        [sys.executable, "manage.py", "verify_audit"], capture_output=True, text=True, cwd=os.getcwd(), env=os.environ
    )
    return {"verify_exit": out.returncode, "verify": (out.stdout or out.stderr).strip()[-200:]}


def run(args) -> None:
    figures = {w: [] for w in args.workers}
    ceilings = {w: [] for w in args.workers}
    own = {w: [] for w in args.workers}
    for rep in range(args.reps):
        for w in args.workers:  # interleaved: drift on the machine hits every figure alike
            result = _one_run(args, w)
            if rep == 0 and w == max(args.workers) and args.hold_ms is None:
                result.update(_check())
            print(json.dumps({"rep": rep + 1, **result}, ensure_ascii=False), flush=True)
            figures[w].append(result["closes_per_s"])
            ceilings[w].append(result["ceiling_per_s"])
            own[w].append(result["own_ceiling_per_s"])
    med = {w: statistics.median(v) for w, v in figures.items()}
    base = med[min(args.workers)]
    # the CPU bound: the closes/s the machine's cores allow at the CPU one close costs (whole machine,
    # measured in the runs with the most workers), against the one-worker rate
    cpu_ceiling = statistics.median(ceilings[max(args.workers)])
    own_ceiling = statistics.median([x for x in own[min(args.workers)] if x] or [0])
    print(
        json.dumps(
            {
                "summary": {
                    str(w): {"runs": figures[w], "median": med[w], "speedup": round(med[w] / base, 2)}
                    for w in args.workers
                },
                "cpu_ceiling_per_s": cpu_ceiling,
                "cpu_ceiling_speedup": round(cpu_ceiling / base, 2),
                "own_cpu_ceiling_per_s": own_ceiling,
                "own_cpu_ceiling_speedup": round(own_ceiling / base, 2),
            }
        ),
        flush=True,
    )


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("seed")
    s.add_argument("--per", type=int, default=80)
    s.add_argument("--affiliates", type=int, default=8)
    s.add_argument("--template", default="")
    r = sub.add_parser("run")
    r.add_argument("--workers", type=int, nargs="+", default=[1, 4, 8])
    r.add_argument("--per", type=int, default=60)
    r.add_argument("--reps", type=int, default=3)
    r.add_argument("--template", required=True)
    r.add_argument(
        "--hold-ms",
        type=float,
        default=None,
        help="instead of closes: transactions that append one entry and stay open this long (the lock alone)",
    )
    w = sub.add_parser("worker")
    w.add_argument("--affiliate", type=int, required=True)
    w.add_argument("--per", type=int, required=True)
    w.add_argument("--start", type=float, required=True)
    w.add_argument("--hold-ms", type=float, default=None)
    args = ap.parse_args()
    {"seed": seed, "run": run, "worker": worker}[args.cmd](args)


if __name__ == "__main__":
    main()

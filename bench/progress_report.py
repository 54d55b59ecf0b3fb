"""Benchmark of the progress report on PostgreSQL (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/progress_report.py --initiatives 200000

Seeds (once: the tree with the ORM, the initiatives in SQL) a sector of 20 corporations × 50 units,
N initiatives over 2021-09 .. 2023-09 with 1–3 authors each (users and names), rebuilds the progress
counters (``rebuild_progress_counters``, timed), then prints p50/p95 of ``progress_report`` for the
sector (1,021 rows), for one phase and for one corporation (51 rows), read from the counters and
computed live, and the cost the counters add to one registration.
"""

import argparse
import datetime
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

from bench.common import bench_phases, percentiles, seed_authors  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from councils.models import Organisation, User  # noqa: E402
from initiatives.counters import progress_counters_current, progress_counters_rebuild, progress_registered  # noqa: E402
from initiatives.models import Initiative, OrganisationTarget, Phase, Programme  # noqa: E402
from reports.selectors import period_for, progress_report  # noqa: E402


def seed(n: int):
    with transaction.atomic():
        root = Organisation.objects.add_root({"code": "B-VGCL", "name": "Bench federation", "level": "federation"})
        sector = Organisation.objects.add_child(
            root, {"code": "B-SECTOR", "name": "Bench sector", "level": "sector", "headcount": 500_000}
        )
        programme = Programme.objects.create(
            code="B-PROG", name="Bench", starts=datetime.date(2021, 9, 1), ends=datetime.date(2023, 9, 30)
        )
        p1, p2 = bench_phases(programme)
        units = []
        for c in range(20):
            corp = Organisation.objects.add_child(
                sector, {"code": f"B-C{c}", "name": f"Corporation {c}", "level": "corporation", "headcount": 20000}
            )
            OrganisationTarget.objects.create(organisation=corp, phase=p2, initiatives=2000)
            for u in range(50):
                unit = Organisation.objects.add_child(
                    corp, {"code": f"B-C{c}-U{u}", "name": f"Unit {c}.{u}", "level": "unit", "headcount": 400}
                )
                OrganisationTarget.objects.create(organisation=unit, phase=p1, initiatives=20)
                units.append(unit)
        users = User.objects.bulk_create(User(username=f"bench{i}") for i in range(5000))
    # the initiatives and their authors in SQL (generate_series), the same mix as the ORM seed had:
    # submitted uniformly over 750 days from 2021-09-01 08:00, half recognised 30 days later,
    # a state among 4 (one of them withdrawn), 1-3 authors each, 70 % with an account
    unit_ids = [u.pk for u in units]
    user_ids = [u.pk for u in users]
    tz = timezone.get_current_timezone()
    start = datetime.datetime(2021, 9, 1, 8, tzinfo=tz)
    batch = 250_000
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.1)")
        for offset in range(0, n, batch):
            size = min(batch, n - offset)
            cursor.execute(
                """
                INSERT INTO initiatives_initiative (title, summary, problem, solution, category, organisation_id,
                    programme_id, benefit_value_vnd, confidential, state, version, dossier_version,
                    created_by_id, created_at, updated_at, submitted_at, recognised_at, search_text, dup_key)
                SELECT 'Sáng kiến thử tải', '', '', '',
                       (ARRAY['technical', 'management', 'union', 'covid'])[1 + floor(random() * 4)::int],
                       (%(units)s::int[])[1 + floor(random() * %(nunits)s)::int], %(programme)s,
                       floor(random() * 100000000)::bigint, false,
                       (ARRAY['advisory_review', 'unit_council', 'corporation_council', 'withdrawn'])
                           [1 + floor(random() * 4)::int],
                       1, 0, %(creator)s, now(), now(), s.at,
                       CASE WHEN random() < 0.5 THEN s.at + interval '30 days' END, '', ''
                FROM (SELECT g, %(start)s::timestamptz + floor(random() * 750 * 86400) * interval '1 second' AS at
                      FROM generate_series(1, %(size)s) g) s
                RETURNING id
                """,
                {
                    "units": unit_ids,
                    "nunits": len(unit_ids),
                    "programme": programme.pk,
                    "creator": users[0].pk,
                    "start": start,
                    "size": size,
                },
            )
            ids = [r[0] for r in cursor.fetchall()]
            seed_authors(cursor, ids, user_ids)
            print(f"  seeded {offset + size}", flush=True)
        cursor.execute("ANALYZE")


def timeit(label, fn, runs):
    p50, p95 = percentiles(fn, runs)
    print(f"{label:<48} p50 {p50:7.1f} ms   p95 {p95:7.1f} ms   ({runs} runs)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--initiatives", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--live-runs", type=int, default=5, help="runs of the live path (slow at large N)")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL=postgres://… (this benchmark is for PostgreSQL)")
    call_command("migrate", verbosity=0)
    have = Initiative.objects.filter(organisation__code__startswith="B-").count()
    if have != args.initiatives:
        if have:
            sys.exit(f"The database holds {have} bench initiatives; use a fresh database for another size.")
        print(f"seeding {args.initiatives} initiatives …", flush=True)
        seed(args.initiatives)
    if not progress_counters_current():
        t = time.perf_counter()
        sizes = progress_counters_rebuild()
        print(f"rebuild_progress_counters: {time.perf_counter() - t:.1f} s ({sizes})", flush=True)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    programme = Programme.objects.get(code="B-PROG")
    sector, corp = Organisation.objects.get(code="B-SECTOR"), Organisation.objects.get(code="B-C3")
    whole = period_for(programme=programme)
    phase1 = period_for(programme=programme, phase=Phase.objects.get(programme=programme, code="P1"))
    rows = progress_report(root=sector, period=whole)
    live = progress_report(root=sector, period=whole, counters=False)
    assert rows == live, "the counters disagree with the live report"
    print(f"{len(rows)} rows; sector registered {rows[0]['registered']}, authors {rows[0]['authors']}")
    cases = [
        ("sector (1,021 organisations), whole programme", sector, whole),
        ("sector, phase 1", sector, phase1),
        ("one corporation (51 organisations), whole", corp, whole),
    ]
    for label, root, period in cases:
        timeit(f"counters: {label}", lambda r=root, p=period: progress_report(root=r, period=p), args.runs)
    for label, root, period in cases:
        timeit(
            f"live:     {label}",
            lambda r=root, p=period: progress_report(root=r, period=p, counters=False),
            args.live_runs,
        )
    # the cost the counters add to one registration (inside a transaction rolled back)
    sample = list(
        Initiative.objects.filter(organisation__code__startswith="B-", submitted_at__isnull=False)
        .exclude(state="withdrawn")
        .select_related("organisation")[:200]
    )
    times = []
    for ini in sample:
        with transaction.atomic():
            t = time.perf_counter()
            progress_registered(ini)
            times.append((time.perf_counter() - t) * 1000)
            transaction.set_rollback(True)
    times.sort()
    print(
        f"{'counter update for one registration':<56} p50 {statistics.median(times):7.2f} ms   "
        f"p95 {times[int(0.95 * len(times)) - 1]:7.2f} ms   ({len(times)} runs)"
    )


if __name__ == "__main__":
    main()

"""Benchmark of the progress report on PostgreSQL (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/reports_bench DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/progress_report.py --initiatives 200000

Seeds (once, with bulk_create) a sector of 20 corporations × 50 units, N initiatives over 2021-09 ..
2023-09 with 1–3 authors each (users and names), then prints p50/p95 of ``progress_report`` for the
sector (1,021 rows), for one corporation (51 rows) and for one phase.
"""

import argparse
import datetime
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from councils.models import Organisation, User  # noqa: E402
from initiatives.models import Initiative, InitiativeAuthor, OrganisationTarget, Phase, Programme  # noqa: E402
from reports.selectors import period_for, progress_report  # noqa: E402


def seed(n: int):
    rng = random.Random(1)
    with transaction.atomic():
        root = Organisation.objects.add_root({"code": "B-VGCL", "name": "Bench federation", "level": "federation"})
        sector = Organisation.objects.add_child(
            root, {"code": "B-SECTOR", "name": "Bench sector", "level": "sector", "headcount": 500_000}
        )
        programme = Programme.objects.create(
            code="B-PROG", name="Bench", starts=datetime.date(2021, 9, 1), ends=datetime.date(2023, 9, 30)
        )
        p1 = Phase.objects.create(
            programme=programme,
            code="P1",
            starts=datetime.date(2021, 9, 1),
            ends=datetime.date(2022, 5, 31),
            target=3000,
        )
        p2 = Phase.objects.create(
            programme=programme,
            code="P2",
            starts=datetime.date(2022, 6, 1),
            ends=datetime.date(2023, 9, 30),
            target=7000,
        )
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
    creator = users[0]
    tz = timezone.get_current_timezone()
    start = datetime.datetime(2021, 9, 1, 8, tzinfo=tz)
    span = 750 * 86400
    batch = 20_000
    for offset in range(0, n, batch):
        with transaction.atomic():
            rows = []
            for _ in range(min(batch, n - offset)):
                submitted = start + datetime.timedelta(seconds=rng.randint(0, span))
                recognised = submitted + datetime.timedelta(days=30) if rng.random() < 0.5 else None
                rows.append(
                    Initiative(
                        title="Sáng kiến thử tải",
                        category=rng.choice(["technical", "management", "union", "covid"]),
                        organisation=rng.choice(units),
                        programme=programme,
                        benefit_value_vnd=rng.randint(0, 10**8),
                        state=rng.choice(["advisory_review", "unit_council", "corporation_council", "withdrawn"]),
                        created_by=creator,
                        submitted_at=submitted,
                        recognised_at=recognised,
                    )
                )
            created = Initiative.objects.bulk_create(rows, batch_size=5000)
            authors = []
            for ini in created:
                for k in range(rng.randint(1, 3)):
                    if rng.random() < 0.7:
                        authors.append(
                            InitiativeAuthor(
                                initiative=ini, user=rng.choice(users), full_name="x", share_percent=30, position=k
                            )
                        )
                    else:
                        authors.append(
                            InitiativeAuthor(
                                initiative=ini, full_name=f"Người {rng.randint(0, 50000)}", share_percent=30, position=k
                            )
                        )
            InitiativeAuthor.objects.bulk_create(authors, batch_size=10000)
        print(f"  seeded {offset + len(rows)}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def timeit(label, fn, runs):
    fn()  # warm
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    p95 = times[max(0, int(round(0.95 * len(times))) - 1)]
    print(f"{label:<48} p50 {statistics.median(times):7.1f} ms   p95 {p95:7.1f} ms   ({runs} runs)")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--initiatives", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=20)
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
    programme = Programme.objects.get(code="B-PROG")
    sector, corp = Organisation.objects.get(code="B-SECTOR"), Organisation.objects.get(code="B-C3")
    whole = period_for(programme=programme)
    phase1 = period_for(programme=programme, phase=Phase.objects.get(programme=programme, code="P1"))
    rows = progress_report(root=sector, period=whole)
    print(f"{len(rows)} rows; sector registered {rows[0]['registered']}, authors {rows[0]['authors']}")
    timeit(
        "sector (1,021 organisations), whole programme", lambda: progress_report(root=sector, period=whole), args.runs
    )
    timeit("sector, phase 1", lambda: progress_report(root=sector, period=phase1), args.runs)
    timeit("one corporation (51 organisations), whole", lambda: progress_report(root=corp, period=whole), args.runs)


if __name__ == "__main__":
    main()

"""What the benchmarks share: timing with percentiles, seeding authors in SQL, the programme's phases."""

import datetime
import gc
import statistics
import time

AUTHORS_SQL = """
    INSERT INTO initiatives_initiativeauthor (initiative_id, user_id, full_name, share_percent, position, consent,
        consent_comment)
    SELECT a.id, CASE WHEN a.r < 0.7 THEN (%(users)s::int[])[1 + floor(random() * %(nusers)s)::int] END,
           CASE WHEN a.r < 0.7 THEN 'x' ELSE 'Người ' || floor(random() * 50001)::int END, 30, a.k,
           'not_required', ''
    FROM (SELECT i.id, k, random() AS r
          FROM unnest(%(ids)s::bigint[]) AS i(id)
          CROSS JOIN LATERAL generate_series(0, floor(random() * 3 + 0 * i.id)::int) AS k) a
"""


def seed_authors(cursor, ids, user_ids) -> None:
    """1–3 authors per initiative: 70 % of them users, the others names without an account."""
    cursor.execute(AUTHORS_SQL, {"users": user_ids, "nusers": len(user_ids), "ids": ids})


_FROZEN = []


def like_a_web_process() -> None:
    """Once per benchmark process, after its first request: what ``config/wsgi.py`` does in a web
    process after its first (``gc.freeze``: Django, the modules, resolvers, templates out of the
    collector's way), so that a full collection walking all of them does not land, as a 50–90 ms
    pause, in a timed request that a web process would not pause in."""
    if not _FROZEN:
        gc.collect()
        gc.freeze()
        _FROZEN.append(True)


def percentiles(fn, runs: int) -> tuple[float, float]:
    """(p50, p95) in milliseconds over ``runs`` calls, after one warm-up call."""
    fn()
    like_a_web_process()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return statistics.median(times), times[max(0, int(round(0.95 * len(times))) - 1)]


def bench_phases(programme):
    """The bench programme's two phases (P1 to May 2022, target 3,000; P2 after, 7,000): what the
    progress reports measure against."""
    from initiatives.models import Phase

    p1 = Phase.objects.create(
        programme=programme, code="P1", starts=datetime.date(2021, 9, 1), ends=datetime.date(2022, 5, 31), target=3000
    )
    p2 = Phase.objects.create(
        programme=programme, code="P2", starts=datetime.date(2022, 6, 1), ends=datetime.date(2023, 9, 30), target=7000
    )
    return p1, p2

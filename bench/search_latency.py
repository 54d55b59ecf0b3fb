"""Benchmark of the dossier search on PostgreSQL (not a test; issue 11, goal p95 ≤ 100 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/search_bench DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/search_latency.py 200000

Seeds once with ``bench/list_endpoints.py``'s seeding (a sector of 20 corporations × 50 units,
initiatives, authors, sessions and audit entries in SQL; the search vector is filled by the
trigger of migration ``initiatives.0007`` as the rows go in), then times
``GET /api/v1/initiatives/?q=…`` — filtered by what each persona may see, counted, ranked, one
page highlighted — for a few personas and queries, and prints p50/p95 in milliseconds, and the
p50 of the time spent finding the matches alone ("find": ``initiatives.search._find``, or the
former ``_newest_matches`` when run on older code), and the p50 of the CPU time a request takes
("cpu": this process's and its PostgreSQL backend's, read from ``/proc``; on a machine shared with
other work, wall time waits for the cores, CPU time much less — compare runs by it when loaded).

Then the same searches through the page (``/initiatives/?q=``: the list page, where the header's
search box leads), the library's ``q=`` (API and page: the same for everyone) and the auditor's
trail ``q=`` (``/api/v1/audit/entries/?q=`` and ``/audit/?q=``, as the sector's auditor).
``--skip-pages`` leaves the pages out, ``--only`` picks personas, ``--queries`` picks queries
(their indexes in ``QUERIES``, comma-separated).
"""

import argparse
import logging
import os
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from bench.common import like_a_web_process, percentiles  # noqa: E402
from bench.list_endpoints import personas, prepare  # noqa: E402
from initiatives import search  # noqa: E402
from tests.otp import verified_session  # noqa: E402  (the pages ask officers for a second factor)

QUERIES = [
    "máy biến áp",  # three words, accented: a common subject of the register
    "may bien ap",  # the same without accents
    "cau chi tu r",  # a word begun, not finished
    "flycam cau chi",  # two common words that (almost) never meet: the index must not walk the table
    "dien",  # nearly every dossier matches: the worst case
]
PERSONAS = ["sector officer", "corporation officer", "unit officer", "adviser", "author"]
# the trail's q= looks in the comment, the actor's name and the action
TRAIL_QUERIES = ["submit", "bench", "khong co"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("initiatives", type=int, nargs="?", default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated persona names")
    parser.add_argument("--queries", default="", help="comma-separated indexes into QUERIES")
    parser.add_argument("--skip-pages", action="store_true", help="the API only")
    parser.add_argument("--skip-others", action="store_true", help="leave out the library and the trail")
    args = parser.parse_args()
    prepare(args.initiatives)
    people = personas()
    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("sangkien.request").setLevel(logging.WARNING)  # a line per request otherwise
    api, web = APIClient(), Client()
    queries = [QUERIES[int(i)] for i in args.queries.split(",")] if args.queries else QUERIES
    print(f"N = {args.initiatives}, {args.runs} runs each, p50 / p95 in ms; load average {os.getloadavg()}")
    print(f"{'persona':<22} {'where':<12} {'q':<22} {'count':>8} {'p50':>8} {'p95':>8} {'find p50':>8} {'cpu p50':>8}")
    worst = {}
    # the time spent finding the matches (the search itself, without the request around it: on a
    # loaded machine the rest of a request — sessions, visibility, serialising — dominates)
    finder = "_find" if hasattr(search, "_find") else "_newest_matches"
    spent = []
    original = getattr(search, finder)

    def measured(*a, **k):
        t = time.perf_counter()
        try:
            return original(*a, **k)
        finally:
            spent.append((time.perf_counter() - t) * 1000)

    setattr(search, finder, measured)

    def timed(name, where, client, path, q, *, count=True):
        url = path + "?" + urlencode({"q": q})
        r = client.get(url)
        like_a_web_process()
        backend = _backend_pid()
        cpu = []

        def get(u=url):
            t = _cpu_ms(backend)
            client.get(u)
            cpu.append(_cpu_ms(backend) - t)

        assert r.status_code == 200, (url, r.status_code, r.content[:300])
        shown = ""
        if count:
            body = r.json()
            shown = f"{body['count']}{'' if body.get('count_exact', True) else '+'}"
        spent.clear()
        p50, p95 = percentiles(get, args.runs)
        worst[where] = max(worst.get(where, 0.0), p95)
        found = sorted(spent[1:])
        find = f"{statistics.median(found):8.1f}" if found else f"{'':>8}"
        used = f"{statistics.median(cpu[1:]):8.1f}"
        print(f"{name:<22} {where:<12} {q:<22} {shown:>8} {p50:8.1f} {p95:8.1f} {find} {used}", flush=True)

    for name in PERSONAS:
        if args.only and name not in args.only.split(","):
            continue
        user, _code = people[name]
        api.force_authenticate(user)
        web.force_login(user)
        verified_session(web, user)
        for q in queries:
            timed(name, "api", api, "/api/v1/initiatives/", q)
            if not args.skip_pages:  # the list page: where the header's search box leads
                timed(name, "page", web, "/initiatives/", q, count=False)
    if not args.skip_others:
        user, _code = people["sector officer"]
        api.force_authenticate(user)
        web.force_login(user)
        verified_session(web, user)
        for q in queries:
            timed("anyone", "library api", api, "/api/v1/library/", q)
            if not args.skip_pages:
                timed("anyone", "library page", web, "/library/", q, count=False)
        user, _code = people["auditor"]
        api.force_authenticate(user)
        web.force_login(user)
        verified_session(web, user)
        for q in TRAIL_QUERIES + queries[:1]:
            timed("auditor", "trail api", api, "/api/v1/audit/entries/", q, count=False)
            if not args.skip_pages:
                timed("auditor", "trail page", web, "/audit/", q, count=False)
    print("worst p95: " + ", ".join(f"{k} {v:.1f} ms" for k, v in worst.items()))
    print(f"load average {os.getloadavg()}")


def _backend_pid() -> int | None:
    """The PostgreSQL backend of this process's connection (the test clients keep it open)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def _cpu_ms(backend: int | None) -> float:
    """CPU milliseconds used so far by this process and by ``backend`` (Linux: its run time in
    ``/proc/<pid>/schedstat``, when this machine runs the database; else this process alone)."""
    used = time.process_time() * 1000
    try:
        with open(f"/proc/{backend}/schedstat") as f:
            used += int(f.read().split()[0]) / 1e6
    except (OSError, ValueError, IndexError):
        pass
    return used


if __name__ == "__main__":
    main()

"""Benchmark of the dossier search on PostgreSQL (not a test; issue 11, goal p95 ≤ 100 ms).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/search_bench DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/search_latency.py 200000

Seeds once with ``bench/list_endpoints.py``'s seeding (a sector of 20 corporations × 50 units,
initiatives, authors, sessions and audit entries in SQL; the search vector is filled by the
trigger of migration ``initiatives.0007`` as the rows go in), then times
``GET /api/v1/initiatives/?q=…`` — filtered by what each persona may see, counted, ranked, one
page highlighted — for a few personas and queries, and prints p50/p95 in milliseconds.
"""

import argparse
import os
import sys
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from rest_framework.test import APIClient  # noqa: E402

from bench.common import percentiles  # noqa: E402
from bench.list_endpoints import personas, prepare  # noqa: E402

QUERIES = [
    "máy biến áp",  # three words, accented: a common subject of the register
    "may bien ap",  # the same without accents
    "cau chi tu r",  # a word begun, not finished
    "flycam cau chi",  # two common words that (almost) never meet: the index must not walk the table
    "dien",  # nearly every dossier matches: the worst case
]
PERSONAS = ["sector officer", "corporation officer", "unit officer", "adviser", "author"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("initiatives", type=int, nargs="?", default=200_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", default="", help="comma-separated persona names")
    args = parser.parse_args()
    prepare(args.initiatives)
    people = personas()
    client = APIClient()
    print(f"N = {args.initiatives}, {args.runs} runs each, p50 / p95 in ms (GET /api/v1/initiatives/?q=…)")
    print(f"{'persona':<22} {'q':<22} {'count':>8} {'p50':>8} {'p95':>8}")
    worst = 0.0
    for name in PERSONAS:
        if args.only and name not in args.only.split(","):
            continue
        user, _code = people[name]
        client.force_authenticate(user)
        for q in QUERIES:
            url = "/api/v1/initiatives/?" + urlencode({"q": q})
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code, r.content[:300])
            p50, p95 = percentiles(lambda u=url: client.get(u), args.runs)
            worst = max(worst, p95)
            print(f"{name:<22} {q:<22} {r.json()['count']:>8} {p50:8.1f} {p95:8.1f}", flush=True)
    print(f"worst p95: {worst:.1f} ms")


if __name__ == "__main__":
    main()

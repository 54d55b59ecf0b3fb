"""What the database does for one request (not a test): every query a page or an API call runs,
each SELECT explained with ``EXPLAIN (ANALYZE, BUFFERS)`` — its execution time and blocks touched,
which do not depend on the machine's load as wall time does — and the request's wall time split
between SQL and the rest (Python: views, serializers, templates).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<a bench database> DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/explain_request.py "corp. council member" api "/api/v1/initiatives/?category=technical"

The personas are ``bench/list_endpoints.py``'s (run it once on the database first); ``{first}`` in
the address: the newest dossier of the persona's list (``bench/explain_cases.sh`` runs the slow
cases of the 2 M run). ``--plans`` prints each query's plan; ``--sql`` each query's text.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402


def blocks(plan: dict) -> int:
    return plan.get("Shared Hit Blocks", 0) + plan.get("Shared Read Blocks", 0)


def main():
    from bench.list_endpoints import personas, signed_in

    parser = argparse.ArgumentParser()
    parser.add_argument("persona")
    parser.add_argument("door", choices=["api", "page"])
    parser.add_argument("url")
    parser.add_argument("--plans", action="store_true")
    parser.add_argument("--sql", action="store_true")
    parser.add_argument("--runs", type=int, default=5, help="timed requests after the explained one")
    args = parser.parse_args()
    settings.ALLOWED_HOSTS = ["*"]
    logging.getLogger("sangkien.request").setLevel(logging.WARNING)
    user, _code = personas()[args.persona]
    if args.door == "api":
        client = APIClient()
        client.force_authenticate(user)
    else:
        client = Client()
        signed_in(client, user)
    if "{first}" in args.url:  # the newest dossier of the persona's list (as list_endpoints' detail)
        lister = APIClient()
        lister.force_authenticate(user)
        first = lister.get("/api/v1/initiatives/?page_size=1").json()["results"][0]["id"]
        args.url = args.url.replace("{first}", str(first))
    r = client.get(args.url)
    assert r.status_code == 200, (r.status_code, r.content[:300])
    from django.db import reset_queries

    reset_queries()
    with CaptureQueriesContext(connection) as ctx:
        t = time.perf_counter()
        client.get(args.url)
        wall = (time.perf_counter() - t) * 1000
    captured = list(ctx.captured_queries)
    sql_ms = sum(float(q["time"]) for q in captured) * 1000
    walls = []
    for _ in range(args.runs):
        t = time.perf_counter()
        client.get(args.url)
        walls.append((time.perf_counter() - t) * 1000)
    walls.sort()
    print(
        f"{args.persona} {args.door} {args.url}: {len(captured)} queries, wall {wall:.1f} ms "
        f"(SQL round trips {sql_ms:.1f} ms); {args.runs} more: min {walls[0]:.1f} median {walls[len(walls) // 2]:.1f}"
    )
    total_ms, total_blocks = 0.0, 0
    seen = {}
    for i, q in enumerate(captured):
        sql = q["sql"]
        seen[sql] = seen.get(sql, 0) + 1
        if not sql.lstrip().upper().startswith(("SELECT", "WITH", "(SELECT")):
            print(f"  {i:2d}  —  {sql[:140]}")
            continue
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql)
            out = cursor.fetchone()[0]
        out = json.loads(out) if isinstance(out, str) else out
        plan = out[0]
        ms = plan["Execution Time"] + plan.get("Planning Time", 0)
        b = blocks(plan["Plan"])
        total_ms += ms
        total_blocks += b
        text = " ".join(sql.split())
        print(f"  {i:2d} {ms:7.2f} ms {b:7d} blocks  {text[: 400 if args.sql else 150]}")
        if args.plans:
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                for (line,) in cursor.fetchall():
                    print("        " + line)
    repeats = {s: n for s, n in seen.items() if n > 1}
    print(f"  total: {total_ms:.1f} ms planning+executing, {total_blocks} blocks; repeated queries: {len(repeats)}")
    for s, n in repeats.items():
        print(f"    ×{n} {' '.join(s.split())[:160]}")


if __name__ == "__main__":
    main()

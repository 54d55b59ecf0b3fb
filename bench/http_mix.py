"""HTTP under load (issue 12, item 5): gunicorn with the shipped configuration on loopback, a Celery
worker and beat, a Redis of its own, a fresh PostgreSQL database holding the demo plus a pool of
dossiers before PC Bình Dương's council; then N concurrent users (asyncio + httpx) run a realistic
mix for a fixed time and the script prints requests per second, p50/p95/p99 per kind and the errors.
It starts and stops everything itself (by pid) and drops its database. By default the database holds
the demo's structure (its tree, people and councils) and the pool; --demo loads the whole demo first.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pg_bench .venv/bin/python bench/http_mix.py \
        --users 50 --duration 60 --pool 150

The mix, per virtual user and step: inbox (GET /tasks/) 30 %, list page 1 (GET /initiatives/) 25 %,
detail (GET /initiatives/{id}/) 30 %, and 15 % "a council decides": three votes and the chair's
close on a dossier of the pool that no other user touches (so a 409 would be a real error).
Every answer other than the expected status (200, or 201 for a vote) counts as an error.
"""

import argparse
import asyncio
import json
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.ops.deployment import Instance  # noqa: E402

READERS = ["lan", "hung", "tuvan1", "hd1", "hd2", "hd3", "tct1", "canbo_spc", "canbo_pcbd", "kiemtra", "nganh1"]
COUNCIL = ["hd1", "hd2", "hd3"]
WEIGHTS = {"inbox": 30, "list": 25, "detail": 30, "decide": 15}

POOL_SCRIPT = """
import datetime, json
from councils.models import Organisation, User
from initiatives.actions import initiative_create
from initiatives.models import Initiative
from workflow.actions import initiative_submit, initiative_forward
from django.test.utils import override_settings
lan, tuvan = User.objects.get(username="lan"), User.objects.get(username="tuvan1")
unit = Organisation.objects.get(code="PCBD")
ids = []
with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
    for n in range({pool}):
        i = initiative_create(actor=lan, organisation=unit, authors=[{{"user": lan, "share_percent": 100}}],
            title=f"Sáng kiến thử tải số {{n}} của PC Bình Dương", summary="Thử tải.", problem="Vấn đề.",
            solution="Giải pháp.", category="technical", benefit_value_vnd=1000000,
            applied_since=datetime.date(2026, 3, 1))
        initiative_submit(initiative_id=i.pk, actor=lan)
        initiative_forward(initiative_id=i.pk, actor=tuvan)
        ids.append(i.pk)
visible = list(Initiative.objects.order_by("id").values_list("id", flat=True)[:400])
print("POOL", json.dumps({{"pool": ids, "visible": visible}}))
"""


def pct(values, p):
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(p / 100 * len(values))) - 1))]


async def run_mix(web, tokens, pool, visible, users, duration, seed):
    rng = random.Random(seed)
    timings: dict[str, list[float]] = {k: [] for k in ("inbox", "list", "detail", "vote", "close")}
    errors: list[tuple] = []
    pool = list(pool)
    rng.shuffle(pool)
    limits = httpx.Limits(max_connections=users, max_keepalive_connections=users)
    async with httpx.AsyncClient(base_url=web, timeout=60, limits=limits) as client:

        async def call(kind, method, path, token, expect, **kw):
            t = time.perf_counter()
            try:
                r = await client.request(method, path, headers={"Authorization": f"Token {token}"}, **kw)
                status = r.status_code
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            timings[kind].append((time.perf_counter() - t) * 1000)
            if status != expect:
                errors.append((kind, path, status))

        async def user(n):
            me = READERS[n % len(READERS)]
            end = time.monotonic() + duration
            kinds, weights = list(WEIGHTS), list(WEIGHTS.values())
            while time.monotonic() < end:
                kind = rng.choices(kinds, weights)[0]
                if kind == "inbox":
                    await call("inbox", "GET", "/api/v1/tasks/", tokens[rng.choice(COUNCIL + [me])], 200)
                elif kind == "list":
                    await call("list", "GET", "/api/v1/initiatives/", tokens[me], 200)
                elif kind == "detail":
                    await call("detail", "GET", f"/api/v1/initiatives/{rng.choice(visible)}/", tokens["kiemtra"], 200)
                elif pool:
                    iid = pool.pop()
                    for voter in COUNCIL:
                        await call(
                            "vote",
                            "POST",
                            f"/api/v1/initiatives/{iid}/votes/",
                            tokens[voter],
                            201,
                            json={"decision": "approve", "score": 80},
                        )
                    await call(
                        "close", "POST", f"/api/v1/initiatives/{iid}/actions/close/", tokens["hd1"], 200, json={}
                    )

        started = time.perf_counter()
        await asyncio.gather(*(user(n) for n in range(users)))
        elapsed = time.perf_counter() - started
    return timings, errors, elapsed


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60)
    parser.add_argument("--pool", type=int, default=150, help="dossiers before the council, for the decisions")
    parser.add_argument(
        "--workers", type=int, default=None, help="gunicorn workers (default: the shipped 2 × cores + 1)"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument(
        "--demo", action="store_true", help="load the whole demo (seed_demo), not only its structure, before the pool"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        sys.exit("DATABASE_URL=postgres://… (a server where this user may create a database)")
    import multiprocessing

    workers = args.workers or min(2 * multiprocessing.cpu_count() + 1, 17)
    with tempfile.TemporaryDirectory(prefix="sangkien-http-mix-") as tmp:
        inst = Instance(Path(tmp), url, web_workers=workers, threads=args.threads)
        try:
            t = time.perf_counter()
            inst.create_database(demo=args.demo)
            if not args.demo:  # the demo's tree, people and councils (seed_demo's first step)
                inst.manage("load_structure", "workflow/demo/structure.json")
            out = inst.manage("shell", "-c", POOL_SCRIPT.format(pool=args.pool))
            data = json.loads(next(line for line in out.splitlines() if line.startswith("POOL "))[5:])
            tokens = inst.tokens(set(READERS + COUNCIL))
            what = "the demo" if args.demo else "the demo's structure"
            print(f"prepared the database in {time.perf_counter() - t:.0f} s: {what} + {len(data['pool'])} dossiers")
            inst.start_redis()
            inst.start_services()
            for _ in range(60):  # warm: every gunicorn worker has imported the application
                if httpx.get(f"{inst.web}/healthz", timeout=30).status_code in (200, 503):
                    break
            timings, errors, elapsed = asyncio.run(
                run_mix(inst.web, tokens, data["pool"], data["visible"], args.users, args.duration, args.seed)
            )
        finally:
            inst.stop()
            inst.drop_database()
    total = sum(len(v) for v in timings.values())
    every = [x for v in timings.values() for x in v]
    report = {
        "users": args.users,
        "duration_s": round(elapsed, 1),
        "gunicorn_workers": workers,
        "threads": args.threads,
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "errors": len(errors),
        "all": {"p50": round(pct(every, 50), 1), "p95": round(pct(every, 95), 1), "p99": round(pct(every, 99), 1)},
        "by_kind": {
            k: {
                "n": len(v),
                "p50": round(pct(v, 50), 1),
                "p95": round(pct(v, 95), 1),
                "p99": round(pct(v, 99), 1),
                "mean": round(statistics.fmean(v), 1) if v else None,
            }
            for k, v in timings.items()
        },
        "first_errors": errors[:10],
    }
    print(json.dumps(report, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())

"""``make bench SCALE=tiny|10k|200k|2M``: the write benchmarks at a scale, figures printed and kept.

    .venv/bin/python bench/run.py --scale 10k [--pg postgres://postgres@127.0.0.1:5432] [--db-prefix bench]

1. a fresh database (SQLite in a temp dir for ``tiny`` unless ``--pg`` is given; else
   ``<prefix>_<scale>`` on the PostgreSQL server, dropped and created), migrated;
2. ``manage.py generate_load --initiatives N``, timed (and its own per-table figures);
3. ``manage.py verify_audit`` over the generated trail, timed;
4. ``bench/actions.py`` on that same database (the actions among N dossiers: the duplicate screen at
   submit reads them all): every write action's calls/s, p50/p95 and queries, and on PostgreSQL the
   anchors' raw-SQL close and django-fsm-2 peer with the same N, in the same run (``--raw``);
5. the figures to ``bench/results/<scale>.json`` and the plot ``bench/results/cost.svg``
   (``bench/plot.py``) over every scale measured so far.

The database is dropped at the end unless ``--keep``. No timing is asserted anywhere: CI runs the
tiny scale as a smoke test (``tests/bench``)."""

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCALES = {"tiny": 300, "10k": 10_000, "200k": 200_000, "2M": 2_000_000}
ACTION_CALLS = {"tiny": 6, "10k": 100, "200k": 300, "2M": 300}


def sh(cmd, env, **kw):
    done = subprocess.run(cmd, env=env, cwd=ROOT, text=True, capture_output=True, **kw)
    if done.returncode:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-5000:])
        raise SystemExit(f"failed ({done.returncode}): {' '.join(map(str, cmd))}")
    return done


def machine() -> dict:
    info = {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        info["load_average"] = os.getloadavg()
    except OSError:
        pass
    try:
        mem = Path("/proc/meminfo").read_text().split("\n")[0].split()[1]
        info["memory_gb"] = round(int(mem) / 1024 / 1024, 1)
    except (OSError, IndexError, ValueError):
        pass
    return info


def psql(base: str, sql: str) -> None:
    subprocess.run(["psql", "-qAtX", f"{base}/postgres", "-c", sql], check=True, capture_output=True)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--scale", default=os.environ.get("SCALE", "tiny"), choices=list(SCALES))
    ap.add_argument("--pg", default=None, help="PostgreSQL server URL without a database name")
    ap.add_argument("--db-prefix", default="bench")
    ap.add_argument("--keep", action="store_true", help="keep the generated database")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results"))
    a = ap.parse_args(argv)
    n = SCALES[a.scale]
    pg = a.pg or (None if a.scale == "tiny" else "postgres://postgres@127.0.0.1:5432")
    tmp = tempfile.mkdtemp(prefix="bench-")
    env = {**os.environ, "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY", "bench-only")}
    env.setdefault("BALLOT_SEALING_KEY", "0123456789abcdef" * 4)
    if pg:
        db = f"{a.db_prefix}_{a.scale.lower()}"
        psql(pg, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
        psql(pg, f"CREATE DATABASE {db}")
        env["DATABASE_URL"] = f"{pg}/{db}"
    else:
        db = None
        env["DATABASE_URL"] = f"sqlite:///{tmp}/bench.sqlite3"
    py = sys.executable
    result = {"scale": a.scale, "initiatives": n, "database": "postgresql" if pg else "sqlite", "machine": machine()}
    try:
        sh([py, "manage.py", "migrate", "-v0"], env)
        t = time.perf_counter()
        out = sh([py, "manage.py", "generate_load", "--initiatives", str(n), "--quiet"], env).stdout
        result["generate_load_seconds"] = round(time.perf_counter() - t, 1)
        result["generate_load"] = json.loads(out.strip().splitlines()[-1])
        t = time.perf_counter()
        verified = sh([py, "manage.py", "verify_audit"], env).stdout.strip()
        result["verify_audit_seconds"] = round(time.perf_counter() - t, 1)
        result["verify_audit"] = verified.splitlines()[-1] if verified else ""
        figures = Path(tmp) / "actions.json"
        cmd = [py, "bench/actions.py", "--n", str(ACTION_CALLS[a.scale]), "--json", str(figures)]
        if pg:
            cmd.append("--raw")
        sh(cmd, env)
        result["actions"] = json.loads(figures.read_text())
    finally:
        if db and not a.keep:
            psql(pg, f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")
    result["machine"]["load_average_after"] = machine().get("load_average")
    out_dir = Path(a.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"{a.scale}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"== scale {a.scale}: {n:,} initiatives on {result['database']}")
    print(f"generate_load   {result['generate_load_seconds']:>8.1f} s  ({n / result['generate_load_seconds']:,.0f} /s)")
    print(f"verify_audit    {result['verify_audit_seconds']:>8.1f} s  {result['verify_audit']}")
    print(f"{'action':<40} {'calls/s':>8} {'p50 ms':>8} {'p95 ms':>8} {'queries':>8}")
    for r in result["actions"]:
        extra = r.get("queries", r.get("ratio"))
        print(f"{r['bench']:<40} {r['per_s']!s:>8} {r.get('p50_ms')!s:>8} {r.get('p95_ms')!s:>8} {extra!s:>8}")
    from plot import write_svg  # bench/plot.py, beside this file

    svg = write_svg(out_dir)
    if svg:
        print(f"plot: {svg}")
    return result


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()

"""Seeds ONE PostgreSQL database at scale for the three issue-11 benchmarks (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/pg_i11p_2m DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/seed_scale.py 2000000

``bench/list_endpoints.py``'s seeding (a sector of 20 corporations × 50 units, the state mix,
authors, council sessions, audit entries, in SQL) with realistic dossiers: titles and summaries
mixed from the hand-written ideas of ``bench/data/duplicate_ideas.txt`` (``bench/duplicates_latency.pool``,
their ``dup_key`` computed here). ``bench/search_latency.py``, ``bench/duplicates_latency.py`` and
``bench/import_register.py`` then find the rows and seed nothing more.
"""

import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from bench.duplicates_latency import pool  # noqa: E402
from bench.list_endpoints import personas, seed  # noqa: E402
from initiatives.models import Initiative  # noqa: E402


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2_000_000
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL=postgres://… (this benchmark is for PostgreSQL)")
    call_command("migrate", verbosity=0)
    if Initiative.objects.exists():
        sys.exit("The database is not empty: seed a fresh one.")
    rows = pool(20_000, random.Random(0))
    texts = [list(x) for x in zip(*rows, strict=True)]
    t = time.perf_counter()
    print(f"seeding {n} initiatives …", flush=True)
    seed(n, texts=texts)
    personas()
    print(f"seeded in {time.perf_counter() - t:.0f} s", flush=True)


if __name__ == "__main__":
    main()

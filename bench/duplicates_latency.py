"""Latency of the duplicate screen (``initiatives.duplicates.screen``) on PostgreSQL (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dup_bench DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/duplicates_latency.py 200000

Migrates the database, then seeds (once; a later run with a larger N adds the difference) N
submitted initiatives in 20 units whose titles and summaries mix fragments of the hand-written
ideas of ``bench/data/duplicate_ideas.txt`` (so the keys share the sector's words, as real ones
do), in SQL. Then times ``screen()`` for 200 typed titles + summaries (rephrasings, shortenings,
unaccented) and prints p50/p95 and the candidates' count.
"""

import argparse
import os
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

from bench.common import percentiles  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from unidecode import unidecode  # noqa: E402

from councils.models import Organisation, User  # noqa: E402
from initiatives.duplicates import dup_key, screen  # noqa: E402
from initiatives.models import Initiative  # noqa: E402

IDEAS = Path(__file__).parent / "data" / "duplicate_ideas.txt"
FILLER = ["Giải pháp", "Sáng kiến", "Cải tiến", "Nghiên cứu", "Ứng dụng", "Nâng cao hiệu quả", ""]
PLACES = ["tại Điện lực", "ở trạm 110 kV", "cho đội quản lý vận hành", "khu vực miền núi", "vùng ven biển", ""]


def texts() -> list[dict]:
    out = []
    for line in IDEAS.read_text(encoding="utf-8").splitlines():
        if line[:2] in ("A:", "P:", "R:", "S:", "D:"):
            title, summary = (s.strip() for s in line[2:].split("|", 1))
            out.append({"title": title, "summary": summary})
    return out


def pool(size: int, rng: random.Random) -> list[tuple[str, str, str, str]]:
    """(title, summary, search_text, dup_key): halves of two texts, a filler and a place."""
    base = texts()
    rows = []
    for _ in range(size):
        a, b = rng.sample(base, 2)
        wa, wb = a["title"].split(), b["title"].split()
        title = " ".join(
            x for x in [rng.choice(FILLER), " ".join(wa[: len(wa) // 2 + 1]), " ".join(wb[len(wb) // 2 :])] if x
        )
        title = f"{title} {rng.choice(PLACES)}".strip()[:300]
        summary = a["summary"] if rng.random() < 0.5 else b["summary"]
        rows.append((title, summary, unidecode(f"{title} {summary}").lower(), dup_key(title, summary)))
    return rows


def seed(n: int):
    have = Initiative.objects.count()
    if have >= n:
        return
    rng = random.Random(have)
    with transaction.atomic():
        root = Organisation.objects.filter(code="D-ROOT").first()
        if root is None:
            root = Organisation.objects.add_root({"code": "D-ROOT", "name": "Bench", "level": "corporation"})
            for u in range(20):
                root.refresh_from_db()
                Organisation.objects.add_child(root, {"code": f"D-U{u}", "name": f"Unit {u}", "level": "unit"})
        user, _ = User.objects.get_or_create(username="dupbench")
    units = list(Organisation.objects.filter(code__startswith="D-U").values_list("pk", flat=True))
    rows = pool(20_000, rng)
    titles, summaries, search, keys = (list(x) for x in zip(*rows, strict=True))
    batch = 100_000
    with connection.cursor() as cursor:
        for offset in range(have, n, batch):
            size = min(batch, n - offset)
            cursor.execute(
                """
                WITH s AS (SELECT g, 1 + floor(random() * %(np)s)::int AS k, 1 + floor(random() * %(nu)s)::int AS u,
                                  (ARRAY['advisory_review', 'unit_council', 'rejected', 'sector_certified',
                                         'draft', 'withdrawn'])[1 + floor(random() * 6)::int] AS st
                           FROM generate_series(1, %(size)s) g)
                INSERT INTO initiatives_initiative (title, summary, problem, solution, category, organisation_id,
                    benefit_value_vnd, confidential, state, version, dossier_version, created_by_id, created_at,
                    updated_at, submitted_at, search_text, dup_key)
                SELECT (%(titles)s::text[])[k], (%(summaries)s::text[])[k], '', '', 'technical',
                       (%(units)s::int[])[u], 0, random() < 0.05, st, 1, 1, %(user)s, now(), now(),
                       CASE WHEN st <> 'draft' THEN now() END, (%(search)s::text[])[k], (%(keys)s::text[])[k]
                FROM s
                """,
                {
                    "np": len(titles),
                    "nu": len(units),
                    "size": size,
                    "titles": titles,
                    "summaries": summaries,
                    "search": search,
                    "keys": keys,
                    "units": units,
                    "user": user.pk,
                },
            )
            print(f"  seeded {offset + size}", flush=True)
        cursor.execute("ANALYZE initiatives_initiative")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=200_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    assert connection.vendor == "postgresql", "this benchmark runs on PostgreSQL (DATABASE_URL=postgres://…)"
    call_command("migrate", verbosity=0)
    seed(args.n)
    rng = random.Random(7)
    queries = texts()
    queries += [{"title": unidecode(q["title"]), "summary": unidecode(q["summary"])} for q in queries]
    rng.shuffle(queries)
    it = iter(queries * (1 + args.runs // len(queries)))
    sizes = []

    def one():
        q = next(it)
        sizes.append(len(screen(title=q["title"], summary=q["summary"], limit=10)))

    p50, p95 = percentiles(one, args.runs)
    total = Initiative.objects.count()
    print(f"{total} initiatives; screen(): p50 {p50:.1f} ms, p95 {p95:.1f} ms over {args.runs} typed dossiers")
    print(f"  flagged per query: median {sorted(sizes)[len(sizes) // 2]}, max {max(sizes)}")
    recall_at_scale()


def recall_at_scale():
    """Retrieval at scale: the earlier dossier of each labelled duplicate pair is put in the table
    (once), and its partner screened (limit 50: the seeded rows mix the same texts, so many rows
    are near-copies): how often is it found?"""
    import json

    pairs = [json.loads(x) for x in (IDEAS.parent / "duplicate_pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    pairs = [p for p in pairs if p["label"] == 1]
    user, _ = User.objects.get_or_create(username="dupbench")
    unit = Organisation.objects.filter(code="D-U0").first() or Organisation.objects.filter(level="unit").first()
    ids = {}
    for p in pairs:
        a = p["b"] if p["kind"] == "no_accents" else p["a"]
        b = p["a"] if p["kind"] == "no_accents" else p["b"]
        if a["title"] not in ids:
            row = Initiative.objects.filter(
                title=a["title"], summary=a["summary"], reference__startswith="DUP-"
            ).first()
            if row is None:
                row = Initiative.objects.create(
                    title=a["title"],
                    summary=a["summary"],
                    category="technical",
                    organisation=unit,
                    created_by=user,
                    state="advisory_review",
                    search_text=unidecode(f"{a['title']} {a['summary']}").lower(),
                    dup_key=dup_key(a["title"], a["summary"]),
                )
                row.reference = f"DUP-{row.pk}"
                row.save(update_fields=["reference"])
            ids[a["title"]] = row.pk
        p["_a"], p["_b"] = ids[a["title"]], b
    found = sum(1 for p in pairs if p["_a"] in {d["id"] for d in screen(**p["_b"], limit=50)})
    print(f"  retrieval at scale: the earlier dossier found for {found}/{len(pairs)} labelled duplicates")


if __name__ == "__main__":
    main()

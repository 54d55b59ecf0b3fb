"""Benchmark of the register import on PostgreSQL (not a test): a 100,000-row register workbook
checked and imported the way /imports/ and ``POST /api/v1/imports/`` do it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/import_bench DJANGO_SECRET_KEY=x \\
        .venv/bin/python bench/import_register.py --rows 100000

Loads (once) a sector of 10 corporations × 20 units with an officer over the sector, writes the
workbook with ``workflow/demo/make_register.py``'s names and subjects (every row good, authors by
full name, spread over the 200 units and the programme's two years), then times the three steps:
the upload (stored, sha256), the whole-register check (nothing written) and the import — batches of
``REGISTER_IMPORT_BATCH`` rows, each in its own transaction with its audit entries, its progress
counters and every row screened for duplicates. Without REDIS_URL Celery is eager and the batches
run one after another in this process; with REDIS_URL a real worker (``celery -A config worker``)
checks and imports while this script polls the progress as the page does. Then the same file is
uploaded again: nothing is created twice; the imported rows' trail is verified (``verify_audit --scope``
of the bench's root). Use a fresh database each time (the references are the same); a database
that already holds the bench's structure (a clone of a prepared one) keeps it.
"""

import argparse
import datetime
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.files import File  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402

from councils.models import Organisation, User  # noqa: E402
from initiatives.imports import register_import_check, register_import_create, register_import_start  # noqa: E402
from initiatives.models import Initiative, RegisterImport  # noqa: E402
from workflow.demo.make_register import FAMILY, GIVEN, HEADERS, MIDDLE, SUBJECTS  # noqa: E402
from workflow.structure import structure_load  # noqa: E402

CORPORATIONS, UNITS = 10, 20


def structure() -> dict:
    corporations = [
        {
            "code": f"BI-C{c}",
            "name": f"Tổng công ty thử tải {c}",
            "level": "corporation",
            "headcount": 20000,
            "children": [
                {"code": f"BI-C{c}-U{u}", "name": f"Công đoàn đơn vị {c}.{u}", "level": "unit", "headcount": 500}
                for u in range(UNITS)
            ],
        }
        for c in range(CORPORATIONS)
    ]
    return {
        "programme": {
            "code": "BI-PROG",
            "name": "Chương trình thử tải",
            "starts": "2021-09-01",
            "ends": "2023-09-30",
            "phases": [
                {"code": "P1", "starts": "2021-09-01", "ends": "2022-05-31", "target": 3000},
                {"code": "P2", "starts": "2022-06-01", "ends": "2023-09-30", "target": 7000},
            ],
        },
        "organisations": [
            {
                "code": "BI-ROOT",
                "name": "Liên đoàn thử tải",
                "level": "federation",
                "children": [
                    {
                        "code": "BI-SECTOR",
                        "name": "Công đoàn ngành thử tải",
                        "level": "sector",
                        "headcount": 200000,
                        "children": corporations,
                    }
                ],
            }
        ],
        "people": [
            {"username": "bi_officer", "full_name": "Cán Bộ Thử Tải", "organisation": "BI-SECTOR", "roles": ["officer"]}
        ],
    }


def write_register(path: Path, n: int) -> None:
    from openpyxl import Workbook

    rng = random.Random(100_000)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Sổ đăng ký")
    ws.append(HEADERS)
    first = datetime.date(2021, 9, 15)
    for i in range(1, n + 1):
        unit = f"BI-C{rng.randrange(CORPORATIONS)}-U{rng.randrange(UNITS)}"
        category, subject = rng.choice(SUBJECTS)
        registered = first + datetime.timedelta(days=rng.randint(0, 700))
        authors = [
            f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}" for _ in range(rng.choice([1, 1, 2]))
        ]
        shares = [100 // len(authors)] * len(authors)
        shares[0] += 100 - sum(shares)
        recognised = registered + datetime.timedelta(days=rng.randint(10, 60)) if rng.random() < 0.5 else None
        ws.append(
            [
                f"BI-{i:06d}",
                f"{subject} tại {unit} (số {i})",
                unit,
                category,
                "; ".join(f"{a}:{s}" for a, s in zip(authors, shares, strict=True)),
                rng.choice([0, 15_000_000, 40_000_000, 85_000_000, 120_000_000]),
                max(registered - datetime.timedelta(days=rng.randint(5, 90)), datetime.date(2021, 9, 1)),
                min(registered, datetime.date(2023, 9, 30)),
                min(recognised, datetime.date(2023, 9, 30)) if recognised else None,
            ]
        )
    wb.save(path)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL=postgres://… (this benchmark is for PostgreSQL)")
    call_command("migrate", verbosity=0)
    if Initiative.objects.filter(reference__startswith="BI-").exists():
        sys.exit("The database already holds this benchmark's initiatives: use a fresh database.")
    t = time.perf_counter()
    if not Organisation.objects.filter(code="BI-SECTOR").exists():  # a clone of a prepared database has it
        structure_load(data=structure())
    officer = User.objects.get(username="bi_officer")
    sector = Organisation.objects.get(code="BI-SECTOR")
    print(f"structure: {CORPORATIONS * UNITS} units in {time.perf_counter() - t:.1f} s", flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "so-sang-kien-100k.xlsx"
        t = time.perf_counter()
        write_register(path, args.rows)
        path_again = Path(tempfile.mkdtemp()) / path.name
        path_again.write_bytes(path.read_bytes())
        print(f"workbook: {args.rows:,} rows, {path.stat().st_size / 1e6:.1f} MB in {time.perf_counter() - t:.1f} s")
        t0 = time.perf_counter()
        with path.open("rb") as f:
            # stored and hashed; its check (a task, eager here) runs as the upload commits
            imp, _created = register_import_create(
                actor=officer, organisation=sector, upload=File(f, name=path.name), start=False
            )
    if settings.CELERY_TASK_ALWAYS_EAGER:
        imp = register_import_check(import_id=imp.pk, start=False)  # (already checked: returns it)
    else:  # a real worker checks it: wait for it
        imp = _wait(imp.pk, ("checked", "failed"), t0)
    t2 = time.perf_counter()
    print(
        f"upload and check of the whole register (nothing written): {t2 - t0:.1f} s — state {imp.state}, "
        f"{imp.rows:,} rows, {len(imp.refused)} refused",
        flush=True,
    )
    register_import_start(import_id=imp.pk, actor=officer)  # eager: the batches run on commit, here
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        _wait(imp.pk, ("done", "failed"), t2)
    t3 = time.perf_counter()
    imp = RegisterImport.objects.get(pk=imp.pk)
    print(
        f"import in {imp.batches.count()} batches: {t3 - t2:.1f} s — state {imp.state}, {imp.imported:,} "
        f"imported ({imp.imported / (t3 - t2):.0f} rows/s), {imp.duplicates_count:,} rows with possible duplicates"
    )
    print(f"total, upload to done: {t3 - t0:.1f} s ({(t3 - t0) / 60:.1f} min)")
    # the imported rows' trail (the bench's own root: the seeded rows' entries are not chained)
    from audit.selectors import audit_verify

    t = time.perf_counter()
    result = audit_verify(scope_path=Organisation.objects.get(code="BI-ROOT").path)
    print(f"verify_audit --scope BI-ROOT: ok {result.ok} ({time.perf_counter() - t:.1f} s)")
    before = Initiative.objects.filter(reference__startswith="BI-").count()
    with path_again.open("rb") as f:
        again, created = register_import_create(
            actor=officer, organisation=sector, upload=File(f, name=path_again.name), start=True
        )
    after = Initiative.objects.filter(reference__startswith="BI-").count()
    print(f"re-import of the same file: a new import {created}, initiatives {before:,} → {after:,}")
    path_again.unlink()


def _wait(pk: int, states, since: float):
    """Poll the import as its page does (every 2 s), printing its progress; the import when it is
    in one of ``states``."""
    last = None
    while True:
        imp = RegisterImport.objects.get(pk=pk)
        shown = (imp.state, imp.done)
        if shown != last:
            pct = 100 * imp.done // max(imp.rows, 1)
            print(f"  {time.perf_counter() - since:7.1f} s  {imp.state:<10} {imp.done:>7,}/{imp.rows:,} ({pct} %)")
            last = shown
        if imp.state in states:
            return imp
        time.sleep(2)


if __name__ == "__main__":
    main()

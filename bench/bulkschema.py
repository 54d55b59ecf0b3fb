"""Secondary indexes and constraints set aside for a bulk load, and put back exactly (PostgreSQL).

A COPY into a table with a dozen indexes and deferred foreign keys pays, per row, an insertion into
every index and a queued foreign-key check (a ``SELECT … FOR KEY SHARE`` on the referenced row at
commit, which also makes concurrent writers share row locks). ``capture`` reads, from the catalogue,
what can be built again afterwards from its own definition: foreign keys, unique constraints no
foreign key depends on, and indexes that back no constraint (primary keys too, unless a foreign
key of a table not set aside depends on them). ``drop`` removes them; ``restore`` runs the definitions again: indexes and
unique constraints built in parallel over a few connections, then the foreign keys (each one
validated by one scan of its table). The schema afterwards is the one before, statement for
statement (``pg_get_indexdef`` / ``pg_get_constraintdef``; ``tests/bench`` compares the catalogue).

What was dropped is written to a file first (``var/generate_load/<database>.json``), so a load
interrupted half-way is repaired by the next ``generate_load`` (or ``restore_pending``)."""

from __future__ import annotations

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections, transaction


@dataclass
class Item:
    kind: str  # "index", "unique", "pkey", "fk" or "autovacuum"
    table: str
    name: str
    create: str  # the statement that builds it again

    @property
    def drop(self) -> str:
        if self.kind == "autovacuum":  # paused during the load (it would vacuum half-written tables)
            return f'ALTER TABLE "{self.table}" SET (autovacuum_enabled = false)'
        if self.kind == "index":
            return f'DROP INDEX IF EXISTS "{self.name}"'
        return f'ALTER TABLE "{self.table}" DROP CONSTRAINT IF EXISTS "{self.name}"'


def capture(tables) -> list[Item]:
    """What ``drop`` may set aside on ``tables``, with the statements that build it again."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, c.contype, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.conrelid = ANY(%(t)s::regclass[]) AND c.contype IN ('f', 'u', 'p')
              -- a key another table's foreign key (one not set aside too) depends on stays
              AND NOT (c.contype IN ('u', 'p') AND EXISTS (
                  SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid
                    AND NOT f.conrelid = ANY(%(t)s::regclass[])))
            ORDER BY 1, 2
            """,
            {"t": list(tables)},
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indrelid::regclass::text, x.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class x ON x.oid = i.indexrelid
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            ORDER BY 1, 2
            """,
            [list(tables)],
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT relname FROM pg_class WHERE oid = ANY(%s::regclass[]) AND reloptions IS NULL ORDER BY 1",
            [list(tables)],
        )
        plain = [r[0] for r in cursor.fetchall()]
    items = [Item("index", t, name, sql) for t, name, sql in indexes]
    items += [Item("autovacuum", t, "", f'ALTER TABLE "{t}" RESET (autovacuum_enabled)') for t in plain]
    for t, name, kind, definition in constraints:
        items.append(
            Item(
                {"f": "fk", "u": "unique", "p": "pkey"}[kind],
                t,
                name,
                f'ALTER TABLE "{t}" ADD CONSTRAINT "{name}" {definition}',
            )
        )
    return items


def _source_definitions() -> dict:
    """Indexes whose ``pg_get_indexdef`` does not parse back to itself (PostgreSQL prints
    ``x <> ALL (ARRAY[…])`` differently once re-read): built again from the statement that made
    them in the first place, their migration's."""
    import importlib

    dup = importlib.import_module("initiatives.migrations.0007_dup_key")
    # without a pending list since initiatives 0014 (its storage parameter kept where it was)
    return {
        dup.INDEX: f"CREATE INDEX {dup.INDEX} ON initiatives_initiative "
        f"USING gin (to_tsvector('simple', dup_key)) WITH (fastupdate = off) WHERE {dup.SUBMITTED}"
    }


def _definition(cursor, item: Item) -> str | None:
    if item.kind == "index":
        cursor.execute("SELECT pg_get_indexdef(oid) FROM pg_class WHERE relname = %s AND relkind = 'i'", [item.name])
    else:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass",
            [item.name, item.table],
        )
    row = cursor.fetchone()
    return row[0] if row else None


def pending_file() -> Path:
    name = connection.settings_dict["NAME"]
    return Path(settings.BASE_DIR) / "var" / "generate_load" / f"{name}.json"


def drop(items: list[Item]) -> None:
    """Write ``items`` to the pending file, then drop them (foreign keys first), in one transaction."""
    path = pending_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([asdict(i) for i in items], indent=1))
    order = {"fk": 0, "unique": 1, "pkey": 1, "index": 2, "autovacuum": 3}
    with transaction.atomic(), connection.cursor() as cursor:
        for item in sorted(items, key=lambda i: order[i.kind]):
            cursor.execute(item.drop)


def _exists(cursor, item: Item) -> bool:
    if item.kind == "autovacuum":
        cursor.execute("SELECT 1 FROM pg_class WHERE oid = %s::regclass AND reloptions IS NULL", [item.table])
        return cursor.fetchone() is not None
    if item.kind == "index":
        cursor.execute("SELECT 1 FROM pg_class WHERE relname = %s AND relkind = 'i'", [item.name])
    else:
        cursor.execute(
            "SELECT 1 FROM pg_constraint WHERE conname = %s AND conrelid = %s::regclass", [item.name, item.table]
        )
    return cursor.fetchone() is not None


def restore(items: list[Item], *, parallel: int = 2, maintenance_work_mem: str = "512MB", on_item=None) -> dict:
    """Build ``items`` again: indexes and unique constraints over ``parallel`` connections, biggest
    table first, then the foreign keys one by one. Skips what exists already (a repaired load).
    Returns the seconds spent and the database CPU seconds of the connections used."""
    from bench.loadgen import backend_cpu_seconds

    t0 = time.monotonic()
    with connection.cursor() as cursor:
        todo = [i for i in items if not _exists(cursor, i)]
        tables = sorted({i.table for i in todo})
        size = {}
        if tables:
            cursor.execute("SELECT relname, pg_relation_size(oid) FROM pg_class WHERE relname = ANY(%s)", [tables])
            size = dict(cursor.fetchall())
    builds = sorted(
        (i for i in todo if i.kind in ("index", "unique", "pkey")), key=lambda i: (-size.get(i.table, 0), i.name)
    )
    fks = [i for i in todo if i.kind in ("fk", "autovacuum")]
    cpu = [0.0]
    lock = threading.Lock()

    sources = _source_definitions()

    def run(item: Item):
        with connections["default"].cursor() as cursor:
            cursor.execute(f"SET maintenance_work_mem = '{maintenance_work_mem}'")
            cursor.execute(sources.get(item.name, item.create))
            if item.kind in ("index", "unique", "pkey", "fk"):
                # the same definition as before, or the load stops here (the pending file stays)
                was = item.create if item.kind == "index" else item.create.split(f'"{item.name}" ', 1)[1]
                now = _definition(cursor, item)
                if now != was:
                    raise RuntimeError(f"{item.name} came back as {now!r}, not {was!r}")
        if on_item:
            on_item(item)

    queue = list(builds)  # shared by the threads, biggest tables first
    qlock = threading.Lock()

    def worker():
        conn = connections["default"]  # this thread's own connection
        try:
            while True:
                with qlock:
                    item = queue.pop(0) if queue else None
                if item is None:
                    break
                run(item)
        finally:
            spent = backend_cpu_seconds(conn)
            with lock:
                cpu[0] += spent
            conn.close()

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        for f in [pool.submit(worker) for _ in range(max(1, parallel))]:
            f.result()
    t_build = time.monotonic() - t0
    t1 = time.monotonic()
    for item in fks:  # on this thread's connection (the caller counts its CPU)
        run(item)
    pending_file().unlink(missing_ok=True)
    return {
        "index_seconds": round(t_build, 1),
        "foreign_key_seconds": round(time.monotonic() - t1, 1),
        "indexes": len(builds),
        "foreign_keys": len(fks),
        "db_cpu_seconds": round(cpu[0], 1),
    }


def restore_pending(**kw) -> dict | None:
    """Put back what an interrupted load set aside (the pending file of this database), if any."""
    path = pending_file()
    if not path.exists():
        return None
    items = [Item(**d) for d in json.loads(path.read_text())]
    return restore(items, **kw)

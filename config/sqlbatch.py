"""Several independent statements in ONE round trip to PostgreSQL (issue 12: a write action's cost
is mostly its round trips and Django's work per statement, not the database's work).

Kept here, at the bottom of the stairs, so every room may use it. On PostgreSQL the statements go
as one multi-statement query (psycopg's client-side binding, which Django uses: the parameters are
merged into the text) and their result sets are read one after the other; elsewhere (SQLite, where
there is no round trip to save) they run one by one. Either way each statement sees the effects
of the ones before it, and an error in any of them raises as it would alone (the caller's
transaction then rolls back). Only for statements whose parameters Django would pass as they are:
values already adapted with ``field.get_db_prep_save`` / ``connection.ops.adapt_*``.
"""

import functools
import itertools
import re

from django.db import DEFAULT_DB_ALIAS, connections


def _db(using=None):
    """``using``, or the default connection itself (not the ``django.db.connection`` proxy, which
    looks the connection up again at every attribute: dozens per statement prepared here)."""
    return connections[DEFAULT_DB_ALIAS] if using is None else using


def run_together(statements, *, using=None) -> list[list[tuple] | None]:
    """Run ``statements`` ([(sql, params)], each one statement, no trailing ``;``) in order: one
    round trip on PostgreSQL (after the writes ``deferring()`` queued). Returns each statement's
    rows (None for a statement without any)."""
    conn = _db(using)
    return _run(conn, [(sql, list(params or ())) for sql, params in statements])


def _run(conn, statements):
    """``statements`` in one round trip on PostgreSQL (the queued writes of ``deferring`` before
    them); with none, only the queued writes."""
    out = []
    if not statements:
        if _queue(conn):
            with conn.cursor() as cursor:
                cursor.execute("", [])  # the wrapper sends the queued writes alone
        return out
    with conn.cursor() as cursor:
        if conn.vendor != "postgresql" or len(statements) == 1:
            for sql, params in statements:
                cursor.execute(sql, params)
                has_rows = cursor.description is not None if conn.vendor != "postgresql" else _has_rows(cursor.cursor)
                out.append(cursor.fetchall() if has_rows else None)
            return out
        cursor.execute("; ".join(sql for sql, _p in statements), [p for _s, params in statements for p in params])
        raw = cursor.cursor  # psycopg's own cursor: one result set per statement
        for k in range(len(statements)):
            out.append(raw.fetchall() if _has_rows(raw) else None)
            if k < len(statements) - 1:
                raw.nextset()
    return out


def _has_rows(raw) -> bool:
    """Whether the current result set has columns (``raw.description is not None``, without
    building its ``Column`` objects, which cost more than the rows of a small read)."""
    result = raw.pgresult
    return result is not None and result.nfields > 0


def compiled(queryset):
    """(sql, params, compiler) of a ``values_list`` queryset, for ``run_together``."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    return sql, params, compiler


def fetch_together(querysets) -> list[list[tuple]]:
    """The rows of several ``values_list`` querysets (tuples, through their fields' converters, as
    Django would return them) in one round trip on PostgreSQL."""
    parts = [compiled(qs) for qs in querysets]
    results = run_together([(sql, params) for sql, params, _c in parts])
    return [
        list(compiler.results_iter(results=[rows or []], tuple_expected=True))
        for (_s, _p, compiler), rows in zip(parts, results, strict=True)
    ]


# --- deferred writes ---------------------------------------------------------------------------
# Inside ``deferring()`` (PostgreSQL), the writes whose results are not needed at once (``execute``)
# wait in a queue and travel with the next statement the connection sends (any statement: the
# ORM's, a lock, ``run_together``), prepended to it in the same round trip, or, at the latest,
# when the block ends — inside its transaction, before the commit. Every statement therefore sees
# the queued writes before it, in order, as if they had run at once. A write's rows (RETURNING)
# reach its ``on_rows`` when it has run. Counted queries (``CaptureQueriesContext``) then count
# round trips: a queued write is logged with nothing of its own.


def _queue(conn):
    return getattr(conn, "_sqlbatch_queue", None)


class deferring:
    """``with deferring():`` — queue ``execute``'s writes on PostgreSQL (elsewhere a no-op); what
    is left goes when the block ends. An exception discards them (the transaction rolls back)."""

    def __init__(self, using=None):
        self.conn = _db(using)
        self.wrapper = None

    def __enter__(self):
        if self.conn.vendor == "postgresql" and _queue(self.conn) is None:
            self.conn._sqlbatch_queue = []
            self.wrapper = self.conn.execute_wrapper(_prepend_queued)
            self.wrapper.__enter__()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self.wrapper is None:
            return False
        try:
            if exc_type is None and self.conn._sqlbatch_queue:
                _run(self.conn, [])  # the wrapper sends what is queued
        finally:
            self.wrapper.__exit__(exc_type, exc, tb)
            self.conn._sqlbatch_queue = None
        return False


def batched(action):
    """Run ``action`` inside ``deferring()`` (put it under the action's transaction): its writes
    that need no answer (the dossier's update, its open tasks, the counters, the trail's append,
    the outbox rows) travel with its next statement instead of a round trip each."""

    @functools.wraps(action)
    def run(*args, **kwargs):
        with deferring():
            return action(*args, **kwargs)

    return run


def execute(sql, params=(), *, on_rows=None, using=None) -> None:
    """Run one statement now, or queue it inside ``deferring()``; ``on_rows(rows)`` gets its rows
    (None for a statement without any) once it has run."""
    conn = _db(using)
    queue = _queue(conn)
    if queue is not None:
        queue.append((sql, list(params or ()), on_rows))
        return
    rows = _run(conn, [(sql, params)])[0]
    if on_rows is not None:
        on_rows(rows)


def _prepend_queued(execute_, sql, params, many, context):
    """The execute wrapper of ``deferring``: the queued writes go first, in the same round trip."""
    conn = context["connection"]
    queued = _queue(conn)
    if not queued:
        return execute_(sql, params, many, context)
    items = list(queued)
    queued.clear()
    raw = context["cursor"].cursor
    if many or params is None:  # cannot be joined to it: the queued writes go just before it
        execute_("; ".join(q for q, _p, _cb in items), [p for _q, ps, _cb in items for p in ps], False, context)
        _deliver(raw, items, last=True)
        return execute_(sql, params, many, context)
    joined = "; ".join([*(q for q, _p, _cb in items), sql]) if sql else "; ".join(q for q, _p, _cb in items)
    result = execute_(joined, [p for _q, ps, _cb in items for p in ps] + list(params), many, context)
    _deliver(raw, items, last=not sql)
    return result


def _deliver(raw, items, *, last):
    """Hand each queued write its rows, leaving the cursor on the result after them."""
    for k, (_q, _p, on_rows) in enumerate(items):
        if on_rows is not None:
            on_rows(raw.fetchall() if _has_rows(raw) else None)
        if k < len(items) - 1 or not last:
            raw.nextset()


def update_statement(obj, fields, *, using=None) -> tuple[str, list]:
    """``obj.save(update_fields=fields)``'s UPDATE as (sql, params) (``pre_save`` applied: an
    ``auto_now`` field listed takes the time now), for ``execute``."""
    conn = _db(using)
    meta, qn = obj._meta, conn.ops.quote_name
    sets, params = [], []
    for name in fields:
        field = meta.get_field(name)
        sets.append(f"{qn(field.column)} = %s")
        params.append(field.get_db_prep_save(field.pre_save(obj, False), connection=conn))
    params.append(meta.pk.get_db_prep_value(obj.pk, conn))
    return f"UPDATE {qn(meta.db_table)} SET {', '.join(sets)} WHERE {qn(meta.pk.column)} = %s", params


_INSERTS = {}  # (alias, model, rows) -> (sql, compiler, unnest): the INSERT's text, written once


def insert_statement(objs, *, using=None) -> tuple[str, list]:
    """The INSERT of ``objs`` (one model) RETURNING their primary keys, as (sql, params). Its text
    depends only on the model and the number of rows: written once by Django's compiler per
    process, the values then prepared as that compiler prepares them (``prepare_value`` of
    ``pre_save_val``). Values that are expressions take the compiler's whole path."""
    conn = _db(using)
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    key = (conn.alias, model, len(objs))
    cached = _INSERTS.get(key)
    if cached is not None:
        sql, compiler, unnest = cached
        rows = [[compiler.prepare_value(f, compiler.pre_save_val(f, obj)) for f in fields] for obj in objs]
        if not any(hasattr(v, "as_sql") for row in rows for v in row):
            return sql, ([list(c) for c in zip(*rows, strict=True)] if unnest else [v for row in rows for v in row])
    sql, params, compiler = _compile_insert(objs, fields, conn)
    plain = not any(  # a db_default field given a value is plain too (left to the database, an expression)
        hasattr(f, "get_placeholder") or hasattr(getattr(obj, f.attname, None), "as_sql")
        for f in fields
        for obj in objs
    )
    if plain:  # the text holds nothing but placeholders: it fits any values
        # PostgreSQL's bulk form: one array parameter per column (``UNNEST((%s)::varchar[], …)``)
        unnest = len(objs) > 1 and len(params) == len(fields) and "UNNEST" in sql
        if unnest or len(params) == len(objs) * len(fields):
            _INSERTS.setdefault(key, (sql, compiler, unnest))
    return sql, params


def _compile_insert(objs, fields, conn):
    from django.db.models.sql import InsertQuery

    meta = objs[0]._meta
    query = InsertQuery(type(objs[0]))
    query.insert_values(fields, objs)
    compiler = query.get_compiler(connection=conn)
    compiler.returning_fields = [meta.pk]
    (sql, params), *_rest = compiler.as_sql()
    return sql, list(params), compiler


def saved(objs, rows, *, using=None) -> None:
    """Give ``objs`` the primary keys an ``insert_statement`` returned (``rows``), in order."""
    conn = _db(using)
    for obj, (pk, *_rest) in zip(objs, rows, strict=True):
        obj.pk = pk
        obj._state.adding, obj._state.db = False, conn.alias


# --- querysets compiled once ---------------------------------------------------------------------

_SENTINEL = 4_611_686_018_427_380_000  # ids no row has: where a compiled query's parameters vary


class Prepared:
    """A ``values_list`` queryset of a fixed shape, compiled once per database alias and reused
    with other ids: ``build(*ids)`` returns it, and ``statement(*ids)`` its SQL with the ids in
    place, for ``run_together`` (Django's work to build and compile a queryset is most of what an
    indexed read costs). Only integer ids vary (passed as they are or as text); every other
    parameter must be the same for every call (a content type, a constant).

    On PostgreSQL ``fetch_prepared`` also makes it a server-side prepared statement of each
    connection (``PREPARE`` once, then ``EXECUTE name(ids)``): the server parses and plans its
    text once per connection instead of at every call — the planning of the close's reads cost
    the database more than running them. ``settings.DB_PREPARED_STATEMENTS = False`` (behind a
    pooler that hands transactions to other server connections, e.g. PgBouncer in transaction
    mode) sends the text each time instead."""

    def __init__(self, build):
        self.build = build
        self.compiled = {}
        self.serial = next(_SERIALS)
        self.generation = 0  # a new name after a failed round trip (the PREPARE may or may not have run)

    def _prepare(self, alias, n):
        sentinels = [_SENTINEL + k for k in range(n)]
        sql, params, compiler = compiled(self.build(*sentinels))
        slots = []
        for k, p in enumerate(params):
            for i, s in enumerate(sentinels):
                if p == s:
                    slots.append((k, i, int))
                elif p == str(s):
                    slots.append((k, i, str))
        if len({i for _k, i, _t in slots}) != n or any(
            str(s) in str(p) for k, p in enumerate(params) for s in sentinels if k not in {x[0] for x in slots}
        ):
            raise ValueError("Prepared: every id must be a parameter of its own")
        fields = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = compiler.get_converters(fields)  # the same for every call: asked once
        self.compiled[alias] = (sql, list(params), slots, compiler, converters)
        return self.compiled[alias]

    def _parts(self, conn, n):
        return self.compiled.get(conn.alias) or self._prepare(conn.alias, n)

    def statement(self, *ids, using=None):
        conn = _db(using)
        sql, params, slots, compiler, _conv = self._parts(conn, len(ids))
        params = list(params)
        for k, i, kind in slots:
            params[k] = kind(ids[i])
        return sql, params, compiler

    def rows(self, rows, *, using=None) -> list[tuple]:
        """``rows`` as read, through the fields' converters (what the queryset would return)."""
        conn = _db(using)
        _sql, _params, _slots, compiler, converters = self._parts(conn, 0)
        if not converters or not rows:
            return list(rows or [])
        return list(map(tuple, compiler.apply_converters(rows, converters)))

    def name(self) -> str:
        return f"sqlbatch_{self.serial}_{self.generation}"

    def server_statement(self, conn, ids):
        """(PREPARE text, EXECUTE text, EXECUTE params): the PREPARE's text written once per alias,
        its constants as literals, each id slot a typed parameter."""
        sql, params, slots, _compiler, _conv = self._parts(conn, len(ids))
        key = (conn.alias, "server", self.generation)
        text = self.compiled.get(key)
        if text is None:
            text = self.compiled[key] = _prepare_text(conn, self.name(), sql, params, slots)
        values = [kind(ids[i]) for _k, i, kind in slots]
        return text, f"EXECUTE {self.name()}({', '.join(['%s'] * len(values))})", values


_SERIALS = itertools.count(1)


def _prepare_text(conn, name, sql, params, slots) -> str:
    """``PREPARE name(types) AS sql``: Django's ``%s`` placeholders become ``$n`` for the id slots
    (``bigint`` or ``text``) and literals for the constants; ``%%`` becomes ``%``."""
    where = {k: n for n, (k, _i, _kind) in enumerate(slots, start=1)}
    types = ", ".join("bigint" if kind is int else "text" for _k, _i, kind in slots)
    counter = iter(range(len(params)))

    def repl(m):
        if m.group(1) == "%":
            return "%"
        k = next(counter)
        if k in where:
            return f"${where[k]}"
        return conn.ops.compose_sql("%s", [params[k]])

    body = re.sub(r"%([%s])", repl, sql)
    if next(counter, None) is not None:
        raise ValueError("Prepared: placeholders and parameters differ")
    return f"PREPARE {name}({types}) AS {body}" if types else f"PREPARE {name} AS {body}"


def _server_prepared(conn) -> set | None:
    """The names ``PREPARE``d on ``conn``'s current server connection (None: not used here)."""
    from django.conf import settings

    if conn.vendor != "postgresql" or not getattr(settings, "DB_PREPARED_STATEMENTS", True):
        return None
    conn.ensure_connection()
    state = getattr(conn, "_sqlbatch_server", None)
    if state is None or state[0] is not conn.connection:  # a new connection: nothing prepared on it
        state = conn._sqlbatch_server = (conn.connection, set())
    return state[1]


def fetch_prepared(calls, *, using=None) -> list[list[tuple]]:
    """``fetch_together`` for ``Prepared`` queries: [(prepared, ids)]. On PostgreSQL each one a
    server-side prepared statement of the connection (``EXECUTE``; its ``PREPARE`` sent with its
    first call on the connection, in the same round trip)."""
    conn = _db(using)
    done = _server_prepared(conn)
    if done is None:
        parts = [prepared.statement(*ids, using=conn) for prepared, ids in calls]
        results = run_together([(sql, params) for sql, params, _c in parts], using=conn)
        return [prepared.rows(rows, using=conn) for (prepared, _ids), rows in zip(calls, results, strict=True)]
    statements, answers, fresh = [], [], []
    for prepared, ids in calls:
        text, execute, values = prepared.server_statement(conn, ids)
        name = prepared.name()
        if name not in done and prepared not in fresh:
            statements.append((text, []))
            fresh.append(prepared)
        answers.append(len(statements))
        statements.append((execute, values))
    try:
        results = run_together(statements, using=conn)
    except Exception:
        for prepared in fresh:  # it may or may not exist on the server now: the next call uses a new name
            prepared.generation += 1
        raise
    done.update(prepared.name() for prepared in fresh)
    return [prepared.rows(results[k], using=conn) for (prepared, _ids), k in zip(calls, answers, strict=True)]

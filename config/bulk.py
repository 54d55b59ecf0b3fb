"""Many new rows of one model at once, as ``bulk_create`` writes them, through PostgreSQL's COPY.

``bulk_create`` of 1,000 rows sends one INSERT with 20,000 placeholders, which psycopg's client-side
binding splits and quotes in Python (measured in the register import: half a batch's write time).
``bulk_insert`` gives the same rows: on PostgreSQL the primary keys are taken from the table's
sequence in one statement and the rows are streamed with COPY (row triggers fire as for an INSERT);
elsewhere (SQLite) it is ``bulk_create``. Each object gets its primary key (``obj.pk``), its
``auto_now``/``auto_now_add`` values and a saved state, as after ``bulk_create``."""

import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import JSONField
from django.db.models.expressions import DatabaseDefault, Value

# values psycopg writes as they are, as Django's own preparation would leave them (a naive datetime
# is not among them: Django warns and makes it aware)
_PLAIN = {str, int, bool, float, Decimal, datetime.date}


def bulk_insert(model, objs: list, *, batch_size: int = 1000, prepare=None, update_fields=()) -> list:
    """Insert ``objs`` (unsaved instances of ``model``, their primary keys unset) inside the caller's
    transaction. ``prepare(objs)``, when given, is called once the primary keys are known and returns
    the objects it changed: on PostgreSQL before the rows are written, elsewhere after (those are then
    updated, ``update_fields``). Returns ``objs``."""
    if not objs:
        return objs
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objs, batch_size=batch_size)
        changed = prepare(objs) if prepare else []
        if changed and update_fields:
            model.objects.bulk_update(changed, list(update_fields), batch_size=batch_size)
        return objs
    meta = model._meta
    pk = meta.pk
    fields = [f for f in meta.concrete_fields if not f.generated]
    table = connection.ops.quote_name(meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, pk.column, len(objs)],
        )
        ids = [row[0] for row in cursor.fetchall()]
        for obj, new_id in zip(objs, ids, strict=True):
            setattr(obj, pk.attname, new_id)
        if prepare:
            prepare(objs)
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            plain = [not isinstance(f, JSONField) for f in fields]
            for obj in objs:
                copy.write_row([_value(f, obj, p) for f, p in zip(fields, plain, strict=True)])
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def _value(field, obj, plain: bool):
    value = field.pre_save(obj, True)
    if value is None:
        return None
    kind = type(value)
    if plain and (kind in _PLAIN or (kind is datetime.datetime and value.tzinfo is not None)):
        return value  # what get_db_prep_save returns for these, without its calls (a batch has 70,000)
    if isinstance(value, DatabaseDefault):  # left to the column's default: the same literal
        default = field.db_default
        if not isinstance(default, Value):
            raise ValueError(f"{field}: a database default that is not a literal")
        value = default.value
        setattr(obj, field.attname, value)
    return field.get_db_prep_save(value, connection)

"""config.sqlbatch (issue 12, track i12w): several statements in one round trip on PostgreSQL, and
writes queued inside ``deferring()`` that travel with the next statement — on both databases the
same rows, in the same order, with the same answers."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from config import sqlbatch
from councils.models import Organisation

pytestmark = pytest.mark.django_db

TABLE = "i12w_sqlbatch_probe"


@pytest.fixture
def probe():
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {TABLE} (id integer PRIMARY KEY, note varchar(20) NOT NULL)")
    yield
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {TABLE}")


def notes():
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id, note FROM {TABLE} ORDER BY id")
        return [tuple(r) for r in cursor.fetchall()]


def test_run_together_answers_each_statement_in_order_in_one_round_trip(probe):
    with CaptureQueriesContext(connection) as ctx:
        out = sqlbatch.run_together(
            [
                (f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)", [1, "a%b"]),
                (f"SELECT count(*) FROM {TABLE} WHERE note = %s", ["a%b"]),  # sees the insert before it
                (f"UPDATE {TABLE} SET note = %s WHERE id = %s", ["c", 1]),
                (f"SELECT id, note FROM {TABLE}", []),
            ]
        )
    assert out[0] is None and out[2] is None
    assert [tuple(r) for r in out[1]] == [(1,)]
    assert [tuple(r) for r in out[3]] == [(1, "c")]
    assert len(ctx.captured_queries) == (1 if connection.vendor == "postgresql" else 4)


def test_fetch_together_returns_what_each_queryset_returns(structure):
    a = Organisation.objects.order_by("code").values_list("code", "name", "path")
    b = Organisation.objects.filter(code="nothing").values_list("pk")
    got = sqlbatch.fetch_together([a, b])
    assert got == [list(a), list(b)] and len(got[0]) > 3 and got[1] == []


def test_deferred_writes_travel_with_the_next_statement_and_are_seen_by_it(probe):
    got = []
    with transaction.atomic():
        with CaptureQueriesContext(connection) as ctx:
            with sqlbatch.deferring():
                sqlbatch.execute(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)", [1, "x"])
                sqlbatch.execute(
                    f"UPDATE {TABLE} SET note = %s WHERE id = %s RETURNING id", ["y", 1], on_rows=got.append
                )
                queued = len(ctx.captured_queries)
                seen = notes()  # any statement: the queued writes go first, in the same round trip
                sqlbatch.execute(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)", [2, "z"])
        # the block's end sent what was left, inside the transaction
        assert notes() == [(1, "y"), (2, "z")]
    assert seen == [(1, "y")]
    assert [list(r) for r in got[0]] == [[1]]
    if connection.vendor == "postgresql":
        assert queued == 0  # nothing sent before the read
        assert len(ctx.captured_queries) == 2  # the read (with both writes), the last write at the end
    else:  # SQLite: nothing is queued (no round trip to save)
        assert queued == 2 and len(ctx.captured_queries) == 4


def test_a_failure_inside_deferring_drops_the_queue(probe):
    with pytest.raises(RuntimeError), transaction.atomic():
        with sqlbatch.deferring():
            sqlbatch.execute(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)", [1, "x"])
            raise RuntimeError
    assert notes() == []
    assert getattr(connection, "_sqlbatch_queue", None) is None
    # and the connection is back to sending every statement at once
    sqlbatch.execute(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)", [3, "w"])
    assert notes() == [(3, "w")]


def test_a_queued_write_that_fails_raises_inside_the_transaction(probe):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError), transaction.atomic():
        with sqlbatch.deferring():
            sqlbatch.execute(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)", [1, "x"])
            sqlbatch.execute(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)", [1, "again"])
    assert notes() == []


def test_update_and_insert_statements_write_what_save_writes(structure):
    root = Organisation.objects.order_by("path").first()
    root.name = "Sau"
    sqlbatch.execute(*sqlbatch.update_statement(root, ["name"]))
    assert Organisation.objects.get(pk=root.pk).name == "Sau"


def test_a_prepared_query_answers_what_its_queryset_answers_for_every_id(structure):
    built = []

    def build(pk, parent):
        built.append((pk, parent))
        return Organisation.objects.filter(pk__in=[pk, parent]).order_by("path").values_list("code", "path")

    prepared = sqlbatch.Prepared(build)
    orgs = list(Organisation.objects.order_by("path").values_list("pk", flat=True))
    for a, b in zip(orgs, orgs[1:], strict=False):
        (got,) = sqlbatch.fetch_prepared([(prepared, [a, b])])
        assert got == list(build(a, b))
    assert len(built) == 1 + len(orgs) - 1  # compiled once (the rest built here, to compare)


def test_a_prepared_query_refuses_an_id_that_is_not_a_parameter_of_its_own(structure):
    prepared = sqlbatch.Prepared(lambda pk: Organisation.objects.filter(code=f"x{pk}").values_list("pk"))
    with pytest.raises(ValueError):
        sqlbatch.fetch_prepared([(prepared, [1])])


def _server_statements() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_prepared_statements")
        return {name for (name,) in cursor.fetchall()}


def _organisations(structure):
    prepared = sqlbatch.Prepared(lambda pk: Organisation.objects.filter(pk=pk).values_list("code", "path", "depth"))
    return prepared, list(Organisation.objects.order_by("path").values_list("pk", flat=True))


@pytest.mark.postgres
def test_a_prepared_query_is_prepared_on_the_server_once_per_connection_and_answers_the_same(structure):
    prepared, orgs = _organisations(structure)
    with CaptureQueriesContext(connection) as ctx:
        for pk in orgs:
            assert sqlbatch.fetch_prepared([(prepared, [pk])]) == [list(prepared.build(pk))]
    sent = [q["sql"] for q in ctx.captured_queries if "sqlbatch_" in q["sql"]]
    assert sent[0].startswith(f"PREPARE {prepared.name()}(bigint) AS SELECT")  # with its first call
    assert all(s == f"EXECUTE {prepared.name()}({pk})" for s, pk in zip(sent[1:], orgs[1:], strict=True))
    assert prepared.name() in _server_statements()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_new_connection_prepares_again():
    from councils.models import User

    prepared = sqlbatch.Prepared(lambda pk: User.objects.filter(pk=pk).values_list("username"))
    pk = User.objects.create(username="sqlbatch-probe").pk
    for _round in range(2):  # a new connection has nothing prepared: the next call prepares again
        connection.close()
        with CaptureQueriesContext(connection) as ctx:
            got = sqlbatch.fetch_prepared([(prepared, [pk])])
        assert got == [[("sqlbatch-probe",)]]
        assert ctx.captured_queries[-1]["sql"].startswith(f"PREPARE {prepared.name()}(bigint) AS SELECT")
        assert prepared.name() in _server_statements()


@pytest.mark.postgres
def test_a_failed_round_trip_prepares_again_under_a_new_name(structure, probe):
    from django.db import IntegrityError

    prepared, orgs = _organisations(structure)
    first = prepared.name()
    with pytest.raises(IntegrityError), transaction.atomic():
        with sqlbatch.deferring():  # the queued write fails in the PREPARE's round trip
            sqlbatch.execute(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)", [1, "x"])
            sqlbatch.execute(f"INSERT INTO {TABLE} (id, note) VALUES (%s, %s)", [1, "again"])
            sqlbatch.fetch_prepared([(prepared, [orgs[0]])])
    assert prepared.name() != first
    assert sqlbatch.fetch_prepared([(prepared, [orgs[0]])]) == [list(prepared.build(orgs[0]))]


@pytest.mark.postgres
def test_without_server_prepared_statements_the_text_is_sent(structure, settings):
    settings.DB_PREPARED_STATEMENTS = False  # e.g. behind PgBouncer in transaction mode
    prepared, orgs = _organisations(structure)
    with CaptureQueriesContext(connection) as ctx:
        assert sqlbatch.fetch_prepared([(prepared, [orgs[0]])]) == [list(prepared.build(orgs[0]))]
    assert not any("PREPARE" in q["sql"] or "EXECUTE" in q["sql"] for q in ctx.captured_queries)
    assert prepared.name() not in _server_statements()


def test_an_insert_of_fields_with_a_database_default_is_written_once_and_inserts_what_it_says(structure):
    from django.utils import timezone

    from audit.models import AuditEntry
    from config.sqlbatch import _INSERTS
    from notifications.models import OutboxMessage

    def entry(k):
        return AuditEntry(
            seq=10**9 + k,
            hash_version=3,
            at=timezone.now(),
            actor_display_name=f"n{k}",
            action="t",
            object_type="x",
            object_id=str(k),
            scope_key="",
            scope_prev="",
            hash="h",
            details={"k": k},
        )

    def outbox(k):
        return [
            OutboxMessage(
                task=f"t{k}{j}", kwargs={"k": k, "j": j}, next_attempt_at=timezone.now(), created_at=timezone.now()
            )
            for j in "ab"
        ]

    for build in (lambda k: [entry(k)], outbox):  # a single row with db_default fields; the bulk (UNNEST) form
        rows = [build(1), build(2)]
        for objs in rows:
            sql, params = sqlbatch.insert_statement(objs)
            sqlbatch.saved(objs, sqlbatch.run_together([(sql, params)])[0])
        assert (connection.alias, type(rows[0][0]), len(rows[0])) in _INSERTS  # the second call reused the text
        model = type(rows[0][0])
        for objs in rows:
            for obj in objs:
                stored = model.objects.get(pk=obj.pk)
                assert all(
                    getattr(stored, f.attname) == getattr(obj, f.attname) for f in model._meta.concrete_fields
                ), model

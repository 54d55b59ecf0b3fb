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

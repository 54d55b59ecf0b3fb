"""``manage.py generate_load`` at a tiny N (SQLite in CI, PostgreSQL's COPY with DATABASE_URL): the
trail verifies, the states hold their proportions, every persona logs in and finds its work."""

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count
from rest_framework.test import APIClient

from audit.models import AuditEntry
from bench.loadgen import FORCED, STATE_MIX
from councils.models import User
from initiatives.duplicates import dup_key
from initiatives.models import Initiative
from workflow.models import CouncilSession, Vote

N = 400


def generate(*extra):
    out = io.StringIO()
    call_command("generate_load", "--initiatives", str(N), "--quiet", "--batch", "250", *extra, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_generated_programme(client):
    made = generate()
    assert made["initiatives"] == N and Initiative.objects.count() == N

    # the trail: verify_audit walks the whole chain, links, hashes and scope links
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert made["entries_written"] >= 3.5 * N
    # every entry checked ("audit_entries" is the highest entry number: on a database whose
    # sequence earlier work advanced it is more than the entries there are)
    assert AuditEntry.objects.count() >= made["entries_written"]
    assert f" {AuditEntry.objects.count()} " in out.getvalue()

    # realistic proportions (the forced first dossiers and the sampling noise aside)
    total = sum(share for _, share in STATE_MIX)
    counts = dict(Initiative.objects.values_list("state").annotate(n=Count("id")))
    for state, share in STATE_MIX:
        if share >= 50:
            assert abs(counts.get(state, 0) / N - share / total) < 0.06, (state, counts)

    # the duplicate screen's key as the actions write it
    for title, summary, key in Initiative.objects.values_list("title", "summary", "dup_key")[:50]:
        assert key == dup_key(title, summary)

    # closed secret ballots are left as the close leaves them: anonymous decisions, no time
    secret = CouncilSession.objects.filter(ballot="secret", closed_at__isnull=False)
    assert secret.exists()
    assert not Vote.objects.filter(session__in=secret, voter__isnull=False).exists()
    assert not Vote.objects.filter(session__in=secret, cast_at__isnull=False).exists()
    # every dossier before a council has its open session
    before = Initiative.objects.filter(state__in=FORCED[2:])
    assert before.count() == CouncilSession.objects.filter(closed_at=None, initiative__in=before).count()

    # every persona logs in through the login page and finds its work
    for persona, username in made["personas"].items():
        r = client.post("/accounts/login/", {"username": username, "password": made["password"]})
        assert r.status_code == 302, persona
        api = APIClient()
        api.force_login(User.objects.get(username=username))
        inbox = api.get("/api/v1/tasks/")
        assert inbox.status_code == 200, persona
        if persona.endswith("chair") or persona in ("adviser", "unit_member"):
            assert inbox.json()["count"] >= 1, persona
        listed = api.get("/api/v1/initiatives/")
        assert listed.status_code == 200
        if persona in ("author", "officer", "unit_chair"):
            assert listed.json()["count"] >= 1, persona
        client.logout()
    assert client.get("/").status_code in (200, 302)

    # a second run refuses the full database; --append adds another tree beside it
    with pytest.raises(CommandError):
        generate()
    more = generate("--append", "--affiliates", "1")
    assert Initiative.objects.count() == 2 * N and more["personas"]["author"].startswith("lg2-")
    assert more["audit_entries"] > made["audit_entries"]  # the chain goes on from the head
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert f" {AuditEntry.objects.count()} " in out.getvalue()


@pytest.mark.django_db
def test_every_entry_hashes_as_audit_chain_hashes_it():
    """Each entry's hash is checked against ``audit.chain.entry_digest`` as it is written
    (``check_every=1``): the bulk writer's canonical JSON is the chain's, close minutes included."""
    from bench.loadgen import generate as generate_load

    made = generate_load(150, quiet=True, batch=100, check_every=1)
    assert made["entries_written"] >= 3 * 150
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert f" {AuditEntry.objects.count()} " in out.getvalue()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_generator_never_moves_a_sequence_back():
    """Ids the sequences already handed out are never given again, and no sequence is moved back:
    ``setval`` outlives a rollback, and a sequence moved back below rows written before (a test's
    kept rows put back, a restored backup) made the next insert collide (CI's second pass once)."""
    from django.db import connection

    from bench.loadgen import generate as generate_load

    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence('audit_auditentry', 'id'))")
        handed_out = cursor.fetchone()[0]
    generate_load(60, quiet=True, batch=60)
    first = AuditEntry.objects.order_by("id").values_list("id", flat=True).first()
    assert first > handed_out
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM audit_auditentry_id_seq")
        assert cursor.fetchone()[0] >= AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()


def _catalogue():
    """Every index and constraint definition and every table's options, as PostgreSQL prints them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "JOIN pg_class c ON c.oid = indrelid WHERE c.relnamespace = 'public'::regnamespace ORDER BY 1"
        )
        indexes = cursor.fetchall()
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), condeferrable, condeferred "
            "FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2"
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relnamespace = 'public'::regnamespace "
            "AND relkind = 'r' ORDER BY 1"
        )
        options = cursor.fetchall()
    return indexes, constraints, options


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_parallel_bulk_load_on_postgresql_puts_the_schema_back():
    """Two forked workers, the big tables' indexes, keys and autovacuum set aside and put back: the
    catalogue is the one before, the trail verifies, every dossier has its rows."""
    from bench import bulkschema
    from bench.loadgen import BULK_TABLES
    from bench.loadgen import generate as generate_load

    before = _catalogue()
    made = generate_load(600, quiet=True, batch=150, workers=2, bulk=True, affiliates=3, check_every=50)
    assert made["workers"] == 2 and made["bulk"] and made["indexes_restored"]["foreign_keys"] > 10
    assert _catalogue() == before
    assert not bulkschema.pending_file().exists()
    assert Initiative.objects.count() == 600
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert str(made["entries_written"]) in out.getvalue()
    # the chains' entry numbers interleave between the workers and still increase along each chain
    from audit.models import AuditChain

    assert AuditChain.objects.filter(n__gt=0).count() == 3

    # an interrupted load (indexes dropped, nothing put back) is repaired by the next run's start
    items = bulkschema.capture(BULK_TABLES)
    bulkschema.drop(items)
    assert _catalogue() != before
    bulkschema.restore_pending()
    assert _catalogue() == before


@pytest.mark.django_db
def test_workers_refused_inside_a_transaction_or_out_of_range():
    for extra in (["--workers", "2"], ["--workers", "0"]):
        with pytest.raises(CommandError):
            call_command("generate_load", "--initiatives", "10", "--quiet", *extra, stdout=io.StringIO())
    assert not Initiative.objects.exists()

"""The register import's fast path (track i11i), on SQLite and PostgreSQL: rows written with COPY
(``config.bulk.bulk_insert``) are the rows ``bulk_create`` writes; a batch's set-based duplicate screen
lists, for every imported row, what the per-row screen finds for it; the trail still verifies; on
PostgreSQL the screen's index has no pending list (a batch's lookups right after its inserts)."""

import datetime

import pytest
from django.db import connection, transaction

from audit.models import AuditEntry
from config.bulk import bulk_insert
from councils.models import Organisation, User
from initiatives.imports import _screen_row
from initiatives.models import DossierVersion, Initiative, RegisterImport

from .test_import import register
from .test_import_api import _on_commit, row, upload  # noqa: F401  (_on_commit: the tasks run on commit)

pytestmark = pytest.mark.django_db

COLUMNS = [
    "reference",
    "title",
    "summary",
    "category",
    "organisation_id",
    "state",
    "benefit_value_vnd",
    "confidential",
    "version",
    "dossier_version",
    "created_by_id",
    "submitted_at",
    "applied_since",
    "search_text",
    "dup_key",
]


def _initiative(org, user, n, prefix):
    return Initiative(
        reference=f"{prefix}-{n}" if n % 2 else None,
        title=f"Sáng kiến thử ghi hàng loạt số {n}",
        summary="Tóm tắt",
        category="technical",
        organisation=org,
        state="advisory_review",
        benefit_value_vnd=1000 * n,
        created_by=user,
        submitted_at=datetime.datetime(2022, 3, n + 1, 12, tzinfo=datetime.UTC),
        applied_since=datetime.date(2022, 1, n + 1),
        search_text="x",
        dup_key="abc",
    )


def test_bulk_insert_writes_what_bulk_create_writes(report_structure):
    org = Organisation.objects.get(code="XN1")
    user = User.objects.get(username="author1")

    def number(objs):  # the references of the rows without one, from their ids, before the write
        out = []
        for obj in objs:
            if not obj.reference:
                obj.reference = f"BULK-ID-{obj.pk}"
                out.append(obj)
        return out

    with transaction.atomic():
        mine = bulk_insert(
            Initiative,
            [_initiative(org, user, n, "MINE") for n in range(4)],
            prepare=number,
            update_fields=["reference"],
        )
        theirs = Initiative.objects.bulk_create([_initiative(org, user, n, "THEIRS") for n in range(4)])
    assert all(o.pk and not o._state.adding for o in mine)
    assert len({o.pk for o in mine + theirs}) == 8  # the sequence gave fresh ids, and bulk_create after it too
    stored = {
        r["id"]: r for r in Initiative.objects.filter(pk__in=[o.pk for o in mine + theirs]).values("id", *COLUMNS)
    }
    for a, b in zip(mine, theirs, strict=True):
        x, y = dict(stored[a.pk]), dict(stored[b.pk])
        if not x["reference"].startswith("BULK-ID-"):
            assert x.pop("reference").replace("MINE", "THEIRS") == y.pop("reference")
        else:
            assert x.pop("reference") == f"BULK-ID-{a.pk}" and y.pop("reference") is None
        x.pop("id"), y.pop("id")
        assert x == y
    assert all(Initiative.objects.get(pk=o.pk).created_at for o in mine)  # auto_now_add as bulk_create sets it
    # a JSON field, and a column left to its database default (the audit entry's)
    with transaction.atomic():
        version = bulk_insert(
            DossierVersion,
            [
                DossierVersion(
                    initiative=mine[0],
                    number=1,
                    content={"a": [1, "ạ"]},
                    digest="d",
                    submitted_by=user,
                    submitted_at=mine[0].submitted_at,
                )
            ],
        )[0]
    assert DossierVersion.objects.get(pk=version.pk).content == {"a": [1, "ạ"]}


def test_the_batch_screen_lists_what_the_per_row_screen_finds(report_structure, api, tmp_path):
    client = api(report_structure["officer_x1"])
    upload(client, register(tmp_path, [row("BS-0", "Cải tiến dụng cụ đo điện trở tiếp địa trạm biến áp")]))
    rows = [
        row("BS-1", "Cải tiến dụng cụ đo điện trở tiếp địa cho trạm biến áp"),
        row("BS-2", "Dụng cụ đo điện trở nối đất ở trạm biến áp 110 kV"),
        row("BS-3", "Quy trình tiếp nhận hồ sơ điện tử của khách hàng"),
        row("BS-4", "Tiếp nhận hồ sơ khách hàng qua mạng theo quy trình điện tử"),
        row("BS-5", "Camera nhiệt giám sát đầu cốt máy biến áp"),
    ]
    body = upload(client, register(tmp_path, rows, name="batch.xlsx")).json()
    assert body["state"] == "done" and body["imported"] == 5
    imp = RegisterImport.objects.get(pk=body["id"])
    listed = {d["reference"]: d["candidates"] for d in body["duplicates"]}
    keys = ("id", "title", "organisation", "similarity", "reasons")
    per_row = {}
    for initiative in Initiative.objects.filter(reference__startswith="BS-").exclude(reference="BS-0"):
        found = _screen_row(initiative=initiative, user=imp.by)
        if found:
            per_row[initiative.reference] = [{k: d[k] for k in keys} for d in found]
    assert listed == per_row
    # not trivially equal: a row finds the earlier register's dossier, two rows of the batch find each other
    earlier = Initiative.objects.get(reference="BS-0").pk
    assert earlier in {c["id"] for c in listed["BS-1"]}
    assert Initiative.objects.get(reference="BS-4").pk in {c["id"] for c in listed["BS-3"]}
    assert "BS-5" not in listed
    verify = api(report_structure["auditor_n"]).get("/api/v1/audit/verify/").json()
    assert verify["ok"] is True, verify
    assert AuditEntry.objects.filter(action="import").count() == 6


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's GIN index")
def test_the_screens_index_has_no_pending_list_and_sees_what_the_transaction_wrote(report_structure):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = 'initiative_dup_key_fts'")
        assert "fastupdate=off" in (cursor.fetchone()[0] or [])


def test_a_batchs_recognised_rows_find_their_councils_in_one_query_as_the_routing_does(report_structure):
    """``recognised_stages`` (the import's look-up for many units at once) gives each unit what
    ``stage_after`` — or, with no council above, ``council_for_stage`` of the unit council — gives
    it, in one query whatever the number of units: a root with no stage council at all, a unit
    whose corporation keeps none, and a unit with two councils of one kind (the newest)."""
    from django.test.utils import CaptureQueriesContext

    from councils.models import Council
    from initiatives.models import State
    from initiatives.routing import council_for_stage, recognised_stages, stage_after

    xn2 = Organisation.objects.get(code="XN2")
    Council.objects.create(code="XN2-HD2", name="Hội đồng thứ hai", kind="unit", organisation=xn2)
    orgs = list(Organisation.objects.order_by("path"))
    assert recognised_stages(organisations=orgs)[Organisation.objects.get(code="TLD").pk] == (State.UNIT_COUNCIL, None)
    tld = Organisation.objects.get(code="TLD")
    for code in ("TLD-CS1", "TLD-CS2"):  # the root's own unit councils: with none above, the newest judges
        Council.objects.create(code=code, name=code, kind="unit", organisation=tld)
    orgs = list(Organisation.objects.order_by("path"))
    assert len(orgs) >= 8
    with CaptureQueriesContext(connection) as queries:
        got = recognised_stages(organisations=orgs)
    assert len(queries) == 1
    for org in orgs:
        want = stage_after(organisation=org, state=State.UNIT_COUNCIL) or (
            State.UNIT_COUNCIL,
            council_for_stage(organisation=org, state=State.UNIT_COUNCIL),
        )
        assert got[org.pk] == want, org.code
    assert got[tld.pk][0] == State.UNIT_COUNCIL and got[tld.pk][1].code == "TLD-CS2"
    assert got[Organisation.objects.get(code="XN3").pk][1].code == "NGANH-HD"
    assert council_for_stage(organisation=xn2, state=State.UNIT_COUNCIL).code == "XN2-HD2"
    assert recognised_stages(organisations=[]) == {}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's JIT")
def test_a_batch_runs_its_statements_without_jit(report_structure, api, tmp_path, monkeypatch):
    """A batch's set-based statements are costed high enough to be JIT-compiled, which took longer
    than running them (570 ms for a 2,500-row screen that ran in 40 ms): the batch turns JIT off
    for its own transaction (``SET LOCAL``: in a test, the test's transaction)."""
    from initiatives import imports

    seen = []
    screen_rows = imports._screen_rows

    def spy(**kw):
        with connection.cursor() as cursor:
            cursor.execute("SHOW jit")
            seen.append(cursor.fetchone()[0])
        return screen_rows(**kw)

    monkeypatch.setattr(imports, "_screen_rows", spy)
    with connection.cursor() as cursor:
        cursor.execute("SET jit = on")
    body = upload(
        api(report_structure["officer_x1"]), register(tmp_path, [row("JIT-1", "Sổ tay vận hành trạm")])
    ).json()
    assert body["state"] == "done" and body["imported"] == 1
    assert seen == ["off"]

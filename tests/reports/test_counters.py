"""Progress counters (initiatives.counters): initiatives driven through the real actions and the
register import; the report read from the counters equals the report computed live from the
initiatives, which equals counts made here independently; a rebuild reproduces the counters kept
incrementally; concurrent submits on PostgreSQL keep them exact."""

import datetime
import re
import threading

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import Workbook

from councils.models import Organisation
from initiatives.counters import local_day
from initiatives.models import (
    AuthorCount,
    AuthorFirstCount,
    AuthorFirstMonth,
    AuthorSeen,
    Initiative,
    Phase,
    Programme,
    ProgressCount,
)

pytestmark = pytest.mark.django_db

ROOTS = ("TLD", "NGANH", "TCTA", "XN1", "XN2", "TCTB")
HEADERS = ["Số hồ sơ", "Tên sáng kiến", "Mã đơn vị", "Lĩnh vực", "Tác giả", "Giá trị làm lợi (VND)"]
HEADERS += ["Ngày áp dụng", "Ngày đăng ký", "Ngày công nhận"]


CUT_DAYS = (
    datetime.date(2021, 8, 31),  # before the programme: nothing
    datetime.date(2021, 10, 31),  # a month's end: counts from the counters too
    datetime.date(2021, 11, 15),
    datetime.date(2022, 6, 1),
    datetime.date(2022, 7, 16),
    datetime.date(2023, 1, 20),
)


def _periods():
    """The programme and its phases, whole and cut at days (``until``, ``as_of``), yesterday and
    today among them (the actions register today)."""
    from reports.selectors import period_for

    programme = Programme.objects.get(code="T-PROG")
    today = timezone.localdate()
    out = {"whole": period_for(programme=programme)}
    phases = {p.code: p for p in Phase.objects.filter(programme=programme)}
    for phase in phases.values():
        out[phase.code] = period_for(programme=programme, phase=phase)
    for day in (*CUT_DAYS, today - datetime.timedelta(days=1), today):
        out[f"until {day}"] = period_for(programme=programme, until=day)
    for day in (datetime.date(2022, 1, 10), today - datetime.timedelta(days=1)):
        out[f"as_of {day}"] = period_for(programme=programme, as_of=day)
    out["A until 2021-11-15"] = period_for(programme=programme, phase=phases["A"], until=datetime.date(2021, 11, 15))
    for day in (datetime.date(2023, 1, 20), today - datetime.timedelta(days=1)):
        out[f"B until {day}"] = period_for(programme=programme, phase=phases["B"], until=day)
    return out


def independent(root: Organisation, starts: datetime.date, ends: datetime.date) -> dict:
    """The root's figures counted here, initiative by initiative, from the definitions."""
    inis = list(Initiative.objects.filter(organisation__path__startswith=root.path).prefetch_related("authors"))
    reg = [i for i in inis if i.submitted_at and i.state != "withdrawn" and starts <= local_day(i.submitted_at) <= ends]
    rec = [i for i in inis if i.recognised_at and starts <= local_day(i.recognised_at) <= ends]
    people = {(a.user_id, None) if a.user_id else (None, a.full_name) for i in reg for a in i.authors.all()}
    return {
        "registered": len(reg),
        "recognised": len(rec),
        "benefit_value_vnd": sum(i.benefit_value_vnd for i in reg),
        "authors": len(people),
    }


def check(*, fast_counts=True, fast_authors=True, today_only=False):
    """For every root and period: counters == live == independent; and the fast path read no
    initiative when it was expected to (a period cut inside a month counts its edge days live,
    but never its authors). ``today_only``: only the periods an action of today can change apart
    (the whole programme, its phases, cut yesterday and today) — after each action; a count an
    action put in a wrong past month stays there, so the full check after the actions finds it."""
    from reports.selectors import TreeAsOf, progress_report

    periods = _periods()
    if today_only:
        periods = {k: v for k, v in periods.items() if not any(str(d) in k for d in (*CUT_DAYS, "2022-01-10"))}
    for name, period in periods.items():
        for code in ROOTS:
            root = Organisation.objects.get(code=code)
            with CaptureQueriesContext(connection) as ctx:
                fast = progress_report(root=root, period=period, by_category=True)
            live = progress_report(root=root, period=period, by_category=True, counters=False)
            assert fast == live, (name, code)
            past_tree = bool(TreeAsOf(root=root, on=period.on).changed_ids)
            if not past_tree:  # the independent count knows only today's tree
                mine = independent(root, period.starts, period.ends)
                assert {k: fast[0][k] for k in mine} == mine, (name, code)
            sql = " ".join(q["sql"] for q in ctx.captured_queries)
            expect_live = past_tree or not (fast_counts and fast_authors)
            assert bool(re.search(r"initiatives_initiativeauthor\b", sql)) == expect_live, (name, code, sql)
            month_end = (period.ends + datetime.timedelta(days=1)).day == 1
            if month_end and period.ends >= period.starts:
                assert bool(re.search(r"initiatives_initiative\b", sql)) == expect_live, (name, code, sql)


def counters_snapshot():
    return (
        set(
            ProgressCount.objects.exclude(registered=0, recognised=0, benefit_registered=0).values_list(
                "organisation_id", "month", "category", "registered", "recognised", "benefit_registered"
            )
        ),
        set(AuthorSeen.objects.values_list("ancestor_id", "period_id", "person", "initiatives", "first_day")),
        set(AuthorCount.objects.exclude(authors=0).values_list("ancestor_id", "period_id", "authors")),
        set(AuthorFirstCount.objects.exclude(authors=0).values_list("ancestor_id", "period_id", "day", "authors")),
        set(AuthorFirstMonth.objects.exclude(authors=0).values_list("ancestor_id", "period_id", "month", "authors")),
    )


def assert_rebuild_reproduces():
    before = counters_snapshot()
    call_command("rebuild_progress_counters", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert counters_snapshot() == before


@pytest.fixture
def act(api, report_structure, django_capture_on_commit_callbacks):
    users = report_structure

    def run(user, iid, name, comment="", expect=200):
        with django_capture_on_commit_callbacks(execute=True):
            r = api(users[user]).post(f"/api/v1/initiatives/{iid}/actions/{name}/", {"comment": comment}, format="json")
        assert r.status_code == expect, (user, name, r.content)
        return r.json()

    return run


@pytest.fixture
def vote(api, report_structure):
    def run(user, iid, decision, comment=""):
        r = api(report_structure[user]).post(
            f"/api/v1/initiatives/{iid}/votes/", {"decision": decision, "comment": comment}, format="json"
        )
        assert r.status_code == 201, r.content

    return run


def register_file(tmp_path, rows):
    wb = Workbook()
    ws = wb.active
    ws.append(HEADERS)
    for row in rows:
        ws.append(row)
    path = tmp_path / "register.xlsx"
    wb.save(path)
    return path


def test_actions_and_import_keep_the_counters_equal_to_the_live_report(
    report_structure, make_draft, act, vote, api, tmp_path
):
    from initiatives.imports import initiatives_import

    check(today_only=True)
    # registered, then recognised by the unit council (a person with an account and one without)
    a = make_draft(
        "author1",
        authors=[{"username": "author1", "share_percent": 60}, {"full_name": "Người Ngoài", "share_percent": 40}],
    )["id"]
    act("author1", a, "submit")
    check(today_only=True)
    act("u1_adv", a, "forward")
    for voter in ("u1_chair", "u1_sec", "u1_m1"):
        vote(voter, a, "approve")
    act("u1_chair", a, "close")
    assert Initiative.objects.get(pk=a).recognised_at is not None
    check(today_only=True)
    # registered then withdrawn: counted nowhere; its author still counts through the first one
    b = make_draft("author1", category="management")["id"]
    act("author1", b, "submit")
    check(today_only=True)
    act("author1", b, "withdraw")
    check(today_only=True)
    # registered, returned to draft, edited (category, benefit, authors), resubmitted, withdrawn
    c = make_draft("author1b", benefit_value_vnd=5_000_000, authors=[{"username": "author1b", "share_percent": 100}])[
        "id"
    ]
    act("author1b", c, "submit")
    act("u1_adv", c, "return", comment="bổ sung")
    version = Initiative.objects.get(pk=c).version
    r = api(report_structure["author1b"]).patch(
        f"/api/v1/initiatives/{c}/",
        {
            "version": version,
            "category": "union",
            "benefit_value_vnd": 7_000_000,
            "authors": [{"username": "author1b", "share_percent": 50}, {"full_name": "Khách Mới", "share_percent": 50}],
        },
        format="json",
    )
    assert r.status_code == 200, r.content
    check(today_only=True)
    act("author1b", c, "submit")
    check(today_only=True)
    act("author1b", c, "withdraw")
    check(today_only=True)
    # a unit without its own advisory team; a draft never submitted counts nowhere
    d = make_draft("author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}])["id"]
    act("author2", d, "submit")
    make_draft("author1")
    check()
    # the register import: past registrations in both phases, some recognised
    path = register_file(
        tmp_path,
        [
            ["R-1", "Cải tiến dụng cụ đo điện trở", "XN1", "technical", "author1:60; Người Ngoài:40", 90_000_000,
             datetime.date(2021, 10, 5), datetime.date(2021, 11, 1), datetime.date(2022, 1, 10)],
            ["R-2", "Quy trình tiếp nhận hồ sơ điện tử", "XN2", "management", "author2", 1_000_000,
             None, datetime.date(2022, 5, 31), datetime.date(2022, 6, 1)],
            ["R-3", "Sổ tay an toàn điện cho công nhân", "XN3", "union", "Trần Văn Xa", 0,
             None, datetime.date(2022, 6, 1), None],
            ["R-4", "Tiết kiệm điện tự dùng trạm biến áp", "TO1", "covid", "author1b; Trần Văn Xa", 3_000_000,
             None, datetime.date(2021, 9, 1), None],
        ],
    )  # fmt: skip
    assert initiatives_import(path=path, actor=None) == 4
    check()
    assert_rebuild_reproduces()
    check(today_only=True)


def test_a_period_cut_inside_a_month_or_a_past_tree_with_moves_is_counted_live(
    report_structure, make_initiative, monkeypatch
):
    from councils.actions import organisation_move
    from reports.selectors import period_for, progress_report

    make_initiative("XN2", submitted=datetime.date(2022, 3, 10), recognised=datetime.date(2022, 4, 2))
    make_initiative("XN1", submitted=datetime.date(2022, 7, 15), authors=(("author1", None), (None, "Khách")))
    make_initiative("XN3", submitted=datetime.date(2022, 7, 20), state="withdrawn")
    programme = Programme.objects.get(code="T-PROG")
    sector = Organisation.objects.get(code="NGANH")

    def same(period):
        assert progress_report(root=sector, period=period) == progress_report(
            root=sector, period=period, counters=False
        )

    # until inside a month: both parts live; at a month's end: counts from counters, authors live
    same(period_for(programme=programme, until=datetime.date(2022, 7, 16)))
    same(period_for(programme=programme, until=datetime.date(2022, 7, 31)))
    # a move: authors live until a rebuild; a past day before the move: everything live
    organisation_move(
        organisation=Organisation.objects.get(code="XN2"),
        new_parent=Organisation.objects.get(code="TCTB"),
        effective=datetime.date(2022, 6, 1),
        actor=None,
    )
    check(fast_authors=False)
    same(period_for(programme=programme, on=datetime.date(2022, 5, 1)))
    call_command("rebuild_progress_counters", stdout=open("/dev/null", "w"))  # noqa: SIM115
    check()
    same(period_for(programme=programme, on=datetime.date(2022, 5, 1)))
    # a move after the report's day: the report's tree is not today's, so it is counted live
    organisation_move(
        organisation=Organisation.objects.get(code="XN2"),
        new_parent=Organisation.objects.get(code="TCTA"),
        effective=timezone.localdate() + datetime.timedelta(days=30),
        actor=None,
    )
    call_command("rebuild_progress_counters", stdout=open("/dev/null", "w"))  # noqa: SIM115
    check(fast_counts=False, fast_authors=False)


def test_the_random_mix_matches_and_a_rebuild_reproduces_it(random_initiatives):
    check()
    assert_rebuild_reproduces()


# --- PostgreSQL: concurrent actions ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_submits_and_withdrawals_keep_the_counters_exact(report_structure, make_draft, act):
    from rest_framework.authtoken.models import Token
    from rest_framework.test import APIClient

    users = report_structure
    shared = {"full_name": "Đồng Tác Giả", "share_percent": 50}
    drafts = []
    for i in range(12):
        user = ("author1", "author1b", "u1_m1")[i % 3]
        drafts.append((user, make_draft(user, authors=[{"username": user, "share_percent": 50}, shared])["id"]))
    # half of them submitted first, to be withdrawn while the others are submitted
    for user, iid in drafts[:6]:
        act(user, iid, "submit")
    clients = {}
    for username in ("author1", "author1b", "u1_m1"):
        token, _ = Token.objects.get_or_create(user=users[username])
        clients[username] = APIClient()
        clients[username].credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    calls = [(u, iid, "withdraw") for u, iid in drafts[:6]] + [(u, iid, "submit") for u, iid in drafts[6:]]
    barrier = threading.Barrier(len(calls))
    codes = [None] * len(calls)

    def run(k, user, iid, name):
        try:
            client = APIClient()
            client.credentials(**clients[user]._credentials)
            barrier.wait()
            codes[k] = client.post(f"/api/v1/initiatives/{iid}/actions/{name}/", {}, format="json").status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(k, *c)) for k, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert codes == [200] * len(calls)
    check()
    assert AuthorCount.objects.filter(ancestor__code="NGANH", period__starts=datetime.date(2021, 9, 1)).exists()
    assert_rebuild_reproduces()


def test_a_withdrawn_first_registration_moves_the_first_day_to_the_next_one(report_structure, make_initiative, act):
    """The cut period's authors when the initiative that made a person an author first leaves
    (withdrawn): from then on the person counts from their next registration, in every ancestor."""
    from reports.selectors import period_for, progress_report

    first = make_initiative(
        "XN1", submitted=datetime.date(2022, 3, 10), authors=(("author1", None), (None, "Khách Sớm"))
    )
    make_initiative("XN2", submitted=datetime.date(2022, 7, 15), authors=(("author1", None),))
    make_initiative("XN1", submitted=datetime.date(2022, 8, 2), authors=(("author1", None), (None, "Khách Sớm")))
    programme = Programme.objects.get(code="T-PROG")
    tcta = Organisation.objects.get(code="TCTA")
    april = period_for(programme=programme, until=datetime.date(2022, 4, 30))
    assert progress_report(root=tcta, period=april)[0]["authors"] == 2
    act("author1", first.pk, "withdraw")
    check()
    assert progress_report(root=tcta, period=april)[0]["authors"] == 0
    july = period_for(programme=programme, until=datetime.date(2022, 7, 31))
    rows = {r["organisation"]: r["authors"] for r in progress_report(root=tcta, period=july)}
    assert (rows["TCTA"], rows["XN1"], rows["XN2"]) == (1, 0, 1)
    assert_rebuild_reproduces()

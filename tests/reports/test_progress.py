"""The progress report against counts made independently, in plain Python over the created rows."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reports.conftest import HEADCOUNT, PARENTS, descendants

pytestmark = pytest.mark.django_db

PHASES = {
    "A": (datetime.date(2021, 9, 1), datetime.date(2022, 5, 31)),
    "B": (datetime.date(2022, 6, 1), datetime.date(2031, 12, 31)),
}
OWN_TARGETS = {
    ("TCTA", "A"): 10,
    ("TCTA", "B"): 50,
    ("XN1", "A"): 4,
    ("TO1", "A"): 2,
    ("XN2", "A"): 3,
    ("XN2", "B"): 6,
    ("NGANH", "A"): 30,
    ("XN3", "B"): 5,
}


def expected_target(code, phase):
    if (code, phase) in OWN_TARGETS:
        return OWN_TARGETS[(code, phase)]
    return sum(expected_target(c, phase) for c, p in PARENTS.items() if p == code)


def pct(part, whole):
    if not whole:
        return None
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def expected_rows(rows, root, starts, ends, phases):
    out = {}
    for code in descendants(root):
        under = descendants(code)
        mine = [r for r in rows if r["org"] in under]
        registered = [
            r for r in mine if r["submitted"] and starts <= r["submitted"] <= ends and r["state"] != "withdrawn"
        ]
        recognised = [r for r in mine if r["recognised"] and starts <= r["recognised"] <= ends]
        people = set().union(*[r["people"] for r in registered]) if registered else set()
        headcount = HEADCOUNT[code] or sum(HEADCOUNT[c] for c, p in PARENTS.items() if p == code)
        target = sum(expected_target(code, ph) for ph in phases)
        out[code] = {
            "registered": len(registered),
            "recognised": len(recognised),
            "benefit_value_vnd": sum(r["benefit"] for r in registered),
            "authors": len(people),
            "headcount": headcount,
            "target": target,
            "percent_of_target": pct(len(registered), target),
            "participation_percent": pct(len(people), headcount),
        }
    return out


FIELDS = [
    "registered",
    "recognised",
    "benefit_value_vnd",
    "authors",
    "headcount",
    "target",
    "percent_of_target",
    "participation_percent",
]


@pytest.mark.parametrize("phase", ["A", "B", None])
def test_every_figure_matches_an_independent_count(random_initiatives, report_structure, api, phase):
    user = report_structure["auditor_n"]  # auditor on NGANH: the default scope is NGANH's subtree
    url = "/api/v1/reports/progress/" + (f"?phase={phase}" if phase else "")
    r = api(user).get(url)
    assert r.status_code == 200, r.content
    body = r.json()
    got = {row["organisation"]: row for row in body["results"]}
    starts, ends = PHASES[phase] if phase else (datetime.date(2021, 9, 1), datetime.date(2031, 12, 31))
    want = expected_rows(random_initiatives, "NGANH", starts, ends, [phase] if phase else ["A", "B"])
    assert set(got) == set(want) == descendants("NGANH")
    assert body["count"] == len(want)
    for code, figures in want.items():
        for f in FIELDS:
            assert got[code][f] == figures[f], (code, f, got[code][f], figures[f])
    # the tree comes first-to-last in tree order, with levels and depths
    assert body["results"][0]["organisation"] == "NGANH"
    assert got["TO1"]["depth"] == 5 and got["TO1"]["parent"] == "XN1" and got["XN1"]["level"] == "unit"
    # figures roll up: a sector's registrations are not the sum of its corporations' here only by chance
    assert got["NGANH"]["registered"] >= got["TCTA"]["registered"] + got["TCTB"]["registered"]


def test_until_cuts_the_period_and_sets_the_tree_day(random_initiatives, report_structure, api):
    r = api(report_structure["officer_a"]).get("/api/v1/reports/progress/?until=2022-09-30")
    assert r.status_code == 200
    body = r.json()
    assert body["on"] == "2022-09-30" and body["ends"] == "2022-09-30"
    want = expected_rows(random_initiatives, "TCTA", datetime.date(2021, 9, 1), datetime.date(2022, 9, 30), ["A", "B"])
    got = {row["organisation"]: row for row in body["results"]}
    assert set(got) == descendants("TCTA")  # officer_a: TCTA's subtree by default
    for code, figures in want.items():
        for f in FIELDS:
            assert got[code][f] == figures[f], (code, f)


def test_permissions_and_bad_input(report_structure, api):
    officer = report_structure["officer_a"]
    r = api(officer).get("/api/v1/reports/progress/?organisation=TCTB")
    assert (
        r.status_code == 403
        and r.json()["detail"].startswith("bạn không có vai trò")
        and " / " not in r.json()["detail"]
    )
    r = api(report_structure["author1"]).get("/api/v1/reports/progress/")
    assert r.status_code == 403
    r = api(officer).get("/api/v1/reports/progress/?organisation=NOPE")
    assert r.status_code == 400 and "NOPE" in r.json()["organisation"][0] and " / " not in r.json()["organisation"][0]
    r = api(officer).get("/api/v1/reports/progress/?phase=Z")
    assert r.status_code == 400 and r.json()["phase"][0].startswith("không có giai đoạn")
    r = api(officer).get("/api/v1/reports/progress/?on=31-12-2022")
    assert r.status_code == 400
    assert api().get("/api/v1/reports/progress/").status_code == 401
    r = api(officer).get("/api/v1/reports/progress/?organisation=XN1&phase=A")
    assert r.status_code == 200 and [row["organisation"] for row in r.json()["results"]] == ["XN1", "TO1"]


def test_percentages_from_the_seeds():
    from reports.selectors import percent

    assert percent(222, 2400) == 9.3  # EVNSPC, cumulative to 30/9/2022 against both phases' targets
    assert percent(222, 2200) == 10.1
    assert percent(40, 40) == 100.0
    assert percent(7085, 5400) == 131.2
    assert percent(3, 0) is None


def _count_queries(api, user):
    client = api(user)
    client.get("/api/v1/reports/progress/")  # warm the permission caches and the token
    with CaptureQueriesContext(connection) as ctx:
        r = client.get("/api/v1/reports/progress/?phase=B")
    assert r.status_code == 200
    return len(ctx.captured_queries)


def test_the_number_of_queries_does_not_grow_with_organisations_or_initiatives(report_structure, make_initiative, api):
    from councils.models import Organisation

    user = report_structure["auditor_n"]
    make_initiative("XN1", submitted=datetime.date(2022, 7, 1))
    small = _count_queries(api, user)
    # many more initiatives and organisations, one of them moved (history replay) …
    sector = Organisation.objects.get(code="NGANH")
    for i in range(12):
        corp = Organisation.objects.add_child(
            sector, {"code": f"EXTRA{i}", "name": f"Tổng công ty {i}", "level": "corporation", "headcount": 10}
        )
        Organisation.objects.add_child(
            corp, {"code": f"EXTRA{i}U", "name": f"Đơn vị thêm {i}", "level": "unit", "headcount": 5}
        )
    for i in range(60):
        make_initiative(
            f"EXTRA{i % 12}U",
            submitted=datetime.date(2022, 7, 1) + datetime.timedelta(i),
            recognised=datetime.date(2022, 9, 1),
            authors=(("author2", None), (None, f"Khách {i}")),
        )
    from councils.actions import organisation_move

    organisation_move(
        organisation=Organisation.objects.get(code="EXTRA0U"),
        new_parent=Organisation.objects.get(code="EXTRA1"),
        effective=datetime.date.today() + datetime.timedelta(days=30),
        actor=None,
    )
    large = _count_queries(api, user)
    assert small == large, (small, large)
    print("progress report queries:", large)
    assert large <= 12

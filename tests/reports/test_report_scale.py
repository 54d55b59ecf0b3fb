"""Reports at national scale (issue 12, reports): whole months read from the progress counters,
the days outside them from the initiatives, with the same figures as the live count; the
dashboard's trend and blocs without a second progress report; query counts that do not grow with
the number of units a report shows."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from councils.models import Organisation
from initiatives.models import Programme
from reports.selectors import _split_months

pytestmark = pytest.mark.django_db

D = datetime.date


def test_a_period_splits_into_whole_months_and_edge_days():
    assert _split_months(D(2021, 9, 1), D(2023, 9, 30)) == ((D(2021, 9, 1), D(2023, 9, 1)), [])
    assert _split_months(D(2021, 9, 1), D(2022, 3, 15)) == (
        (D(2021, 9, 1), D(2022, 2, 1)),
        [(D(2022, 3, 1), D(2022, 3, 15))],
    )
    assert _split_months(D(2021, 9, 10), D(2022, 2, 28)) == (
        (D(2021, 10, 1), D(2022, 2, 1)),
        [(D(2021, 9, 10), D(2021, 9, 30))],
    )
    assert _split_months(D(2021, 9, 10), D(2021, 11, 5)) == (
        (D(2021, 10, 1), D(2021, 10, 1)),
        [(D(2021, 9, 10), D(2021, 9, 30)), (D(2021, 11, 1), D(2021, 11, 5))],
    )
    # inside one month, or a month cut at both ends: no whole month
    assert _split_months(D(2022, 3, 2), D(2022, 3, 30)) == (None, [(D(2022, 3, 2), D(2022, 3, 30))])
    assert _split_months(D(2022, 3, 2), D(2022, 4, 30)) == (
        (D(2022, 4, 1), D(2022, 4, 1)),
        [(D(2022, 3, 2), D(2022, 3, 31))],
    )
    assert _split_months(D(2024, 2, 1), D(2024, 2, 29)) == ((D(2024, 2, 1), D(2024, 2, 1)), [])


def _reads_initiatives(ctx) -> bool:
    return bool(re.search(r"initiatives_initiative\b", " ".join(q["sql"] for q in ctx.captured_queries)))


CUTS = [None, D(2022, 3, 15), D(2022, 5, 31), D(2021, 9, 1), D(2022, 12, 1), D(2023, 1, 31)]


def test_the_trend_and_the_cut_reports_from_the_counters_equal_the_live_count(random_initiatives):
    from reports.selectors import monthly_trend, period_for, progress_report

    programme = Programme.objects.get(code="T-PROG")
    for code in ("TLD", "NGANH", "TCTA", "XN1", "TO1"):
        root = Organisation.objects.get(code=code)
        for until in CUTS:
            period = period_for(programme=programme, until=until)
            with CaptureQueriesContext(connection) as ctx:
                fast = monthly_trend(root=root, period=period)
            assert fast == monthly_trend(root=root, period=period, counters=False), (code, until)
            whole = until is None or (until + datetime.timedelta(days=1)).day == 1
            assert _reads_initiatives(ctx) == (not whole), (code, until)  # only the edge days are counted live
            assert progress_report(root=root, period=period, by_category=True) == progress_report(
                root=root, period=period, by_category=True, counters=False
            ), (code, until)
    # something was counted at all
    total = monthly_trend(root=Organisation.objects.get(code="TLD"), period=period_for(programme=programme))
    assert sum(m["registered"] for m in total) > 30 and sum(m["recognised"] for m in total) > 10


def test_a_report_without_authors_counts_the_same_and_skips_them(random_initiatives):
    from reports.selectors import Period, progress_report

    root = Organisation.objects.get(code="NGANH")
    period = Period(starts=D(2022, 3, 1), ends=D(2022, 3, 31), on=D(2022, 3, 31))
    full = progress_report(root=root, period=period)
    with CaptureQueriesContext(connection) as ctx:
        light = progress_report(root=root, period=period, authors=False)
    assert not _reads_initiatives(ctx)  # a month of counters, no distinct-author count
    assert [{k: r[k] for k in ("organisation", "registered", "recognised", "target")} for r in light] == [
        {k: r[k] for k in ("organisation", "registered", "recognised", "target")} for r in full
    ]
    assert all(r["authors"] == 0 and r["participation_percent"] is None for r in light)


def test_blocs_reuse_a_report_of_an_ancestor(random_initiatives, structure_data):
    import copy

    from reports.blocs import bloc_rankings, subtree_rows
    from reports.selectors import period_for, progress_report
    from tests.reports.test_blocs import BLOCS
    from workflow.structure import structure_load

    data = copy.deepcopy(structure_data)
    data["blocs"] = copy.deepcopy(BLOCS)
    structure_load(data=data)
    programme = Programme.objects.get(code="T-PROG")
    period = period_for(programme=programme)
    tld = Organisation.objects.get(code="TLD")
    rows = progress_report(root=tld, period=period)
    for code in ("NGANH", "TCTA", "XN1", "TCTB"):
        assert subtree_rows(rows, code) == progress_report(root=Organisation.objects.get(code=code), period=period)
    assert subtree_rows(rows, "NOWHERE") is None
    plain = bloc_rankings(roots=[tld], period=period)
    assert plain  # the blocs are there
    with CaptureQueriesContext(connection) as ctx:
        reused = bloc_rankings(roots=[tld], period=period, reports={"TLD": rows})
    assert reused == plain
    assert "initiatives_progresscount" not in " ".join(q["sql"] for q in ctx.captured_queries)


def _add_units(n: int, parent_code: str = "TCTB"):
    from initiatives.models import OrganisationTarget, Phase

    parent = Organisation.objects.get(code=parent_code)
    phase = Phase.objects.get(programme__code="T-PROG", code="A")
    for i in range(n):
        unit = Organisation.objects.add_child(
            parent,
            {"code": f"XTRA{parent.numchild + i:03d}", "name": f"Đơn vị thêm {i}", "level": "unit", "headcount": 50},
        )
        parent.refresh_from_db()
        OrganisationTarget.objects.create(organisation=unit, phase=phase, initiatives=3)


def test_report_query_counts_do_not_grow_with_the_units_shown(random_initiatives, client, api):
    """The progress report (API), the dashboard page and the monthly workbook ask the same number
    of queries for a tree of 8 organisations and for one with 40 more units."""
    from councils.actions import role_grant
    from councils.models import Role, User
    from initiatives.counters import progress_counters_rebuild

    officer = User.objects.create(username="scale_officer")
    role_grant(user=officer, organisation=Organisation.objects.get(code="NGANH"), role=Role.OFFICER)
    client.force_login(officer)
    urls = [
        (api(officer), "/api/v1/reports/progress/?organisation=NGANH&page_size=500"),
        (api(officer), "/api/v1/reports/progress/?organisation=NGANH&until=2022-03-15&page_size=500"),
        (api(officer), "/api/v1/reports/blocs/"),
        (api(officer), "/api/v1/reports/monthly/2022-03.xlsx?organisation=NGANH"),
        (client, "/reports/"),
    ]

    def counts():
        out = []
        for c, url in urls:
            with CaptureQueriesContext(connection) as ctx:
                r = c.get(url)
            assert r.status_code == 200, (url, r.status_code)
            out.append(len(ctx.captured_queries))
            seen.setdefault(url, []).append([q["sql"][:200] for q in ctx.captured_queries])
        return out

    seen = {}

    progress_counters_rebuild()
    counts()  # warm: the session's first page and the permission caches ask a few queries once
    before = counts()
    _add_units(40)
    progress_counters_rebuild()
    after = counts()
    if after != before:
        import difflib

        for url, (a, b) in seen.items():
            print(url, "\n".join(difflib.unified_diff(a, b, lineterm="")))
    assert after == before, list(zip([u for _, u in urls], before, after, strict=True))


def test_percent_in_integers_rounds_as_the_decimal_rule():
    import random
    from decimal import ROUND_HALF_UP, Decimal

    from reports.selectors import percent

    def rule(part, whole):
        return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))

    rng = random.Random(12)
    cases = [(222, 2400), (1, 8), (1, 16), (0, 5), (7, 7), (3, 2), (1, 2000), (1, 1999)]
    for _ in range(20000):
        whole = rng.randint(1, 10 ** rng.randint(1, 7))
        cases.append((rng.randint(0, 3 * whole), whole))
    for part, whole in cases:
        assert percent(part, whole) == rule(part, whole), (part, whole)
    assert percent(5, 0) is None and percent(Decimal("1.5"), 3) == 50.0

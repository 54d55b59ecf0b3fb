"""Benchmark of the list endpoints on PostgreSQL (not a test).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lists_bench DJANGO_SECRET_KEY=x \
        .venv/bin/python bench/list_endpoints.py 500000

Seeds once (the tree, councils and people with the ORM; initiatives, authors, council sessions and
audit entries in SQL) a sector of 20 corporations × 50 units with N initiatives, then times through
DRF's APIClient (``force_authenticate``) for each persona: ``GET /api/v1/initiatives/`` page 1
unfiltered, with ``organisation=``, ``state=`` and ``q=``, the inbox ``/api/v1/tasks/``, one detail
and one history, and prints p50/p95 per endpoint and persona.

Every persona (author, adviser, unit and corporation council members, unit, corporation and sector
officers, an auditor) and every list filter (organisation, state, category, submitted_month, due,
order), the inbox, detail and history, through the API (``force_authenticate``) and through the
pages (Django's test ``Client``, ``force_login``); then the dashboard, the progress report and the
monthly workbook (API and page) and the library. ``--only`` picks personas, ``--skip-pages`` and
``--skip-reports`` leave parts out. The count and whether it is exact are printed beside each list.
"""

import argparse
import datetime
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

from bench.common import bench_phases, percentiles, seed_authors  # noqa: E402

django.setup()

import logging  # noqa: E402

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from audit.actions import entry_seq_sync  # noqa: E402
from audit.models import AuditEntry, AuditHead  # noqa: E402
from councils.actions import membership_set, role_grant  # noqa: E402
from councils.models import Council, CouncilKind, MemberRole, Organisation, Role, User  # noqa: E402
from initiatives.models import Initiative, Programme  # noqa: E402

WORDS = ["bom", "bang tai", "lo hoi", "may nen", "dien mat troi", "phan mem", "kho hang", "an toan", "nuoc thai"]
TITLES = ["bơm", "băng tải", "lò hơi", "máy nén", "điện mặt trời", "phần mềm", "kho hàng", "an toàn", "nước thải"]


def seed(n: int, texts=None):
    """``texts``: optional (titles, summaries, search_texts, dup_keys) arrays: realistic dossiers
    (``bench/duplicates_latency.pool``) instead of "Sáng kiến cải tiến <word> số <n>", so one
    database serves the search, the duplicate screen and the import benchmarks."""
    with transaction.atomic():
        root = Organisation.objects.add_root({"code": "B-VGCL", "name": "Bench federation", "level": "federation"})
        sector = Organisation.objects.add_child(root, {"code": "B-SECTOR", "name": "Bench sector", "level": "sector"})
        programme = Programme.objects.create(
            code="B-PROG", name="Bench", starts=datetime.date(2021, 9, 1), ends=datetime.date(2023, 9, 30)
        )
        councils = [Council(code="B-SECTOR-HD", organisation=sector, kind=CouncilKind.SECTOR)]
        units, corps = [], []
        for c in range(20):
            corp = Organisation.objects.add_child(
                sector, {"code": f"B-C{c}", "name": f"Corporation {c}", "level": "corporation"}
            )
            corps.append(corp)
            councils.append(Council(code=f"B-C{c}-HD", organisation=corp, kind=CouncilKind.CORPORATION))
            councils.append(Council(code=f"B-C{c}-TV", organisation=corp, kind=CouncilKind.ADVISORY))
            for u in range(50):
                unit = Organisation.objects.add_child(
                    corp, {"code": f"B-C{c}-U{u}", "name": f"Unit {c}.{u}", "level": "unit"}
                )
                units.append(unit)
                councils.append(Council(code=f"B-C{c}-U{u}-HD", organisation=unit, kind=CouncilKind.UNIT))
                if u % 10 == 0:  # a tenth of the units keep their own advisory team
                    councils.append(Council(code=f"B-C{c}-U{u}-TV", organisation=unit, kind=CouncilKind.ADVISORY))
        Council.objects.bulk_create(councils)
        User.objects.bulk_create(User(username=f"bench{i}") for i in range(5000))
    unit_council = dict(Council.objects.filter(kind=CouncilKind.UNIT).values_list("organisation_id", "id"))
    corp_council = dict(Council.objects.filter(kind=CouncilKind.CORPORATION).values_list("organisation_id", "id"))
    unit_ids = [u.pk for u in units]
    unit_cc = [corp_council[Organisation.objects.get(path=u.path[:12]).pk] for u in units]
    unit_uc = [unit_council[u.pk] for u in units]
    user_ids = list(User.objects.filter(username__startswith="bench").values_list("pk", flat=True))
    tz = timezone.get_current_timezone()
    start = datetime.datetime(2021, 9, 1, 8, tzinfo=tz)
    batch = 250_000
    if texts:
        # the pool's k-th text: k drawn from g (random() is drawn per row, so a column can't share it)
        pool = dict(zip(("ptitles", "psummaries", "psearch", "pkeys"), texts, strict=True))
        pool["np"] = len(texts[0])
        k = "1 + (hashint4(g) & 2147483647) %% %(np)s"
        sql = [f"(%({c})s::text[])[{k}]" for c in ("ptitles", "psummaries", "psearch", "pkeys")]
    else:
        pool = {}
        sql = [
            "'Sáng kiến cải tiến ' || (%(titles)s::text[])[w] || ' số ' || g",
            "''",
            "'sang kien cai tien ' || (%(words)s::text[])[w] || ' so ' || g",
            "''",
        ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.1)")
        for offset in range(0, n, batch):
            size = min(batch, n - offset)
            # state mix: draft, advisory review, unit council, corporation council, rejected, withdrawn,
            # sector certified; the council stages carry the council that judges them now
            cursor.execute(
                """
                WITH s AS (
                    SELECT g, 1 + floor(random() * %(nunits)s)::int AS u, 1 + floor(random() * 9)::int AS w,
                           (ARRAY['draft', 'advisory_review', 'unit_council', 'corporation_council', 'rejected',
                                  'withdrawn', 'sector_certified', 'rejected'])[1 + floor(random() * 8)::int] AS st,
                           %(start)s::timestamptz + floor(random() * 750 * 86400) * interval '1 second' AS at
                    FROM generate_series(1, %(size)s) g)
                INSERT INTO initiatives_initiative (title, summary, problem, solution, category, organisation_id,
                    programme_id, benefit_value_vnd, confidential, state, version, dossier_version, council_id,
                    due_at, created_by_id, created_at, updated_at, submitted_at, recognised_at, search_text, dup_key)
                SELECT TITLE_SQL, SUMMARY_SQL, '', '',
                       (ARRAY['technical', 'management', 'union', 'covid'])[1 + floor(random() * 4)::int],
                       (%(units)s::int[])[u], %(programme)s, floor(random() * 100000000)::bigint, random() < 0.05,
                       st, 1, 0,
                       CASE st WHEN 'unit_council' THEN (%(uc)s::int[])[u]
                               WHEN 'corporation_council' THEN (%(cc)s::int[])[u] END,
                       CASE WHEN st IN ('unit_council', 'corporation_council') THEN at + interval '90 days' END,
                       %(creator)s, at, at, CASE WHEN st <> 'draft' THEN at END,
                       CASE WHEN st IN ('corporation_council', 'sector_certified') THEN at + interval '30 days' END,
                       SEARCH_SQL, KEY_SQL
                FROM s
                RETURNING id
                """.replace("TITLE_SQL", sql[0])
                .replace("SUMMARY_SQL", sql[1])
                .replace("SEARCH_SQL", sql[2])
                .replace("KEY_SQL", sql[3]),
                {
                    "units": unit_ids,
                    "uc": unit_uc,
                    "cc": unit_cc,
                    "nunits": len(unit_ids),
                    "programme": programme.pk,
                    "creator": user_ids[0],
                    "start": start,
                    "size": size,
                    "titles": TITLES,
                    "words": WORDS,
                    **pool,
                },
            )
            ids = [r[0] for r in cursor.fetchall()]
            seed_authors(cursor, ids, user_ids)
            print(f"  seeded {offset + size}", flush=True)
        # council sessions: an open one for a few thousand initiatives before a unit or corporation
        # council, and the closed unit-council session of those now before the corporation council
        cursor.execute(
            """
            INSERT INTO workflow_councilsession (initiative_id, council_id, stage, dossier_version, opened_at,
                due_at, closed_at, outcome, minutes, ballot, decision_days, quorum, threshold_numerator,
                threshold_denominator, legacy_votes)
            SELECT id, council_id, state, 1, submitted_at, due_at, NULL, '', '{}', 'open', 90, 3, 2, 3, 0
            FROM initiatives_initiative
            WHERE state IN ('unit_council', 'corporation_council') AND random() < %(p)s
            """,
            {"p": min(1.0, 4000 / max(1, n * 0.25))},
        )
        cursor.execute(
            """
            INSERT INTO workflow_councilsession (initiative_id, council_id, stage, dossier_version, opened_at,
                due_at, closed_at, outcome, minutes, ballot, decision_days, quorum, threshold_numerator,
                threshold_denominator, legacy_votes)
            SELECT i.id, c.id, 'unit_council', 1, i.submitted_at, i.submitted_at + interval '90 days',
                   i.submitted_at + interval '20 days', 'approve', '{}', 'open', 90, 3, 2, 3, 0
            FROM initiatives_initiative i JOIN councils_council c
                 ON c.organisation_id = i.organisation_id AND c.kind = 'unit'
            WHERE i.state = 'corporation_council' AND random() < %(p)s
            """,
            {"p": min(1.0, 2000 / max(1, n * 0.125))},
        )
        # audit entries: create and submit for every initiative (the chain is not meant to verify)
        cursor.execute("SELECT coalesce(max(seq), 0) FROM audit_auditentry")
        base = cursor.fetchone()[0]
        cursor.execute(
            """
            INSERT INTO audit_auditentry (seq, at, actor_name, action, object_type, object_id, scope_path,
                from_state, to_state, version, comment, details, prev_hash, hash, actor_display_name, hash_version,
                scope_key, scope_prev)
            SELECT %(base)s + row_number() OVER (ORDER BY i.id, k), i.created_at + k * interval '1 day', 'bench',
                   (ARRAY['create', 'submit'])[k + 1], 'initiative', i.id::text, o.path,
                   CASE k WHEN 1 THEN 'draft' ELSE '' END, CASE k WHEN 1 THEN 'advisory_review' ELSE 'draft' END,
                   1, '', '{}', '', md5(i.id::text || k), 'bench', 1, '', ''
            FROM initiatives_initiative i JOIN councils_organisation o ON o.id = i.organisation_id
                 CROSS JOIN generate_series(0, 1) k
            """,
            {"base": base},
        )
        AuditHead.objects.update_or_create(
            pk=1, defaults={"seq": AuditEntry.objects.order_by("-seq").values_list("seq", flat=True)[0]}
        )
        entry_seq_sync()  # the entries' sequence past the numbers written here (audit/actions.py)
        from initiatives.opentasks import tasks_rebuild

        print(f"  open tasks: {tasks_rebuild()}", flush=True)  # the SQL-seeded dossiers' open work
        cursor.execute("ANALYZE")


def personas():
    """(name, user, organisation code for the organisation= filter)."""
    o = Organisation.objects.get
    c = Council.objects.get
    made = {}
    with transaction.atomic():
        for name, kind, target, code in [
            ("federation officer", "role", o(code="B-VGCL"), "B-SECTOR"),
            ("sector officer", "role", o(code="B-SECTOR"), "B-C3"),
            ("corporation officer", "role", o(code="B-C3"), "B-C3-U7"),
            ("unit officer", "role", o(code="B-C3-U7"), "B-C3-U7"),
            ("unit council member", "member", c(code="B-C3-U7-HD"), "B-C3-U7"),
            ("corp. council member", "member", c(code="B-C3-HD"), "B-C3-U7"),
            ("adviser", "member", c(code="B-C3-TV"), "B-C3-U7"),
            ("auditor", "auditor", o(code="B-SECTOR"), "B-C3"),
            ("author", "author", None, "B-C3"),
        ]:
            uname = "persona-" + name.replace(" ", "-").replace(".", "")
            if kind == "author":
                # the bench user with the most authorships
                user = (
                    User.objects.filter(username__startswith="bench", authorships__isnull=False)
                    .annotate(n=django.db.models.Count("authorships"))
                    .order_by("-n")
                    .first()
                )
            else:
                user, created = User.objects.get_or_create(username=uname)
                if created and kind == "role":
                    role_grant(user=user, organisation=target, role=Role.OFFICER)
                elif created and kind == "auditor":
                    role_grant(user=user, organisation=target, role=Role.AUDITOR)
                elif created:
                    membership_set(council=target, user=user, role=MemberRole.CHAIR)
            made[name] = (user, code)
    return made


def signed_in(client, user) -> None:
    """``client`` signed in as ``user``, past the second factor (the pages ask officers and council
    members for it: tests.otp.verified_session, as the test suite's ``force_login``)."""
    from tests.otp import verified_session

    client.force_login(user)
    verified_session(client, user)


def prepare(n: int) -> None:
    """PostgreSQL only: migrate, and seed ``n`` bench initiatives once (a database seeded at another
    size is refused: use a fresh one)."""
    if connection.vendor != "postgresql":
        sys.exit("Set DATABASE_URL=postgres://… (this benchmark is for PostgreSQL)")
    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    have = Initiative.objects.filter(organisation__code__startswith="B-").count()
    if have != n:
        if have:
            sys.exit(f"The database holds {have} bench initiatives; use a fresh database for another size.")
        print(f"seeding {n} initiatives …", flush=True)
        t = time.perf_counter()
        seed(n)
        print(f"seeded in {time.perf_counter() - t:.0f} s", flush=True)
    report_fixtures()
    counters_ready()


def report_fixtures() -> None:
    """What the reports read beside the dossiers, added once (idempotent): two phases, targets for
    every corporation and unit, headcounts, an emulation bloc of the corporations and one of a
    corporation's units, and a quota of each award."""
    from awards.models import Award, Quota
    from councils.models import Bloc, BlocMember
    from initiatives.models import OrganisationTarget, Phase

    programme = Programme.objects.get(code="B-PROG")
    if Phase.objects.filter(programme=programme).exists():
        return
    with transaction.atomic():
        p1, p2 = bench_phases(programme)
        sector = Organisation.objects.get(code="B-SECTOR")
        Organisation.objects.filter(path__startswith=sector.path, level="unit").update(headcount=400)
        corps = list(Organisation.objects.filter(path__startswith=sector.path, level="corporation").order_by("path"))
        targets = []
        for corp in corps:
            targets.append(OrganisationTarget(organisation=corp, phase=p2, initiatives=2000))
        for unit in Organisation.objects.filter(path__startswith=sector.path, level="unit"):
            targets.append(OrganisationTarget(organisation=unit, phase=p1, initiatives=20))
        OrganisationTarget.objects.bulk_create(targets)
        bloc = Bloc.objects.create(code="B-KHOI-TCT", name="Khối các tổng công ty", organisation=sector)
        BlocMember.objects.bulk_create(BlocMember(bloc=bloc, organisation=c) for c in corps)
        c3 = Organisation.objects.get(code="B-C3")
        bloc = Bloc.objects.create(code="B-KHOI-C3", name="Khối đơn vị B-C3", organisation=c3)
        BlocMember.objects.bulk_create(
            BlocMember(bloc=bloc, organisation=u)
            for u in Organisation.objects.filter(path__startswith=c3.path, level="unit")
        )
        for award, per, cap in (
            (Award.SECTOR_CERTIFICATE, Quota.Per.PROGRAMME, 500),
            (Award.FEDERATION_CERTIFICATE, Quota.Per.PROGRAMME, 100),
            (Award.MONTHLY_COMMENDATION, Quota.Per.MONTH, 5),
        ):
            Quota.objects.create(programme=programme, award=award, organisation=sector, cap=cap, per=per)
    print("report fixtures: 2 phases, targets, headcounts, 2 blocs, 3 quotas", flush=True)


def counters_ready() -> None:
    """The SQL seed writes initiatives without the actions, so the summary rows the actions keep
    (``initiatives.counters``) are rebuilt once here, timed, as after any bulk load."""
    from initiatives.counters import progress_counters_current, progress_counters_rebuild

    if progress_counters_current():
        return
    t = time.perf_counter()
    sizes = progress_counters_rebuild()
    print(f"rebuild_progress_counters: {time.perf_counter() - t:.1f} s {sizes}", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("initiatives", type=int, nargs="?", default=500_000)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--only", default="", help="comma-separated persona names")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-reports", action="store_true")
    parser.add_argument("--reports-only", action="store_true", help="only the reports part (track i12p)")
    parser.add_argument(
        "--slow-runs",
        type=int,
        default=0,
        help="runs of the reports counted live (until=, as_of=, workbooks); 0: --runs",
    )
    parser.add_argument("--skip-search", action="store_true", help="leave out q= (track i11p measures it)")
    parser.add_argument(
        "--ready", action="store_true", help="the database is migrated and seeded already: no migrate, no fixtures"
    )
    args = parser.parse_args()
    if args.ready:
        settings.ALLOWED_HOSTS = ["*"]
    else:
        prepare(args.initiatives)
    logging.getLogger("sangkien.request").setLevel(logging.WARNING)  # one line per request: not here
    people = personas()
    from django.test import Client

    from tests.otp import verified_session

    api, web = APIClient(), Client()
    print(f"N = {args.initiatives}, {args.runs} runs each, p50 / p95 in ms (a shared 2-core machine: noisy)")
    print(f"{'persona':<22} {'endpoint':<44} {'count':>9} {'p50':>8} {'p95':>8}")

    def timed(name, label, client, url, runs=None):
        r = client.get(url)
        assert r.status_code == 200, (url, r.status_code, r.content[:300])
        count = ""
        if r.get("Content-Type", "").startswith("application/json"):
            body = r.json()
            if isinstance(body, dict) and "count" in body:
                count = f"{body['count']}{'' if body.get('count_exact', True) else '~'}"
        p50, p95 = percentiles(lambda u=url: client.get(u), runs or args.runs)
        print(f"{name:<22} {label:<44} {count:>9} {p50:8.1f} {p95:8.1f}", flush=True)

    for name, (user, code) in people.items():
        if (args.only and name not in args.only.split(",")) or args.reports_only:
            continue
        api.force_authenticate(user)
        signed_in(web, user)
        first = api.get("/api/v1/initiatives/?page_size=20").json()
        detail_id = first["results"][0]["id"] if first["results"] else None
        lists = [
            ("", ""),
            (f"organisation={code}", f"organisation={code}"),
            ("state=unit_council", "state=unit_council"),
            ("state=draft", "state=draft"),
            ("category=technical", "category=technical"),
            ("submitted_month=2022-03", "submitted_month=2022-03"),
            ("due=overdue", "due=overdue"),
            ("order=oldest", "order=oldest"),
            ("organisation+state+category", f"organisation={code}&state=corporation_council&category=union"),
            ("q=bom", "q=b%C6%A1m"),
        ]
        for label, query in lists:
            if args.skip_search and query.startswith("q="):
                continue
            timed(name, f"list {label}".strip(), api, f"/api/v1/initiatives/?page_size=20&{query}")
        timed(name, "inbox", api, "/api/v1/tasks/?page_size=20")
        if detail_id:
            timed(name, "detail", api, f"/api/v1/initiatives/{detail_id}/")
            timed(name, "history", api, f"/api/v1/initiatives/{detail_id}/history/")
        if args.skip_pages:
            continue
        # the pages' own filters (organisation, state, due, order; category and submitted_month are
        # the API's only)
        for label, query in [
            *lists[:4],
            *lists[6:8],
            ("organisation+state", f"organisation={code}&state=unit_council"),
        ]:
            timed(name, f"PAGE list {label}".strip(), web, f"/initiatives/?{query}")
        timed(name, "PAGE inbox", web, "/tasks/")
        timed(name, "PAGE inbox due=overdue", web, "/tasks/?due=overdue")
        if detail_id:
            timed(name, "PAGE detail", web, f"/initiatives/{detail_id}/")
    if args.skip_reports:
        return
    report_personas = ["federation officer", "sector officer", "corporation officer", "unit officer"]
    if args.only:
        report_personas = [p for p in report_personas if p in args.only.split(",")]
    month = "2022-03"
    for name in report_personas:
        user, _code = people[name]
        root = {"federation officer": "B-VGCL", "sector officer": "B-SECTOR"}.get(name) or (
            "B-C3" if name == "corporation officer" else "B-C3-U7"
        )
        api.force_authenticate(user)
        web.force_login(user)
        verified_session(web, user)  # officers sign in with a second factor
        for label, client, url in [
            ("PAGE dashboard", web, "/reports/"),
            ("PAGE dashboard organisation=B-C3", web, "/reports/?organisation=B-C3"),
            ("progress report (own roots)", api, "/api/v1/reports/progress/"),
            ("progress report organisation=B-C3", api, "/api/v1/reports/progress/?organisation=B-C3"),
            (
                "progress report until=2022-03-15",
                api,
                f"/api/v1/reports/progress/?organisation={root}&until=2022-03-15",
            ),
            (
                "progress report as_of=2022-06-30",
                api,
                f"/api/v1/reports/progress/?organisation={root}&as_of=2022-06-30",
            ),
            ("bloc rankings", api, "/api/v1/reports/blocs/"),
            (f"monthly workbook {month} (API)", api, f"/api/v1/reports/monthly/{month}.xlsx?organisation={root}"),
            ("quota board (API)", api, "/api/v1/quotas/"),
            ("PAGE award committee", web, "/awards/"),
            ("library", api, "/api/v1/library/?page_size=20"),
            ("library organisation=B-C3", api, "/api/v1/library/?page_size=20&organisation=B-C3"),
            ("PAGE library", web, "/library/"),
        ]:
            if "B-C3" in url and name == "unit officer":
                continue
            if args.skip_search and "q=" in url:
                continue
            if "workbook" in label and name in ("federation officer", "sector officer"):
                continue  # the sector's workbook: timed once below, as the task builds it
            slow = any(w in label for w in ("until=", "as_of=", "workbook"))
            try:
                timed(name, label, client, url, runs=(args.slow_runs or None) if slow else None)
            except AssertionError as e:
                print(f"{name:<22} {label:<44} refused: {str(e)[:120]}", flush=True)
    # the workbook as the monthly Celery task builds it (reports.workbook, no HTTP)
    from reports.workbook import monthly_workbook

    for code in ("B-SECTOR", "B-C3", "B-C3-U7"):
        org = Organisation.objects.get(code=code)
        runs = 1 if code == "B-SECTOR" else (args.slow_runs or max(3, args.runs // 3))
        t = time.perf_counter()
        content = monthly_workbook(organisation=org, year=2022, month=3)
        first = (time.perf_counter() - t) * 1000
        p50, p95 = (
            (first, first)
            if runs == 1
            else percentiles(lambda o=org: monthly_workbook(organisation=o, year=2022, month=3), runs)
        )
        label = f"monthly_workbook {code} ({len(content) // 1024} KiB)"
        print(f"{'(task)':<22} {label:<44} {'':>9} {p50:8.1f} {p95:8.1f}", flush=True)


if __name__ == "__main__":
    main()

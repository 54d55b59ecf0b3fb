"""GET /library/ and GET|POST /library/{id}/adoptions/ (API.md §2, second round)."""

import datetime

import pytest

from audit.models import AuditEntry
from awards.models import Award, Certificate
from library.models import Adoption

pytestmark = pytest.mark.django_db

LIST = "/api/v1/library/"


def adoptions_url(pk):
    return f"/api/v1/library/{pk}/adoptions/"


def adopt(api, user, pk, organisation, note=""):
    return api(user).post(adoptions_url(pk), {"organisation": organisation, "note": note}, format="json")


def test_every_signed_in_user_reads_recognised_initiatives_with_public_fields_only(api, users, recognised, make_draft):
    a = recognised(title="Sáng kiến cải tiến máy cắt điện", benefit_value_vnd=90_000_000)
    draft = make_draft("author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}])
    r = api(users["outsider"]).get(LIST)  # a person of another corporation, no role
    assert r.status_code == 200, r.content
    body = r.json()
    assert body["count"] == 1 and [row["id"] for row in body["results"]] == [a.pk]
    row = body["results"][0]
    assert row["title"] == "Sáng kiến cải tiến máy cắt điện" and row["organisation"] == "XN1"
    assert row["category"] == "technical" and row["benefit_value_vnd"] == 90_000_000
    assert row["adoptions_count"] == 0 and row["awards"] == []
    assert "authors" not in row and "problem" not in row and "solution" not in row
    assert draft["id"] not in [row["id"] for row in body["results"]]
    assert api().get(LIST).status_code in (401, 403)


def test_a_confidential_dossier_shows_outsiders_only_title_summary_and_awards(api, users, recognised):
    secret = recognised(title="Giải pháp bảo mật đo đếm điện năng", confidential=True, benefit_value_vnd=120_000_000)
    plain = recognised(title="Giải pháp công khai đo đếm điện năng", category="management")
    rows = {row["id"]: row for row in api(users["outsider"]).get(LIST).json()["results"]}
    assert rows[secret.pk]["title"] == "Giải pháp bảo mật đo đếm điện năng" and rows[secret.pk]["summary"]
    assert rows[secret.pk]["benefit_value_vnd"] is None and rows[secret.pk]["category"] is None
    assert rows[plain.pk]["category"] == "management"
    # the category filter does not tell what the dossier hides
    r = api(users["outsider"]).get(LIST, {"category": "technical"})
    assert [row["id"] for row in r.json()["results"]] == []
    # its author sees it whole
    mine = {row["id"]: row for row in api(users["author1"]).get(LIST).json()["results"]}
    assert mine[secret.pk]["benefit_value_vnd"] == 120_000_000 and mine[secret.pk]["category"] == "technical"
    r = api(users["author1"]).get(LIST, {"category": "technical"})
    assert [row["id"] for row in r.json()["results"]] == [secret.pk]


def test_q_needs_no_accents_and_filters_are_checked(api, users, recognised):
    a = recognised(title="Sáng kiến thay cầu chì tự rơi", summary="Không cần cắt điện khi thay cầu chì.")
    recognised(
        user="author3",
        organisation="XN3",
        title="Phần mềm quản lý kho vật tư",
        authors=[{"username": "author3", "share_percent": 100}],
    )
    me = api(users["outsider"])
    assert [row["id"] for row in me.get(LIST, {"q": "sang kien cau chi"}).json()["results"]] == [a.pk]
    assert [row["id"] for row in me.get(LIST, {"q": "CẮT ĐIỆN"}).json()["results"]] == [a.pk]
    assert me.get(LIST, {"q": "kho vat tu"}).json()["count"] == 1
    assert [row["id"] for row in me.get(LIST, {"organisation": "TCTA"}).json()["results"]] == [a.pk]
    r = me.get(LIST, {"category": "magic", "organisation": "NOPE"})
    assert r.status_code == 400 and set(r.json()) == {"category", "organisation"}
    r = me.get(LIST, {"q": "x" * 101})
    assert r.status_code == 400 and "q" in r.json()


def test_the_most_awarded_then_most_applied_come_first_with_no_query_per_row(
    api, users, recognised, django_assert_max_num_queries
):
    old = recognised(
        title="Sáng kiến cũ nhưng được khen", recognised_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    )
    applied = recognised(title="Sáng kiến được nhiều nơi áp dụng")
    new = recognised(
        title="Sáng kiến mới nhất được công nhận", recognised_at=datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)
    )
    Certificate.objects.create(
        serial="BD-SK-2025-9001",
        award=Award.MONTHLY_COMMENDATION,
        initiative=old,
        organisation=old.organisation,
        period_month=datetime.date(2025, 1, 1),
        title=old.title,
        issued_at=datetime.datetime(2025, 2, 1, tzinfo=datetime.UTC),
    )
    assert adopt(api, users["officer_a"], applied.pk, "XN2").status_code == 201
    with django_assert_max_num_queries(14):
        body = api(users["outsider"]).get(LIST).json()
    assert [row["id"] for row in body["results"]] == [old.pk, applied.pk, new.pk]
    assert body["results"][0]["awards"][0]["award"] == "monthly_commendation"
    assert body["results"][1]["adoptions_count"] == 1
    # pages cut across the awarded-or-applied part and the rest
    first = api(users["outsider"]).get(LIST, {"page_size": 2}).json()
    second = api(users["outsider"]).get(LIST, {"page_size": 2, "page": 2}).json()
    assert first["count"] == second["count"] == 3
    assert [r["id"] for r in first["results"] + second["results"]] == [old.pk, applied.pk, new.pk]
    assert second["results"][0]["adoptions_count"] == 0 and second["results"][0]["awards"] == []
    assert [r["id"] for r in api(users["outsider"]).get(LIST, {"page_size": 1, "page": 2}).json()["results"]] == [
        applied.pk
    ]


def test_an_officer_or_the_advisory_team_records_that_another_unit_applies_it(
    api, users, recognised, django_capture_on_commit_callbacks, mailoutbox
):
    a = recognised()
    users["author1"].email = "author1@example.org"
    users["author1"].save(update_fields=["email"])
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        r = adopt(api, users["officer_a"], a.pk, "XN2", note="Áp dụng tại đội quản lý vận hành lưới điện")
    assert r.status_code == 201, r.content
    # the author hears of it, in a mail of their own
    assert [m.to for m in mailoutbox] == [["author1@example.org"]]
    assert "Công đoàn Xí nghiệp 2" in mailoutbox[0].subject and f"/library/{a.pk}/" in mailoutbox[0].body
    assert r.json()["organisation"] == "XN2" and r.json()["recorded_by"] == "Cán Bộ TCT A"
    entry = AuditEntry.objects.get(action="adopt")
    assert entry.actor_name == "officer_a" and entry.details["initiative"] == a.pk
    assert entry.details["organisation"] == "XN2"
    # the corporation's advisory team serves XN2 (which keeps none of its own)… and the corporation
    b = recognised(title="Sáng kiến thứ hai của xí nghiệp một")
    assert adopt(api, users["a_adv"], b.pk, "XN2").status_code == 201
    listed = api(users["outsider"]).get(adoptions_url(a.pk)).json()
    assert listed["count"] == 1 and listed["results"][0]["note"] == "Áp dụng tại đội quản lý vận hành lưới điện"
    rows = {row["id"]: row for row in api(users["outsider"]).get(LIST).json()["results"]}
    assert rows[a.pk]["adoptions_count"] == 1


def test_refusals_own_initiative_outside_reach_twice_unknown(api, users, recognised, make_draft):
    a = recognised(
        authors=[{"username": "author1", "share_percent": 60}, {"username": "officer_a", "share_percent": 40}]
    )
    draft = make_draft("author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}])
    before = AuditEntry.objects.count()
    # the initiative's own unit
    r = adopt(api, users["officer_x1"], a.pk, "XN1")
    assert r.status_code == 409 and r.json()["code"] == "own_initiative" and r.json()["detail"]
    # an author of it, for another unit they oversee
    r = adopt(api, users["officer_a"], a.pk, "XN2")
    assert r.status_code == 409 and r.json()["code"] == "own_initiative"
    # an organisation outside the actor's reach
    r = adopt(api, users["officer_x1"], a.pk, "XN3")
    assert r.status_code == 403 and r.json()["detail"]
    assert adopt(api, users["author3"], a.pk, "XN3").status_code == 403  # an author role is no officer's
    # an unknown organisation, a note too long
    r = adopt(api, users["officer_x1"], a.pk, "NOPE")
    assert r.status_code == 400 and "organisation" in r.json()
    # an unrecognised or unknown initiative
    assert adopt(api, users["officer_a"], draft["id"], "XN1").status_code == 404
    assert adopt(api, users["officer_a"], 999999, "XN2").status_code == 404
    assert api(users["officer_a"]).get(adoptions_url(draft["id"])).status_code == 404
    assert api(users["officer_a"]).get(adoptions_url("x")).status_code == 404
    assert AuditEntry.objects.count() == before and not Adoption.objects.exists()
    # the same unit twice
    b = recognised(user="author3", organisation="XN3", authors=[{"username": "author3", "share_percent": 100}])
    assert adopt(api, users["officer_x1"], b.pk, "XN1").status_code == 201
    r = adopt(api, users["officer_a"], b.pk, "XN1")
    assert r.status_code == 409 and r.json()["code"] == "already_adopted"
    r = adopt(api, users["officer_a"], b.pk, "XN2", note="x" * 2001)
    assert r.status_code == 400 and "note" in r.json()
    assert Adoption.objects.count() == 1


def test_a_long_library_is_counted_up_to_the_cap_then_estimated_and_every_page_still_reads(
    api, users, recognised, client, settings
):
    """Half a million recognised dossiers must not be counted row by row for a first page: beyond
    ``LIST_EXACT_COUNT_CAP`` the count is PostgreSQL's estimate (``count_exact`` false, "≈" on the
    page); SQLite counts exactly. Either way the pages walk every row, in order."""
    from django.db import connection

    from tests.otp import verified_session

    settings.LIST_EXACT_COUNT_CAP = 2
    made = [
        recognised(
            title=f"Sáng kiến thư viện {k}", recognised_at=datetime.datetime(2025, 1, 1 + k, tzinfo=datetime.UTC)
        )
        for k in range(4)
    ]
    reader = api(users["outsider"])
    body = reader.get(LIST, {"page_size": 1}).json()
    estimated = connection.vendor == "postgresql"
    assert body["count_exact"] is (not estimated)
    assert body["count"] == 4 if not estimated else body["count"] >= 3
    ids = [reader.get(LIST, {"page_size": 1, "page": p}).json()["results"][0]["id"] for p in range(1, 5)]
    assert ids == [i.pk for i in reversed(made)]
    assert reader.get(LIST, {"page_size": 1, "page": 9}).status_code == 404
    client.force_login(users["outsider"])
    verified_session(client, users["outsider"])
    html = client.get("/library/").content.decode()
    count = html.split('id="library-count">', 1)[1].split("</p>", 1)[0]
    assert count.startswith("≈ ") is estimated, count

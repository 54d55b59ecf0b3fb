"""GET /audit/entries/ and /audit/entries.csv (API.md): auditors follow the trail of their subtree
across dossiers — filtered by organisation, dossier, who acted, action and days — and nobody else
reads it. A secret ballot stays secret there too."""

import csv
import datetime
import io

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from tests.conftest import once

pytestmark = pytest.mark.django_db


@pytest.fixture
def trail(request):
    """A dossier of XN1 returned by its adviser with a formula-like reason, one of XN2 submitted,
    and a draft of XN3 (TCTB) — built once per test process (``tests.conftest.once``)."""
    return once(request, "audit-entries-trail", lambda: _trail(request.getfixturevalue("flow")))


def _trail(flow):
    returned = flow.draft("author1")
    flow.act("author1", returned, "submit")
    flow.act("u1_adv", returned, "return", comment='=HYPERLINK("http://x.example","bấm")')
    secret = flow.draft("author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}])
    flow.act("author2", secret, "submit")
    other = flow.draft("author3", organisation="XN3", authors=[{"username": "author3", "share_percent": 100}])
    return {"returned": returned, "secret": secret, "other": other}


def _all(client, params=None):
    """Every entry, following the cursor."""
    rows, url, params = [], "/api/v1/audit/entries/", dict(params or {}, page_size=3)
    while url:
        r = client.get(url, params)
        assert r.status_code == 200, r.content
        body = r.json()
        assert "count" not in body  # a cursor: no count over millions of entries
        rows += body["results"]
        url, params = body["next"], None
    return rows


def test_an_auditor_reads_their_subtree_across_dossiers_oldest_first(trail, api, users):
    rows = _all(api(users["auditor_n"]))
    seqs = [r["seq"] for r in rows]
    assert seqs == sorted(seqs) and len(seqs) == len(set(seqs))
    organisations = {r["organisation"] for r in rows}
    assert {"XN1", "XN2", "XN3"} <= organisations and "TLD" not in organisations and None not in organisations
    ids = {r["object_id"] for r in rows if r["object_type"] == "initiative"}
    assert {str(trail["returned"]), str(trail["secret"]), str(trail["other"])} <= ids
    returned = [r for r in rows if r["action"] == "return"][0]
    assert returned["actor"] == "u1_adv" and returned["comment"].startswith("=HYPERLINK")
    assert len(returned["hash"]) == 64 and len(returned["prev_hash"]) == 64
    expected = AuditEntry.objects.filter(scope_path__startswith=users["auditor_n"].organisation.path).count()
    assert len(rows) == expected

    # the auditor of TCTB sees TCTB only
    rows_b = _all(api(users["auditor_b"]))
    assert "XN3" in {r["organisation"] for r in rows_b} and {r["organisation"] for r in rows_b} <= {"TCTB", "XN3"}
    assert str(trail["returned"]) not in {r["object_id"] for r in rows_b}


def test_filters(trail, api, users):
    client = api(users["auditor_n"])
    by_dossier = _all(client, {"initiative": trail["returned"]})
    assert [r["action"] for r in by_dossier][:1] == ["create"] and "return" in [r["action"] for r in by_dossier]
    assert {r["object_id"] for r in by_dossier} == {str(trail["returned"])}
    assert {r["actor"] for r in _all(client, {"actor": "u1_adv"})} == {"u1_adv"}
    assert {r["action"] for r in _all(client, {"action": "submit"})} == {"submit"}
    assert {r["organisation"] for r in _all(client, {"organisation": "XN2"})} == {"XN2"}
    today = timezone.localdate()
    assert _all(client, {"since": today.isoformat(), "until": today.isoformat()})
    tomorrow = today + datetime.timedelta(days=1)
    assert _all(client, {"since": tomorrow.isoformat()}) == []
    assert _all(client, {"until": (today - datetime.timedelta(days=1)).isoformat()}) == []


@pytest.mark.parametrize(
    "params,field,words",
    [
        ({"organisation": "NOPE"}, "organisation", "NOPE"),
        ({"initiative": "abc"}, "initiative", "integer"),
        ({"initiative": "99999999999999999999"}, "initiative", "integer"),
        ({"since": "2026-02-30"}, "since", "YYYY-MM-DD"),
        ({"until": "9999-12-31"}, "until", "2999"),
        ({"since": "2026-05-02", "until": "2026-05-01"}, "until", "start day"),
        ({"action": "x" * 41}, "action", "40"),
    ],
)
def test_bad_filters_are_a_400_naming_them(trail, api, users, params, field, words):
    r = api(users["auditor_n"]).get("/api/v1/audit/entries/", params, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400, r.content
    assert field in r.json() and words in r.json()[field][0], r.json()
    r = api(users["auditor_n"]).get("/api/v1/audit/entries.csv", params, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and field in r.json()


def test_only_auditors_and_admins_of_the_subtree_read_it(trail, api, users):
    for who in ("officer_a", "author1", "u1_chair", "s_chair"):
        for url in ("/api/v1/audit/entries/", "/api/v1/audit/entries.csv"):
            r = api(users[who]).get(url, HTTP_ACCEPT_LANGUAGE="en")
            assert r.status_code == 403 and "auditor" in r.json()["detail"], (who, url, r.content)
    assert api().get("/api/v1/audit/entries/").status_code in (401, 403)
    r = api(users["auditor_b"]).get("/api/v1/audit/entries/", {"organisation": "XN1"}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 403 and "XN1" in r.json()["detail"]
    rows = _all(api(users["admin_n"]))  # an admin reads as an auditor does
    assert rows and {r["organisation"] for r in rows} >= {"XN1"}


def test_the_csv_holds_the_same_entries_and_no_formula(trail, api, users):
    client = api(users["auditor_n"])
    r = client.get("/api/v1/audit/entries.csv", {"organisation": "XN1"})
    assert r.status_code == 200 and r["Content-Type"].startswith("text/csv")
    text = b"".join(r.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    api_rows = _all(client, {"organisation": "XN1"})
    assert [int(x["seq"]) for x in rows] == [x["seq"] for x in api_rows]
    returned = [x for x in rows if x["action"] == "return"][0]
    assert returned["comment"] == "'" + '=HYPERLINK("http://x.example","bấm")'
    assert not any(v.startswith(("=", "+", "-", "@")) for x in rows for v in x.values() if v)
    r = client.get("/api/v1/audit/entries.csv", HTTP_ACCEPT="text/csv")
    assert r.status_code == 200


def test_a_secret_ballot_names_no_voters_decision_in_the_entries(flow, api, users):
    from councils.models import Council

    Council.objects.filter(code="XN1-HD").update(ballot="secret")
    iid = flow.to_unit_council()
    decisions = {"u1_chair": "approve", "u1_sec": "return", "u1_m1": "approve"}
    for voter, decision in decisions.items():
        flow.vote(voter, iid, decision, score=70, comment="cần bổ sung số liệu" if decision == "return" else "")
    flow.act("u1_chair", iid, "close")
    rows = _all(api(users["auditor_n"]), {"initiative": iid})
    votes = [r for r in rows if r["action"] == "vote"]
    assert sorted(r["actor"] for r in votes) == sorted(decisions)
    assert all("decision" not in r["details"] and "score" not in r["details"] and r["comment"] == "" for r in votes)
    close = [r for r in rows if r["action"] == "close"][0]
    assert close["details"]["votes"] and all(
        set(v) == {"decision", "score", "comment"} for v in close["details"]["votes"]
    )

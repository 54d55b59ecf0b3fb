import pytest

from audit.models import AuditEntry
from initiatives.models import Initiative
from tests.conftest import draft_payload

pytestmark = pytest.mark.django_db

URL = "/api/v1/initiatives/"


def test_an_author_creates_a_draft(api, users):
    r = api(users["author1"]).post(URL, draft_payload(), format="json")
    assert r.status_code == 201, r.content
    d = r.json()
    assert d["state"] == "draft" and d["version"] == 1
    assert d["organisation"] == "XN1"
    assert d["reference"].startswith("SK-") and d["id"]
    assert d["authors"] == [
        {"username": "author1", "full_name": "Tác Giả Một", "share_percent": 100.0, "consent": "confirmed"}
    ]
    assert "edit" in d["available_actions"]
    assert d["possible_duplicates"] == [] and d["awards"] == []
    entry = AuditEntry.objects.get(action="create", object_id=str(d["id"]))
    assert entry.actor_name == "author1" and entry.to_state == "draft"


def test_co_authors_and_authors_without_an_account(api, users):
    r = api(users["author1"]).post(
        URL,
        draft_payload(
            authors=[
                {"username": "author1", "share_percent": 60},
                {"username": "author1b", "share_percent": 25.5},
                {"full_name": "Nguyễn Văn Ngoài", "share_percent": 14.5},
            ]
        ),
        format="json",
    )
    assert r.status_code == 201, r.content
    assert [a["share_percent"] for a in r.json()["authors"]] == [60.0, 25.5, 14.5]
    assert r.json()["authors"][2]["username"] is None


@pytest.mark.parametrize(
    "overrides,field,fragment",
    [
        ({"title": "Ngắn"}, "title", "at least 10 characters"),
        ({"title": "x" * 301}, "title", "at most 300 characters"),
        ({"title": ""}, "title", "may not be blank"),
        ({"category": "magic"}, "category", "unknown category 'magic'"),
        ({"organisation": "NOPE"}, "organisation", "unknown organisation 'NOPE'"),
        ({"organisation": "TCTA"}, "organisation", "not a grassroots unit"),
        ({"organisation": "XN2"}, "organisation", "neither belong to nor advise"),
        ({"benefit_value_vnd": -1}, "benefit_value_vnd", "must be ≥ 0"),
        ({"benefit_value_vnd": 12.5}, "benefit_value_vnd", "must be an integer"),
        ({"benefit_value_vnd": "nhiều"}, "benefit_value_vnd", "must be an integer"),
        ({"applied_since": "2999-01-01"}, "applied_since", "cannot be in the future"),
        ({"applied_since": "01/03/2022"}, "applied_since", "YYYY-MM-DD"),
        ({"authors": []}, "authors", ""),
        ({"authors": [{"username": "author1", "share_percent": 60}]}, "authors", "must sum to 100 (they sum to 60)"),
        (
            {"authors": [{"username": "author1", "share_percent": 50}, {"username": "author1", "share_percent": 50}]},
            "authors",
            "listed twice",
        ),
        ({"authors": [{"username": "ghost", "share_percent": 100}]}, "authors", "unknown user 'ghost'"),
        ({"authors": [{"share_percent": 100}]}, "authors", "needs a username or a full_name"),
        ({"authors": [{"username": "author1", "share_percent": 0}]}, "authors", "greater than 0"),
    ],
)
def test_bad_drafts_are_refused_with_a_message_naming_the_field(api, users, overrides, field, fragment):
    r = api(users["author1"]).post(URL, draft_payload(**overrides), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400, r.content
    body = r.json()
    assert field in body, body
    assert fragment in str(body[field]), body
    assert Initiative.objects.count() == 0


def test_one_message_in_the_requests_language(api, users):
    r = api(users["author1"]).post(URL, draft_payload(title="Ngắn"), format="json")
    assert r.json()["title"] == ["Tên sáng kiến phải dài ít nhất 10 ký tự"]
    r = api(users["author1"]).post(URL, draft_payload(title="Ngắn"), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["title"] == ["title must be at least 10 characters"]


def test_missing_fields_and_garbage_bodies_are_400_not_500(api, users):
    client = api(users["author1"])
    r = client.post(URL, {}, format="json")
    assert r.status_code == 400
    assert {"title", "category", "organisation", "authors"} <= set(r.json())
    r = client.post(URL, "{not json", content_type="application/json")
    assert r.status_code == 400 and "JSON" in r.json()["detail"]
    r = client.post(URL, [1, 2, 3], format="json")
    assert r.status_code == 400


def test_anonymous_callers_get_401(api, users):
    assert api().post(URL, draft_payload(), format="json").status_code == 401
    assert api().get(URL).status_code == 401


def test_an_adviser_drafts_for_a_unit_they_advise(api, users):
    # XN2 keeps no advisory team, so the corporation's team (a_adv) advises it
    r = api(users["a_adv"]).post(
        URL, draft_payload(organisation="XN2", authors=[{"username": "author2", "share_percent": 100}]), format="json"
    )
    assert r.status_code == 201, r.content
    # XN1 has its own team: the corporation's adviser does not advise it
    r = api(users["a_adv"]).post(URL, draft_payload(organisation="XN1"), format="json")
    assert r.status_code == 400 and "organisation" in r.json()


def test_an_officer_drafts_in_their_own_unit(api, users):
    r = api(users["officer_x1"]).post(URL, draft_payload(), format="json")
    assert r.status_code == 201

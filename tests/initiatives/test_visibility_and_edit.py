import pytest

from audit.models import AuditEntry
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db

URL = "/api/v1/initiatives/"


@pytest.fixture
def drafts(make_draft):
    a = make_draft("author1", title="Sáng kiến của xí nghiệp một")
    b = make_draft(
        "author2",
        organisation="XN2",
        title="Sáng kiến của xí nghiệp hai",
        authors=[{"username": "author2", "share_percent": 100}],
    )
    return a, b


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


@pytest.mark.parametrize(
    "username,sees_a,sees_b",
    [
        ("author1", True, False),  # own
        ("author2", False, True),
        ("author1b", False, False),  # a colleague author does not see another's draft
        ("u1_adv", True, False),  # the unit's advisory team
        ("a_adv", False, True),  # the corporation's team advises XN2 (which has none), not XN1
        ("officer_x1", True, False),
        ("officer_a", True, True),  # corporation officer: whole subtree
        ("auditor_n", True, True),
        ("auditor_b", False, False),
        ("admin_n", True, True),
        ("u1_chair", False, False),  # a council sees only what is before it
        ("outsider", False, False),
    ],
)
def test_visibility(api, users, drafts, username, sees_a, sees_b):
    a, b = drafts
    client = api(users[username])
    listed = ids(client.get(URL))
    assert (a["id"] in listed) is sees_a
    assert (b["id"] in listed) is sees_b
    assert client.get(f"{URL}{a['id']}/").status_code == (200 if sees_a else 404)
    assert client.get(f"{URL}{b['id']}/").status_code == (200 if sees_b else 404)


def test_a_user_of_unit_a_cannot_edit_unit_b_drafts(api, users, drafts):
    a, b = drafts
    r = api(users["author2"]).patch(f"{URL}{a['id']}/", {"title": "Tôi sửa hồ sơ của người khác"}, format="json")
    assert r.status_code == 404
    assert Initiative.objects.get(pk=a["id"]).title == "Sáng kiến của xí nghiệp một"


def test_authors_and_advisers_edit_drafts_with_a_version_guard(api, users, drafts):
    a, _ = drafts
    r = api(users["author1"]).patch(f"{URL}{a['id']}/", {"title": "Tên mới của sáng kiến", "version": 1}, format="json")
    assert r.status_code == 200, r.content
    assert r.json()["version"] == 2 and r.json()["title"] == "Tên mới của sáng kiến"
    # a stale edit is refused
    r = api(users["u1_adv"]).patch(f"{URL}{a['id']}/", {"summary": "Tóm tắt khác", "version": 1}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "stale_version"
    assert Initiative.objects.get(pk=a["id"]).summary != "Tóm tắt khác"
    r = api(users["u1_adv"]).patch(f"{URL}{a['id']}/", {"summary": "Tóm tắt khác", "version": 2}, format="json")
    assert r.status_code == 200 and r.json()["version"] == 3
    assert AuditEntry.objects.filter(action="update", object_id=str(a["id"])).count() == 2


def test_officers_see_but_may_not_edit(api, users, drafts):
    a, _ = drafts
    r = api(users["officer_a"]).patch(f"{URL}{a['id']}/", {"title": "Cán bộ sửa hồ sơ này"}, format="json")
    assert r.status_code == 403 and "detail" in r.json()
    assert "edit" not in api(users["officer_a"]).get(f"{URL}{a['id']}/").json()["available_actions"]


def test_patch_validates_like_create(api, users, drafts):
    a, _ = drafts
    r = api(users["author1"]).patch(
        f"{URL}{a['id']}/", {"authors": [{"username": "author1", "share_percent": 90}]}, format="json"
    )
    assert r.status_code == 400 and "authors" in r.json()
    r = api(users["author1"]).put(f"{URL}{a['id']}/", {"title": "Tên khác hoàn toàn"}, format="json")
    assert r.status_code == 405


def test_only_drafts_can_be_edited(api, users, drafts):
    a, _ = drafts
    Initiative.objects.filter(pk=a["id"]).update(state="advisory_review")
    r = api(users["author1"]).patch(f"{URL}{a['id']}/", {"title": "Sửa sau khi nộp hồ sơ"}, format="json")
    assert r.status_code == 409 and r.json()["code"] == "invalid_state"


def test_list_filters(api, users, make_draft):
    make_draft("author1", title="Thiết bị đo nhiệt độ sáng kiến", category="technical")
    make_draft("author1", title="Quy trình quản lý kho vật tư", category="management")
    make_draft(
        "author2",
        organisation="XN2",
        title="Hoạt động công đoàn mới",
        category="union",
        authors=[{"username": "author2", "share_percent": 100}],
    )
    client = api(users["auditor_n"])
    assert len(ids(client.get(URL, {"category": "management"}))) == 1
    assert len(ids(client.get(URL, {"organisation": "XN2"}))) == 1
    assert len(ids(client.get(URL, {"organisation": "TCTA"}))) == 3
    assert len(ids(client.get(URL, {"state": "draft"}))) == 3
    # accents optional
    assert len(ids(client.get(URL, {"q": "sang kien"}))) == 1
    assert len(ids(client.get(URL, {"q": "QUẢN LÝ"}))) == 1
    assert client.get(URL, {"organisation": "NOPE"}).status_code == 400
    assert client.get(URL, {"submitted_month": "2024-13"}).status_code == 400
    assert client.get(URL, {"state": "flying"}).status_code == 400
    assert ids(client.get(URL, {"submitted_month": "2024-05"})) == set()
    r = client.get(URL, {"page_size": 2})
    assert r.json()["count"] == 3 and len(r.json()["results"]) == 2 and r.json()["next"]


def test_confidential_dossiers_show_only_title_summary_and_awards_to_outsiders(api, users, make_draft):
    d = make_draft("author1", confidential=True)
    url = f"{URL}{d['id']}/"
    # authors, the unit's advisory team and auditors over the unit see everything
    for who in ("author1", "u1_adv", "auditor_n"):
        assert "solution" in api(users[who]).get(url).json(), who
    # an officer over the unit sees it in lists but not its content
    limited = api(users["officer_a"]).get(url).json()
    assert set(limited) == {"id", "reference", "title", "summary", "state", "confidential", "organisation", "awards"}
    row = [r for r in api(users["officer_a"]).get(URL).json()["results"] if r["id"] == d["id"]][0]
    assert "benefit_value_vnd" not in row
    history = api(users["officer_a"]).get(f"{url}history/").json()["results"]
    assert all(h["comment"] == "" and h["details"] == {} for h in history)


def test_possible_duplicates_are_flagged(api, users, make_draft, flow):
    # an earlier SUBMITTED dossier (drafts are nobody's prior application)
    first = make_draft("author1", title="Dụng cụ thay cầu chì tự rơi không cần cắt điện")
    flow.act("author1", first["id"], "submit")
    second = make_draft("author1", title="Dụng cụ thay cầu chì tự rơi không phải cắt điện")
    d = api(users["author1"]).get(f"{URL}{second['id']}/").json()
    assert [x["id"] for x in d["possible_duplicates"]] == [first["id"]]
    assert d["possible_duplicates"][0]["similarity"] >= 0.6
    assert api(users["author1"]).get(f"{URL}{first['id']}/").json()["possible_duplicates"] == []  # not a draft

"""Every role × every action, on the actor's own organisation and on another's: 403 where the
rules say this person may not do this here, 404 where they may not even see it."""

import pytest

pytestmark = pytest.mark.django_db

ACTORS = [
    "author1",  # author of the initiative, unit XN1
    "author2",  # an author of another unit (XN2)
    "u1_adv",  # XN1's advisory team
    "a_adv",  # the corporation's advisory team (serves XN2, not XN1, which has its own)
    "u1_chair",  # XN1's council chair
    "u1_m1",  # XN1's council member
    "u2_chair",  # another unit's council chair
    "c_chair",  # the corporation council's chair
    "s_chair",  # the sector council's chair
    "officer_x1",  # officer of the unit
    "officer_a",  # officer of the corporation above
    "auditor_n",  # auditor of the sector
    "auditor_b",  # auditor of another corporation
    "admin_n",  # admin of the sector
    "outsider",
]

# expected status per action; anything not listed is 404 (cannot see it)
EXPECTED = {
    "submit": {"author1": 200, "u1_adv": 200, "officer_x1": 200, "officer_a": 200, "admin_n": 200, "auditor_n": 403},
    "edit": {"author1": 200, "u1_adv": 200, "officer_x1": 403, "officer_a": 403, "admin_n": 403, "auditor_n": 403},
    "withdraw": {"author1": 200, "u1_adv": 403, "officer_x1": 403, "officer_a": 403, "admin_n": 403, "auditor_n": 403},
    "forward": {"author1": 403, "u1_adv": 200, "officer_x1": 403, "officer_a": 403, "admin_n": 403, "auditor_n": 403},
    "return": {"author1": 403, "u1_adv": 200, "officer_x1": 403, "officer_a": 403, "admin_n": 403, "auditor_n": 403},
    "vote": {
        "author1": 403,
        "u1_adv": 403,
        "u1_chair": 201,
        "u1_m1": 201,
        "officer_x1": 403,
        "officer_a": 403,
        "admin_n": 403,
        "auditor_n": 403,
    },
    "close": {
        "author1": 403,
        "u1_adv": 403,
        "u1_chair": 200,
        "u1_m1": 403,
        "officer_x1": 403,
        "officer_a": 403,
        "admin_n": 403,
        "auditor_n": 403,
    },
}


def prepare(flow, action):
    iid = flow.draft()
    if action in ("forward", "return", "vote", "close"):
        flow.act("author1", iid, "submit")
    if action in ("vote", "close"):
        flow.act("u1_adv", iid, "forward")
    if action == "close":
        flow.vote("u1_sec", iid, "approve")
        flow.vote("u1_m1", iid, "approve")
        flow.vote("u1_chair", iid, "approve")
    return iid


@pytest.mark.parametrize("action", list(EXPECTED))
@pytest.mark.parametrize("actor", ACTORS)
def test_permission_matrix(flow, api, users, actor, action):
    iid = prepare(flow, action)
    before = flow.state(iid)
    client = api(users[actor])
    if action == "edit":
        r = client.patch(f"/api/v1/initiatives/{iid}/", {"summary": "Tóm tắt do người khác sửa"}, format="json")
    elif action == "vote":
        r = client.post(f"/api/v1/initiatives/{iid}/votes/", {"decision": "approve"}, format="json")
    else:
        r = client.post(f"/api/v1/initiatives/{iid}/actions/{action}/", {"comment": "lý do cụ thể"}, format="json")
    expected = EXPECTED[action].get(actor, 404)
    assert r.status_code == expected, (actor, action, r.status_code, r.content)
    if expected >= 400:
        assert flow.state(iid) == before  # refused means nothing changed
        assert "detail" in r.json()

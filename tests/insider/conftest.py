"""The insider suite: tests that attack the system the way someone inside would (a DBA reading raw
tables, a unit's administrator, an auditor, a co-author) and assert that each attack fails.

Every test records what it tried and what held through the ``insider`` fixture; the run ends
with that list, so a reader sees the attacks, not only a row of dots::

    def test_x(insider):
        insider.tried("join BallotCast to Vote on xmin (PostgreSQL)")
        ...
        insider.held("no row pairs a voter with a decision")
"""

import pytest
from django.utils import timezone

from tests.conftest import draft_payload


class InsiderLog:
    def __init__(self, record: dict):
        self.record = record  # lives in the test's user_properties: reaches the report, also from xdist workers

    def tried(self, what: str) -> None:
        self.record["tried"].append(what)

    def held(self, what: str) -> None:
        self.record["held"].append(what)


@pytest.fixture
def insider(request):
    record = {"tried": [], "held": []}
    request.node.user_properties.append(("insider", record))
    return InsiderLog(record)


# --- a small world of dossiers, shared by the insider tests ---------------------------------------

TITLE = "Thiết bị đo nhiệt độ tiếp xúc cho máy biến áp phân phối"
SUMMARY = "Phát hiện sớm điểm nóng, giảm sự cố."


@pytest.fixture
def world(request, api, users, django_capture_on_commit_callbacks):
    """A confidential dossier of XN1 (author1b with a co-author who has no account), recognised by
    the unit council and commended by the sector; beside it an ordinary dossier of the same unit.
    Built once per test process (``tests.conftest.once``: the rows and the mails kept)."""
    from tests.conftest import once

    return once(request, "insider-world", lambda: _world(api, users, django_capture_on_commit_callbacks))


def _world(api, users, django_capture_on_commit_callbacks):
    from councils.models import User
    from initiatives.models import Initiative

    for u in User.objects.all():
        u.email = f"{u.username}@example.org"
        u.save(update_fields=["email"])

    def act(user, iid, name, **body):
        with django_capture_on_commit_callbacks(execute=True):
            r = api(users[user]).post(f"/api/v1/initiatives/{iid}/actions/{name}/", body, format="json")
        assert r.status_code == 200, (user, name, r.content)

    def vote(user, iid, decision):
        with django_capture_on_commit_callbacks(execute=True):
            r = api(users[user]).post(
                f"/api/v1/initiatives/{iid}/votes/", {"decision": decision, "score": 90}, format="json"
            )
        assert r.status_code == 201, r.content

    with django_capture_on_commit_callbacks(execute=True):
        r = api(users["author1b"]).post(
            "/api/v1/initiatives/",
            draft_payload(
                title=TITLE,
                summary=SUMMARY,
                problem="Trước đây: BIQUYET-XYZ",
                solution="Giải pháp: CONGTHUC-ABC",
                benefit_value_vnd=987_654_321,
                confidential=True,
                authors=[
                    {"username": "author1b", "share_percent": 70},
                    {"full_name": "Lê Văn Bímật", "share_percent": 30},
                ],
            ),
            format="json",
        )
    assert r.status_code == 201, r.content
    secret = r.json()["id"]
    plain = (
        api(users["author1"])
        .post(
            "/api/v1/initiatives/",
            draft_payload(title="Sổ tay an toàn điện cho công nhân mới", benefit_value_vnd=5_000_000),
            format="json",
        )
        .json()["id"]
    )
    for iid, author in ((secret, "author1b"), (plain, "author1")):
        act(author, iid, "submit")
        act("u1_adv", iid, "forward")
        for member in ("u1_chair", "u1_sec", "u1_m1"):
            vote(member, iid, "approve")
        act("u1_chair", iid, "close", comment="Công nhận: BIQUYET-XYZ đã kiểm chứng" if iid == secret else "")
    assert Initiative.objects.get(pk=secret).recognised_at is not None
    month = timezone.localdate().replace(day=1)
    with django_capture_on_commit_callbacks(execute=True):
        r = api(users["s_chair"]).post(
            f"/api/v1/awards/monthly/{month:%Y-%m}/", {"organisation": "NGANH", "initiatives": [secret]}, format="json"
        )
    assert r.status_code == 201, r.content
    serial = r.json()["results"][0]["serial"]
    return {"secret": secret, "plain": plain, "month": month, "serial": serial}

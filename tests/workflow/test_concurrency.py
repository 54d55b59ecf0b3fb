"""Real concurrency on PostgreSQL: threads with their own connections hit the API at once."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audit.models import AuditEntry
from audit.selectors import audit_verify
from workflow.models import BallotCast, CouncilSession, Vote

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def client_for(user):
    token, _ = Token.objects.get_or_create(user=user)
    c = APIClient()
    c.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return c


def at_once(calls):
    """Run the callables in threads released together; each thread closes its own connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_closes_at_once_one_wins_one_gets_409(flow, users):
    iid = flow.to_unit_council()
    for u in ("u1_chair", "u1_sec", "u1_m1"):
        flow.vote(u, iid, "approve")
    chair, sec = client_for(users["u1_chair"]), client_for(users["u1_sec"])
    url = f"/api/v1/initiatives/{iid}/actions/close/"
    results = at_once([lambda: chair.post(url, {}, format="json"), lambda: sec.post(url, {}, format="json")])
    codes = sorted(r.status_code for r in results)
    assert codes == [200, 409], [r.content for r in results]
    assert [r.json()["code"] for r in results if r.status_code == 409] == ["invalid_state"]
    assert CouncilSession.objects.filter(initiative_id=iid, closed_at__isnull=False).count() == 1
    assert AuditEntry.objects.filter(action="close", object_id=str(iid)).count() == 1
    assert flow.state(iid) == "corporation_council"


def test_the_same_member_voting_twice_at_once_counts_once(flow, users):
    iid = flow.to_unit_council()
    chair = client_for(users["u1_chair"])
    url = f"/api/v1/initiatives/{iid}/votes/"
    results = at_once([lambda: chair.post(url, {"decision": "approve"}, format="json") for _ in range(4)])
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
    assert Vote.objects.filter(session__initiative_id=iid).count() == 1
    assert BallotCast.objects.filter(session__initiative_id=iid).count() == 1


def test_fifty_parallel_actions_leave_a_chain_that_verifies(flow, users):
    ids = [flow.draft() for _ in range(50)]
    author = client_for(users["author1"])
    before = AuditEntry.objects.count()

    def submit(iid):
        try:
            return author.post(f"/api/v1/initiatives/{iid}/actions/submit/", {}, format="json").status_code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=10) as pool:
        codes = list(pool.map(submit, ids))
    assert codes == [200] * 50
    assert AuditEntry.objects.count() == before + 50
    # one chain per affiliate (format 3): along each chain the entries are numbered 1, 2, 3 … with
    # no gap and no fork, and their global numbers increase (the sequence may leave gaps between)
    rows = list(AuditEntry.objects.order_by("scope_key", "scope_seq").values_list("scope_key", "scope_seq", "seq"))
    chains: dict[str, list] = {}
    for key, n, seq in rows:
        chains.setdefault(key, []).append((n, seq))
    for key, chain in chains.items():
        assert [n for n, _ in chain] == list(range(1, len(chain) + 1)), key  # no gaps, no forks
        assert [s for _, s in chain] == sorted(s for _, s in chain), key
    assert len({(k, p) for k, p in AuditEntry.objects.values_list("scope_key", "prev_hash")}) == len(rows)
    result = audit_verify()
    assert result.ok and result.checked == len(rows)

"""Issue 13: the database connection lost in the middle of a page's request (the fault tests on
PostgreSQL drop a real connection through the API: tests/notifications/test_outbox_faults.py) —
the page answers 503 saying nothing was saved, in the reader's language, never a 500, and nothing
of the action is written."""

import pytest
from django.db import OperationalError

from audit.models import AuditEntry
from initiatives.models import Initiative

pytestmark = pytest.mark.django_db


def _drop_connection_mid_action(monkeypatch):
    import workflow.actions

    def lost(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(workflow.actions, "_lock", lost)


def test_a_page_action_whose_database_connection_drops_says_nothing_was_saved(flow, client, users, monkeypatch):
    iid = flow.to_unit_council()
    for name in ("u1_chair", "u1_sec", "u1_m1"):
        flow.vote(name, iid, "approve")
    before = (Initiative.objects.get(pk=iid).state, AuditEntry.objects.count())
    client.force_login(users["u1_chair"])
    _drop_connection_mid_action(monkeypatch)

    r = client.post(f"/initiatives/{iid}/act/close/", {"comment": ""})
    assert r.status_code == 503 and r["Retry-After"] == "5"
    assert "Mất kết nối tới cơ sở dữ liệu: thao tác chưa được lưu. Vui lòng thử lại." in r.content.decode()
    r = client.post(f"/initiatives/{iid}/act/close/", {"comment": ""}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 503
    assert "The connection to the database was lost: nothing was saved. Please try again." in r.content.decode()
    assert (Initiative.objects.get(pk=iid).state, AuditEntry.objects.count()) == before

    monkeypatch.undo()  # the connection is back: the same close goes through
    r = client.post(f"/initiatives/{iid}/act/close/", {"comment": ""})
    assert r.status_code == 302 and Initiative.objects.get(pk=iid).state != before[0]

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from workflow.models import CouncilSession
from workflow.tasks import remind_deadlines

pytestmark = pytest.mark.django_db


def test_reminders_go_once_and_overdue_sessions_are_flagged_once(flow, mailoutbox, django_capture_on_commit_callbacks):
    iid = flow.to_unit_council()
    flow.vote("u1_chair", iid, "approve")
    session = CouncilSession.objects.get(initiative_id=iid)
    assert session.due_at - session.opened_at == timedelta(days=90)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_deadlines() == {"reminder": 0, "overdue": 0}
    assert mailoutbox == []

    CouncilSession.objects.filter(pk=session.pk).update(due_at=timezone.now() + timedelta(days=5))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_deadlines() == {"reminder": 1, "overdue": 0}
    reminded = {m.to[0] for m in mailoutbox}
    # members who have not voted yet, not the one who has
    assert reminded == {"u1_sec@example.org", "u1_m1@example.org"}
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_deadlines() == {"reminder": 0, "overdue": 0}
    assert mailoutbox == []

    CouncilSession.objects.filter(pk=session.pk).update(due_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_deadlines() == {"reminder": 0, "overdue": 1}
    flagged = {m.to[0] for m in mailoutbox}
    # the council's chair and secretary, and the officers over the unit
    assert flagged == {
        "u1_chair@example.org",
        "u1_sec@example.org",
        "officer_x1@example.org",
        "officer_a@example.org",
        "admin_n@example.org",
    }
    assert AuditEntry.objects.filter(action="overdue", object_id=str(iid)).count() == 1
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_deadlines() == {"reminder": 0, "overdue": 0}
    assert mailoutbox == []


def test_closed_sessions_are_not_reminded(flow, mailoutbox, django_capture_on_commit_callbacks):
    iid = flow.to_unit_council()
    flow.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "approve", "u1_chair")
    CouncilSession.objects.filter(initiative_id=iid, closed_at__isnull=False).update(due_at=timezone.now())
    CouncilSession.objects.filter(initiative_id=iid, closed_at__isnull=True).update(
        due_at=timezone.now() + timedelta(days=200)
    )
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert remind_deadlines() == {"reminder": 0, "overdue": 0}

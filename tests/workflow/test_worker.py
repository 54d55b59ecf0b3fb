"""Through a real Celery worker (CI's second pass): an action's notification is queued on commit,
picked up by the worker from Redis, and the worker's mail reaches its file backend."""

import os
import time
from pathlib import Path

import pytest

pytestmark = [pytest.mark.postgres, pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_a_session_opening_is_mailed_by_the_worker(users):
    from councils.models import User
    from initiatives.models import Initiative
    from tests.conftest import draft_payload
    from workflow.actions import initiative_forward, initiative_submit

    mail_dir = Path(os.environ["CI_MAIL_DIR"])
    User.objects.filter(username="u1_chair").update(email="u1_chair@example.org")
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_authenticate(users["author1"])
    iid = c.post("/api/v1/initiatives/", draft_payload(), format="json").json()["id"]
    initiative_submit(initiative_id=iid, actor=users["author1"])
    initiative_forward(initiative_id=iid, actor=users["u1_adv"])
    reference = Initiative.objects.get(pk=iid).reference
    deadline = time.time() + 60
    while time.time() < deadline:
        texts = [p.read_text(errors="replace") for p in mail_dir.glob("*.log")]
        if any(reference in t and "u1_chair@example.org" in t for t in texts):
            return
        time.sleep(0.5)
    pytest.fail(f"the worker sent no mail about {reference} within 60 s")

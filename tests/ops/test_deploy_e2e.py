"""The deployment, end to end (issue 13, "Done when"): gunicorn with the shipped configuration, a
Celery worker and beat with the shipped commands, one journey over HTTP, /healthz and /metrics, the
mails received by a loopback SMTP server, everything stopped by pid. Also: the migrations on a
database holding the demo (the last step of each app undone and done again).

Runs in CI's PostgreSQL pass (marked ``deploy``: it needs PostgreSQL, redis-server and gunicorn).
"""

import os
import re
import time

import httpx
import pytest
from django_otp.oath import totp

from tests.ops.deployment import METRICS_TOKEN, Instance
from web.management.commands.seed_demo import DEMO_TOTP_KEY

pytestmark = [pytest.mark.deploy]

PASSWORD = "sangkien2026"  # the demo's (web/management/commands/seed_demo.py)
APPS = ["audit", "councils", "notifications", "initiatives", "awards", "workflow", "library", "campaigns"]


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.skip("the deployment test runs on PostgreSQL (CI's second pass)")
    inst = Instance(tmp_path_factory.mktemp("deploy"), url)
    try:
        inst.create_database(demo=True)
        yield inst
    finally:
        inst.stop()
        inst.drop_database()


def test_migrations_go_back_a_step_and_forward_on_a_database_holding_the_demo(instance):
    """Each newest migration (one nothing else depends on) undone over the demo's data and applied
    again; then the trail is intact. (Undoing an app's last migration when other apps' migrations
    depend on it would undo those too, far beyond "a step".)"""
    script = f"""
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
graph = MigrationLoader(connection).graph
done = []
for (app, name), node in sorted(graph.node_map.items()):
    if app not in {APPS!r} or node.children:
        continue
    parents = [p for p in node.parents if p[0] == app]
    if not parents:
        continue
    call_command("migrate", app, parents[0][1], verbosity=0)
    call_command("migrate", app, name, verbosity=0)
    done.append(f"{{app}}:{{name}}")
call_command("migrate", verbosity=0)
print("ROUNDTRIP", ";".join(done))
"""
    out = instance.manage("shell", "-c", script)
    line = next(line for line in out.splitlines() if line.startswith("ROUNDTRIP"))
    assert line.count(":") >= 3 and "workflow:" in line, line
    assert "nguyên vẹn" in instance.manage("verify_audit")


def sign_in_chair(web: str, username: str) -> httpx.Client:
    """The chair signs in through the sign-in page — the password, then the two-factor step with
    the code the demo's authenticator shows now (a chair must pass it: twofactor/policy.py) — and
    acts with that session (and its CSRF token). Before the code step the API refuses the session
    (403 ``second_factor_required``)."""
    client = httpx.Client(base_url=web, timeout=30, follow_redirects=False)
    page = client.get("/accounts/login/")
    csrf = client.cookies.get("csrftoken") or re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1]
    headers = {"Referer": f"{web}/accounts/login/"}
    r = client.post(
        "/accounts/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": csrf, "next": "/"},
        headers=headers,
    )
    assert r.status_code == 302, (r.status_code, r.text[:500])
    # the password alone leads nowhere but the code step
    assert "/accounts/2fa/verify/" in client.get("/tasks/").headers["Location"]
    blocked = client.get("/api/v1/tasks/")
    assert blocked.status_code == 403 and blocked.json()["code"] == "second_factor_required", blocked.text
    csrf = client.cookies.get("csrftoken")
    r = client.post(
        "/accounts/2fa/verify/",
        data={"code": str(totp(bytes.fromhex(DEMO_TOTP_KEY))).zfill(6), "csrfmiddlewaretoken": csrf},
        headers=headers,
    )
    assert r.status_code == 302 and "/accounts/2fa/" not in r.headers["Location"], (r.status_code, r.text[:500])
    client.headers["X-CSRFToken"] = client.cookies.get("csrftoken")
    client.headers["Referer"] = f"{web}/"
    assert client.get("/api/v1/tasks/").status_code == 200
    return client


def _token_client(web, token):
    return httpx.Client(base_url=web, timeout=30, headers={"Authorization": f"Token {token}"})


def _wait_healthy(web, timeout=120):
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        last = httpx.get(f"{web}/healthz", timeout=10)
        if last.status_code == 200:
            return last.json()
        time.sleep(1)
    raise AssertionError(f"/healthz never 200: {last.status_code} {last.text}")


def test_one_journey_through_the_shipped_processes(instance):
    people = ["lan", "tuvan1", "hd1", "hd2", "hd3"]
    tokens = instance.tokens(people)
    instance.start_redis()
    instance.start_services()
    web = instance.web
    api = {u: _token_client(web, tokens[u]) for u in people}

    # healthy once beat has sent a heartbeat that a worker has written
    health = _wait_healthy(web)
    assert set(health["checks"]) == {"database", "cache", "broker", "worker", "audit_checkpoint"}
    assert health["checks"]["worker"]["heartbeat_age_seconds"] < 30

    r = api["lan"].post(
        "/api/v1/initiatives/",
        json={
            "title": "Thiết bị báo sự cố lưới điện qua SMS",
            "summary": "Báo sự cố tự động.",
            "problem": "Phát hiện sự cố chậm.",
            "solution": "Cảm biến gửi SMS.",
            "category": "technical",
            "organisation": "PCBD",
            "authors": [{"username": "lan", "share_percent": 100}],
            "benefit_value_vnd": 160000000,
            "applied_since": "2026-04-01",
        },
    )
    assert r.status_code == 201, (r.text[:300], instance.log("web")[-6000:])
    iid = r.json()["id"]
    assert api["lan"].post(f"/api/v1/initiatives/{iid}/actions/submit/", json={}).status_code == 200
    r = api["tuvan1"].post(
        f"/api/v1/initiatives/{iid}/actions/forward/", json={}, headers={"X-Request-ID": "deploy-forward-1"}
    )
    assert r.status_code == 200 and r.json()["state"] == "unit_council", r.text
    assert r.headers["X-Request-ID"] == "deploy-forward-1"
    for u in ("hd1", "hd2", "hd3"):
        r = api[u].post(f"/api/v1/initiatives/{iid}/votes/", json={"decision": "approve", "score": 88})
        assert r.status_code == 201, (u, r.text)
    chair = sign_in_chair(web, "hd1")
    r = chair.post(f"/api/v1/initiatives/{iid}/actions/close/", json={})
    assert r.status_code == 200, r.text
    assert r.json()["state"] == "corporation_council"

    # the worker delivered the council's and the decision's mail over SMTP
    reference = api["lan"].get(f"/api/v1/initiatives/{iid}/").json()["reference"]
    mails = instance.mail.wait_for(lambda to, msg: reference in msg.get_body(("plain",)).get_content())
    assert mails, (instance.mail.messages, instance.log("worker")[-3000:])
    recipients = {r for to, _ in mails for r in to}
    assert len(recipients) >= 2
    for _to, msg in mails:
        assert msg["Subject"] and msg["From"]
    body = mails[0][1].get_body(("plain",)).get_content()
    assert re.search(r"[ăâđêôơưáàảãạếềểễệ]", body), body  # Vietnamese text, intact

    # the forward's request id reached the worker's log lines for the tasks it scheduled
    deadline = time.monotonic() + 30
    while '"request_id": "deploy-forward-1"' not in instance.log("worker") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert '"request_id": "deploy-forward-1"' in instance.log("worker"), instance.log("worker")[-3000:]

    # metrics: refused without the token; with it, the actions counted across gunicorn's workers
    assert httpx.get(f"{web}/metrics", timeout=10).status_code == 403
    text = httpx.get(f"{web}/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"}, timeout=10).text
    for action, n in (("create", 1), ("submit", 1), ("forward", 1), ("vote", 3), ("close", 1)):
        m = re.search(rf'^sangkien_actions_total\{{action="{action}"\}} ([0-9.e+]+)$', text, re.M)
        assert m and float(m[1]) >= n, (action, text[-3000:])
    assert re.search(r'sangkien_http_request_duration_seconds_count\{method="POST",view="initiative-votes"\}', text)
    assert "sangkien_queue_depth" in text and "sangkien_overdue_sessions" in text
    assert _wait_healthy(web)["status"] == "ok"

    # stopped by pid: every process gone
    instance.stop()
    for name, proc in instance.procs.items():
        assert proc.poll() is not None, name

"""Sign-in throttling (django-axes), the production settings (`check --deploy`), and the
Content-Security-Policy the pages live under (finding 8)."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from audit.models import AuditEntry

pytestmark = pytest.mark.django_db

PASSWORD = "mat-khau-dung-2026"
BASE = Path(settings.BASE_DIR)

# The production environment README.md documents (the secret is any long random value).
PRODUCTION_ENV = {
    "DATABASE_URL": "sqlite:////tmp/sangkien-deploy-check.sqlite3",
    "DJANGO_SECRET_KEY": "k7#Qm2!vX9pL4@wZ8rT1^yN6&bC3*hF5(jD0)sG_eA-uK+iO=lP~mR" * 2,
    "DJANGO_ALLOWED_HOSTS": "sangkien.example.org",
    "SITE_URL": "https://sangkien.example.org",
    "DJANGO_CSRF_TRUSTED_ORIGINS": "https://sangkien.example.org",
    "DJANGO_SECURE_SSL_REDIRECT": "1",
    "DJANGO_SECURE_PROXY_SSL_HEADER": "1",
    "DJANGO_SECURE_HSTS_SECONDS": "31536000",
    # the keys live outside the database (SECURITY.md); these are throw-away test values
    "BALLOT_SEALING_KEY": "qdcWt2Zq0DgZNzrSoqdEs0ALJ+0Gphyk/IcoLZCjTFc=",
    "AUDIT_SIGNING_KEY": "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=",
    "AUDIT_CHECKPOINT_DIR": "/tmp/sangkien-deploy-check-checkpoints",
}


@pytest.fixture
def person(structure):
    user = structure["author1"]
    user.set_password(PASSWORD)
    user.save()
    return user


def attempt(client, url, username, password):
    return client.post(url, {"username": username, "password": password, "next": "/"})


@pytest.mark.parametrize("url", ["/accounts/login/", "/admin/login/"])
def test_wrong_passwords_lock_the_account_and_the_lock_out_is_audited(client, person, url):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        r = attempt(client, url, "author1", "sai-mat-khau-1")
        assert r.status_code == 200 and "_auth_user_id" not in client.session
    r = attempt(client, url, "author1", "sai-mat-khau-1")
    assert r.status_code == 429
    r = attempt(client, url, "author1", PASSWORD)
    assert r.status_code == 429 and "_auth_user_id" not in client.session
    assert "Tạm khoá đăng nhập" in r.content.decode()
    entry = AuditEntry.objects.get(action="login_locked_out")
    assert entry.details["username"] == "author1" and entry.object_id == str(person.pk)
    assert entry.scope_path == person.organisation.path
    assert "sai-mat-khau" not in str(entry.details) and PASSWORD not in str(entry.details)


def test_the_lock_out_page_speaks_english_too(client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "/accounts/login/", "author1", "sai-mat-khau-1")
    r = client.post("/accounts/login/", {"username": "author1", "password": PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    html = r.content.decode()
    assert r.status_code == 429 and "Sign-in temporarily locked" in html and "Tạm khoá" not in html


def test_an_unknown_username_is_locked_and_audited_without_a_user(client, structure):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "/accounts/login/", "khong-co-ai", "sai-mat-khau-1")
    entry = AuditEntry.objects.get(action="login_locked_out")
    assert entry.details == {"username": "khong-co-ai", "ip_address": "127.0.0.1", "failures": 5, "known_user": False}


def test_an_admin_unlocks_with_axes_reset_username(client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        attempt(client, "/accounts/login/", "author1", "sai-mat-khau-1")
    assert attempt(client, "/accounts/login/", "author1", PASSWORD).status_code == 429
    call_command("axes_reset_username", "author1", stdout=open(os.devnull, "w"))
    r = attempt(client, "/accounts/login/", "author1", PASSWORD)
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(person.pk)


def test_a_right_password_before_the_limit_signs_in_and_resets_the_count(client, person):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "/accounts/login/", "author1", "sai-mat-khau-1")
    assert attempt(client, "/accounts/login/", "author1", PASSWORD).status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        attempt(client, "/accounts/login/", "author1", "sai-mat-khau-1")
    assert attempt(client, "/accounts/login/", "author1", PASSWORD).status_code == 302
    assert not AuditEntry.objects.filter(action="login_locked_out").exists()


def test_check_deploy_is_clean_under_the_documented_production_settings():
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "DATABASE_URL", "REDIS_URL", "BALLOT_", "AUDIT_"))
    }
    env.update(PRODUCTION_ENV)
    r = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr
    assert "no issues" in r.stdout, r.stdout
    # with debug off the cookies are secure, HSTS and the redirect as configured
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT,"
        " s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER)"
    )
    r = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code], cwd=BASE, env=env, capture_output=True, text=True
    )
    assert r.stdout.split("\n")[-2] == "False True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https')", r.stdout


def test_pages_carry_a_content_security_policy_without_inline_scripts(client, structure):
    client.force_login(structure["author1"])
    for url in ("/", "/initiatives/", "/awards/", "/help/", "/accounts/login/"):
        r = client.get(url)
        policy = r["Content-Security-Policy"]
        assert "script-src 'self'" in policy and "object-src 'none'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    client.force_login(structure["admin_n"])
    assert "Content-Security-Policy" in client.get("/admin/").headers
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and "https://cdn.jsdelivr.net" in docs["Content-Security-Policy"]
    assert "Content-Security-Policy" not in client.get("/api/v1/initiatives/").headers  # JSON: nothing to render


def test_no_template_has_an_inline_script_or_event_handler():
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=", re.IGNORECASE)
    for path in (BASE / "templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not inline.search(text), f"{path}: {inline.search(text).group(0)}"

"""The project's plumbing: migrations, settings, the schema and the pages a newcomer opens first."""

import io

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_no_model_change_lacks_a_migration():
    out = io.StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as e:  # makemigrations --check exits 1 when a migration is missing
        pytest.fail(f"missing migration:\n{out.getvalue()}") if e.code else None


def test_the_openapi_schema_and_docs_answer(client, users):
    r = client.get("/api/schema/")
    assert r.status_code == 200
    assert b"/api/v1/initiatives/" in r.content
    client.force_login(users["author1"])
    assert client.get("/api/docs/").status_code == 200


def test_the_api_root_lists_initiatives(api, users):
    r = api(users["author1"]).get("/api/v1/")
    assert r.status_code == 200 and "initiatives" in r.json()


def test_login_page_and_home(client, users, settings):
    r = client.get("/")
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    r = client.get("/accounts/login/")
    assert r.status_code == 200 and "Đăng nhập".encode() in r.content
    users["author1"].set_password("mat-khau-dai-9")
    users["author1"].save()
    r = client.post("/accounts/login/", {"username": "author1", "password": "mat-khau-dai-9"})
    assert r.status_code == 302
    r = client.get("/")
    assert r.status_code == 200 and "Tác Giả Một".encode() in r.content


def test_english_is_available(client):
    r = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and b'lang="en"' in r.content


def test_tokens_come_from_the_command(users):
    out = io.StringIO()
    call_command("drf_create_token", "author1", stdout=out)
    key = [w for w in out.getvalue().split() if len(w) == 40]
    assert key


def test_settings_need_a_secret_key_when_debug_is_off(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SECRET_KEY",)}
    env.update(DJANGO_DEBUG="0", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite3")
    r = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True)
    assert r.returncode != 0 and "DJANGO_SECRET_KEY" in r.stderr
    env["DJANGO_SECRET_KEY"] = "x" * 50
    r = subprocess.run([sys.executable, "manage.py", "check"], env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_seed_demo_loads_the_sector_and_prints_logins(capsys):
    from councils.models import Organisation, OrganisationMove
    from initiatives.models import Initiative, Phase

    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "lan" in out and "sangkien2026" in out
    # the deciders share the printed authenticator secret; authors need none
    from django_otp.plugins.otp_totp.models import TOTPDevice

    assert "ONQW4Z3LNFSW4LLEMVWW6LJSGAZDMIJB" in out
    assert TOTPDevice.objects.get(user__username="hd1", confirmed=True).key == b"sangkien-demo-2026!!".hex()
    assert not TOTPDevice.objects.filter(user__username="lan").exists()
    spc = Organisation.objects.get(code="EVNSPC")
    units = set(
        Organisation.objects.filter(path__startswith=spc.path, depth=spc.depth + 1).values_list("name", flat=True)
    )
    # the units EVNSPC had in the seeds' time (PC Bình Dương moved to EVNHCMC in 2025: demo_story)
    units |= set(OrganisationMove.objects.filter(old_parent=spc).values_list("organisation__name", flat=True))
    for name in (
        "PC Bình Dương",
        "PC Bình Thuận",
        "PC Tây Ninh",
        "PC Cà Mau",
        "PC Bạc Liêu",
        "PC Đồng Tháp",
        "PC Vĩnh Long",
    ):
        assert any(name in u for u in units), name
    assert {"EVNHANOI", "EVNNPT", "EVNCPC"} <= set(Organisation.objects.values_list("code", flat=True))
    seeds = Phase.objects.filter(programme__code="1M-2022").order_by("starts")
    assert list(seeds.values_list("code", "target")) == [("P1", 3000), ("P2", 7000)]
    assert Phase.objects.filter(programme__code="1M-2026").exists()  # the programme running today
    assert Initiative.objects.exists()
    call_command("seed_demo")  # a second run changes nothing
    assert "0 thay đổi" in capsys.readouterr().out


def test_unknown_paths_answer_404_json_under_the_api_and_a_page_elsewhere(client, settings, users):
    settings.DEBUG = False
    client.force_login(users["author1"])
    r = client.get("/api/v1/no-such-thing/")
    assert r.status_code == 404 and r.json()["detail"].startswith("Không tìm thấy")
    r = client.get("/no-such-page/")
    assert r.status_code == 404 and "Không tìm thấy".encode() in r.content


def test_the_frameworks_own_errors_speak_the_requests_language(api, users):
    """Django REST framework's own messages (English sources, Vietnamese in locale/vi) and ours
    (Vietnamese sources, English in locale/en): one language per answer, the request's."""
    r = api().get("/api/v1/initiatives/")
    assert r.status_code == 401
    assert r.json()["detail"] == "Bạn chưa đăng nhập (thiếu thông tin xác thực)."
    r = api().get("/api/v1/initiatives/", HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["detail"] == "Authentication credentials were not provided."
    r = api(users["author1"]).put("/api/v1/initiatives/1/", {}, format="json")
    assert r.status_code in (404, 405) and " / " not in r.json()["detail"]
    r = api(users["author1"]).post("/api/v1/initiatives/", {"title": None, "authors": "x"}, format="json")
    body = r.json()
    assert r.status_code == 400
    # the dossier's rules speak one language, the request's (they live in the action)
    assert body["title"] == ["Cần tên sáng kiến"]
    assert body["category"] == ["Cần lĩnh vực"]
    assert body["authors"] == ["Danh sách tác giả phải là một danh sách"]
    r = api(users["author1"]).post(
        "/api/v1/initiatives/", {"title": "x" * 400}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 400 and all(" / " not in m for msgs in r.json().values() for m in msgs)
    r = api(users["author1"]).get("/api/v1/initiatives/", {"page": 99})
    assert r.status_code == 404 and r.json()["detail"] == "Trang không hợp lệ."
    r = api(users["author1"]).get("/api/v1/initiatives/", {"page": 99}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.json()["detail"] == "Invalid page."


def test_seed_demo_without_a_sealing_key_says_so_and_writes_nothing(settings):
    from django.core.management.base import CommandError

    from councils.models import Organisation

    settings.BALLOT_SEALING_KEY = ""
    settings.DEBUG = False
    with pytest.raises(CommandError, match="BALLOT_SEALING_KEY"):
        call_command("seed_demo")
    assert not Organisation.objects.exists()

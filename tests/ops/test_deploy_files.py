"""The shipped deployment files (deploy/): each says what the settings and the other files expect."""

import ast
import re
import runpy
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"


def _env_names_read_by_settings() -> set[str]:
    """Every name config/settings.py reads with env(...), env.bool(...), env.db(...) …"""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text())
    names = set()
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        func = node.func
        is_env = (isinstance(func, ast.Name) and func.id == "env") or (
            isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) and func.value.id == "env"
        )
        if is_env and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
            names.add(node.args[0].value)
    return names


def _template_names() -> set[str]:
    text = (DEPLOY / "sangkien.env.example").read_text()
    return set(re.findall(r"^#?\s?([A-Z][A-Z0-9_]+)=", text, flags=re.M))


def test_the_environment_template_documents_every_variable_the_settings_read():
    read = _env_names_read_by_settings()
    assert len(read) > 30 and {"DATABASE_URL", "REDIS_URL", "DJANGO_SECRET_KEY", "METRICS_TOKEN"} <= read
    missing = read - _template_names()
    assert not missing, f"deploy/sangkien.env.example does not document: {sorted(missing)}"


def test_the_gunicorn_configuration_binds_loopback_sized_by_cores_and_logs_to_stdout(monkeypatch, tmp_path):
    for var in ("GUNICORN_BIND", "GUNICORN_WORKERS", "PROMETHEUS_MULTIPROC_DIR"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("RUNTIME_DIRECTORY", str(tmp_path))
    monkeypatch.setattr("multiprocessing.cpu_count", lambda: 4)
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["bind"] == "127.0.0.1:8000"
    assert conf["workers"] == 9  # 2 × 4 cores + 1
    assert conf["errorlog"] == "-" and conf["timeout"] > 0 and conf["graceful_timeout"] > 0
    # multiprocess metrics: a directory of its own, emptied at start
    metrics_dir = Path(conf["_metrics_dir"])
    metrics_dir.mkdir(parents=True)
    (metrics_dir / "counter_1.db").write_bytes(b"old")
    conf["on_starting"](None)
    assert metrics_dir.is_dir() and not any(metrics_dir.iterdir())


def test_nginx_takes_uploads_up_to_the_attachment_limit_and_passes_the_forwarded_headers():
    site = (DEPLOY / "nginx" / "sangkien.conf").read_text()
    proxy = (DEPLOY / "nginx" / "sangkien-proxy.conf").read_text()
    sizes = [int(m) for m in re.findall(r"client_max_body_size (\d+)m;", site)]
    general = sizes[0]
    # the default attachment limit fits, with at most 2 MB of multipart envelope above it
    assert settings.ATTACHMENT_MAX_MB <= general <= settings.ATTACHMENT_MAX_MB + 2
    assert max(sizes) >= settings.REGISTER_IMPORT_MAX_MB
    for header in ("X-Forwarded-For", "X-Forwarded-Proto", "X-Request-ID", "Host"):
        assert f"proxy_set_header {header}" in proxy
    assert "ssl_certificate " in site and "listen 443 ssl" in site
    assert "location /static/" in site and "location /media/ { return 404; }" in site


def test_the_settings_trust_x_forwarded_proto_only_when_told(monkeypatch):
    path = str(ROOT / "config" / "settings.py")
    monkeypatch.delenv("DJANGO_SECURE_PROXY_SSL_HEADER", raising=False)
    assert "SECURE_PROXY_SSL_HEADER" not in runpy.run_path(path)
    monkeypatch.setenv("DJANGO_SECURE_PROXY_SSL_HEADER", "1")
    assert runpy.run_path(path)["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")


def test_systemd_units_run_the_shipped_commands():
    web = (DEPLOY / "systemd" / "sangkien-web.service").read_text()
    worker = (DEPLOY / "systemd" / "sangkien-worker@.service").read_text()
    beat = (DEPLOY / "systemd" / "sangkien-beat.service").read_text()
    assert "gunicorn -c deploy/gunicorn.conf.py config.wsgi" in web
    assert "celery -A config worker" in worker
    assert "celery -A config beat" in beat
    for unit in (web, worker, beat):
        assert "EnvironmentFile=/etc/sangkien/sangkien.env" in unit and "User=sangkien" in unit
        assert "[Install]" in unit and "Restart=" in unit


def test_compose_declares_the_whole_instance():
    compose = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    services = compose["services"]
    assert {"postgres", "redis", "web", "worker", "beat", "mailpit", "migrate"} <= set(services)
    assert "gunicorn" in services["web"]["command"] and "deploy/gunicorn.conf.py" in services["web"]["command"]
    assert services["worker"]["command"][:4] == ["celery", "-A", "config", "worker"]
    assert services["beat"]["command"][:4] == ["celery", "-A", "config", "beat"]
    for name in ("web", "worker", "beat"):
        service = services[name]
        env = service["environment"]
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:" in env["DATABASE_URL"]
        assert env["REDIS_URL"].startswith("redis://redis:")
        assert env["EMAIL_HOST"] == "mailpit"
        assert service["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
        assert (ROOT / service["build"]["context"].replace("..", ".") / service["build"]["dockerfile"]).exists() or (
            DEPLOY / ".." / service["build"]["dockerfile"]
        ).exists()
    # every named volume used is declared
    used = {v.split(":")[0] for s in services.values() for v in s.get("volumes", []) if not v.startswith((".", "/"))}
    assert used <= set(compose["volumes"])
    # only loopback ports published
    for s in services.values():
        for port in s.get("ports", []):
            assert port.startswith("127.0.0.1:")


def test_static_files_are_served_by_a_pinned_whitenoise():
    pins = (ROOT / "requirements.txt").read_text()
    assert re.search(r"^whitenoise==\d", pins, re.M)
    for package in ("gunicorn", "prometheus-client", "django-storages"):
        assert re.search(rf"^{package}==\d", pins, re.M), package
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in settings.MIDDLEWARE
    assert settings.STORAGES["staticfiles"]["BACKEND"].startswith("whitenoise.storage.")


def test_s3_media_is_configured_from_the_environment(monkeypatch):
    """Only the settings: no S3 service is reached in these tests (none is available here)."""
    path = str(ROOT / "config" / "settings.py")
    monkeypatch.setenv("FILE_STORAGE_BACKEND", "storages.backends.s3.S3Storage")
    monkeypatch.setenv("S3_BUCKET", "sangkien-media")
    monkeypatch.setenv("S3_ENDPOINT_URL", "https://minio.example.org")
    options = runpy.run_path(path)["STORAGES"]["default"]["OPTIONS"]
    assert options["bucket_name"] == "sangkien-media" and options["endpoint_url"] == "https://minio.example.org"
    assert options["default_acl"] is None and options["querystring_auth"] is True


def test_redis_holds_sessions_and_a_replica_is_added_only_when_configured(monkeypatch):
    path = str(ROOT / "config" / "settings.py")
    for var in ("REDIS_URL", "DATABASE_REPLICA_URL"):
        monkeypatch.delenv(var, raising=False)
    plain = runpy.run_path(path)
    assert "SESSION_ENGINE" not in plain and "replica" not in plain["DATABASES"]
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://ro@10.0.0.7:5432/sangkien")
    scaled = runpy.run_path(path)
    assert scaled["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"
    assert scaled["CACHES"]["default"]["BACKEND"].endswith("RedisCache")
    assert scaled["DATABASES"]["replica"]["HOST"] == "10.0.0.7"
    assert scaled["DATABASES"]["replica"]["TEST"] == {"MIRROR": "default"}


def test_the_router_sends_only_the_reports_reads_to_the_replica(monkeypatch, rf):
    from councils.models import Organisation
    from ops.routers import ReportsReplicaRouter, use_replica, wants_replica

    monkeypatch.setitem(settings.DATABASES, "replica", dict(settings.DATABASES["default"]))
    assert wants_replica(rf.get("/api/v1/reports/progress/")) and wants_replica(rf.get("/reports/dashboard/"))
    assert not wants_replica(rf.post("/api/v1/reports/progress/"))
    assert not wants_replica(rf.get("/api/v1/initiatives/"))
    from django.contrib.sessions.models import Session

    router = ReportsReplicaRouter()
    assert router.db_for_read(Organisation) is None
    token = use_replica.set(True)
    try:
        assert router.db_for_read(Organisation) == "replica"
        assert router.db_for_read(Session) is None  # sign-in state always from the primary
        assert router.db_for_write(Organisation) == "default"
    finally:
        use_replica.reset(token)
    assert router.allow_migrate("replica", "councils") is False and router.allow_migrate("default", "councils")

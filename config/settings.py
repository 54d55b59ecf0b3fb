"""One settings module, configured from the environment (12-factor).

With no environment at all it runs embedded: SQLite, Celery tasks run eagerly in-process,
a local-memory cache and e-mail printed to the console. ``DATABASE_URL=postgres://…`` switches
to PostgreSQL (psycopg 3); ``REDIS_URL=redis://…`` switches the cache and the Celery broker to
Redis, so real workers (``make worker``) and beat (``make beat``) do the background work.
"""

import datetime
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(str(BASE_DIR / ".env"))

# Embedded (no DATABASE_URL) means a developer machine: debug on unless said otherwise.
# With real services debug is off by default, and then DJANGO_SECRET_KEY is required.
DEBUG = env.bool("DJANGO_DEBUG", default=not env("DATABASE_URL", default=""))
# Required when DEBUG is off: a missing key raises ImproperlyConfigured at start-up.
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure" if DEBUG else environ.Env.NOTSET)
# Secret ballots are sealed (AES-256-GCM) from the vote until the close with this key: 32 random
# bytes, base64 or hex, from the environment and never in the database (workflow/sealing.py).
# Previous keys stay in BALLOT_SEALING_OLD_KEYS (comma-separated) until their sessions have closed.
# With DEBUG on and no key, a development key is created in BALLOT_SEALING_KEY_FILE; with DEBUG
# off and no key, secret votes are refused (409 ballot_sealing_unavailable) and `check` warns.
BALLOT_SEALING_KEY = env("BALLOT_SEALING_KEY", default="")
BALLOT_SEALING_OLD_KEYS = env.list("BALLOT_SEALING_OLD_KEYS", default=[])
BALLOT_SEALING_KEY_FILE = env("BALLOT_SEALING_KEY_FILE", default=str(BASE_DIR / "var" / "keys" / "ballot-sealing.key"))
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "django_filters",
    "django_htmx",
    "guardian",
    "treebeard",
    "axes",  # sign-in throttling and lock-out (AXES_* below)
    "csp",  # Content-Security-Policy header (CONTENT_SECURITY_POLICY below)
    "django_otp",  # the second factor (twofactor/: TOTP and hashed recovery codes)
    "django_otp.plugins.otp_totp",
    # our rooms, lowest first: imports only go down this list
    "audit",
    "councils",
    "notifications",
    "initiatives",
    "awards",
    "workflow",
    "library",  # the shared library of recognised initiatives and their adoptions
    "campaigns",  # officers' mail campaigns to members without an initiative
    "reports",
    "twofactor",  # two-factor sign-in, the idle time-out and the sign-in trail
    "web",  # the pages, above every other room
    "ops",  # health, metrics, backups: operations, above everything (deploy/, docs/operations.md)
]

MIDDLEWARE = [
    # first: the request id (X-Request-ID or a new one) for the logs and the tasks, latency by view
    "ops.middleware.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "config.middleware.RejectUnsafeTextMiddleware",  # NUL, lone surrogates, JSON too deep: 400 before any view
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): signed in with a second factor
    "twofactor.middleware.IdleTimeoutMiddleware",  # SESSION_IDLE_MINUTES without a request: signed out
    "twofactor.middleware.SecondFactorMiddleware",  # those who decide reach nothing before the code
    "notifications.outbox.OutboxActorMiddleware",  # who set a notification going (shown it until delivered)
    "config.middleware.DatabaseUnavailableMiddleware",  # a lost database connection: 503 "nothing saved", not 500
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # last: turns a lock-out during sign-in into the lock-out page
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "config.templates.DjangoTemplates",  # lets go of each page's context once written
        "NAME": "django",  # the alias Django's own backend has
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "web.context.navigation",
            ]
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
# Actions own their transactions (@transaction.atomic(durable=True)), which cannot nest inside
# a per-request transaction: so no ATOMIC_REQUESTS.
DATABASES["default"]["ATOMIC_REQUESTS"] = False
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: wait for the writer lock instead of failing at once when two requests write.
    DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = 20
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    # requests read index ranges of a few rows: starting parallel workers for them cost more than
    # the query (40 ms for an empty inbox on a busy 2-core server); 0 turns them off per session
    _parallel = env.int("DB_PARALLEL_WORKERS", default=0)
    if _parallel >= 0 and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c max_parallel_workers_per_gather={_parallel}".strip()
    # nor compile a plan to machine code (PostgreSQL's JIT, for plans it estimates above
    # jit_above_cost): a list page whose LIMIT plan is estimated high but reads a few thousand rows
    # spent 40-80 ms compiling for 5 ms of work (the 2 M lists, BENCHMARKS.md); DB_JIT=1 allows it
    if not env.bool("DB_JIT", default=False) and DATABASES["default"]["ENGINE"].endswith("postgresql"):
        _options = DATABASES["default"].setdefault("OPTIONS", {})
        _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
# the hot reads (config.sqlbatch.Prepared: every action's lock, the close's reads) as server-side
# prepared statements of each connection; 0 behind a pooler in transaction mode (PgBouncer)
DB_PREPARED_STATEMENTS = env.bool("DB_PREPARED_STATEMENTS", default=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("REDIS_URL", default="")
CACHES = {"default": env.cache("REDIS_URL", default="locmemcache://")}
# Scale-out (docs/operations.md): with Redis, sessions are read from the cache and written through
# to the database (several web machines share them; a Redis restart signs nobody out).
if REDIS_URL:
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
# An optional read replica (PostgreSQL streaming replica): the reports' pages and API read from it
# (ops.routers); everything else, and every write, uses the primary.
if env("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    DATABASES["replica"]["ATOMIC_REQUESTS"] = False
    DATABASES["replica"]["CONN_MAX_AGE"] = DATABASES["default"].get("CONN_MAX_AGE", 0)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["ops.routers.ReportsReplicaRouter"]

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
if CELERY_TASK_ALWAYS_EAGER:
    CELERY_BROKER_URL = "memory://localhost/"  # eager tasks never reach a broker; this keeps kombu quiet
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
# the queue web processes send to and workers read (one per instance sharing a Redis)
CELERY_TASK_DEFAULT_QUEUE = env("CELERY_QUEUE", default="celery")
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# workers log through LOGGING below (JSON lines with the request id), not Celery's own root handler
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_TIMEZONE = "Asia/Ho_Chi_Minh"
CELERY_BEAT_SCHEDULE = {
    "council-deadline-reminders": {
        "task": "workflow.tasks.remind_deadlines",
        "schedule": crontab(minute=0, hour="*/6"),
    },
    "monthly-reports": {
        "task": "reports.tasks.send_monthly_reports",
        "schedule": crontab(minute=30, hour=6, day_of_month=1),
    },
    "nomination-reminders": {  # 3 days before each month closes (the task checks the day)
        "task": "awards.tasks.remind_nominations",
        "schedule": crontab(minute=0, hour=8),
    },
    "notification-outbox": {  # deliver what the broker never got, retries due, mails left by a dead worker
        "task": "notifications.tasks.redrive_outbox",
        "schedule": env.float("OUTBOX_REDRIVE_SECONDS", default=60),
    },
    "audit-checkpoint": {  # sign the trail's head (skipped when nothing was appended since the last one)
        "task": "workflow.tasks.audit_checkpoint",
        "schedule": crontab(minute=7),
    },
    "worker-heartbeat": {  # beat → a worker → the cache: /healthz reads its age
        "task": "ops.tasks.heartbeat",
        "schedule": datetime.timedelta(seconds=env.int("HEALTH_HEARTBEAT_SECONDS", default=60)),
    },
}
# /healthz fails when the last worker heartbeat is older than this, or when an audit entry has
# waited longer than HEALTH_CHECKPOINT_MAX_AGE seconds for a signed checkpoint (hourly by default)
HEALTH_HEARTBEAT_MAX_AGE = env.int("HEALTH_HEARTBEAT_MAX_AGE", default=180)
HEALTH_CHECKPOINT_MAX_AGE = env.int("HEALTH_CHECKPOINT_MAX_AGE", default=3 * 3600)
# /metrics (Prometheus): with METRICS_TOKEN set, only to "Authorization: Bearer <token>"; without it,
# only to direct loopback requests (a request that came through a proxy is refused). With several
# gunicorn workers set PROMETHEUS_MULTIPROC_DIR (deploy/gunicorn.conf.py does).
METRICS_TOKEN = env("METRICS_TOKEN", default="")

# Signed checkpoints of the audit trail (audit/signing.py). The private key: PEM, or the raw
# 32 bytes in base64. With DEBUG on and none set, a development key is made in AUDIT_DEV_KEY_FILE;
# with DEBUG off and none set, no checkpoint is made (and the refusal says why).
AUDIT_SIGNING_KEY = env("AUDIT_SIGNING_KEY", default="")
# public keys trusted besides the current one (keys rotated out), comma-separated
AUDIT_VERIFY_KEYS = env.list("AUDIT_VERIFY_KEYS", default=[])
# where every checkpoint is also appended, outside the database (checkpoints.jsonl); with DEBUG
# on and none set, a directory per database under AUDIT_DEV_CHECKPOINT_ROOT
AUDIT_CHECKPOINT_DIR = env("AUDIT_CHECKPOINT_DIR", default="")
AUDIT_DEV_KEY_FILE = BASE_DIR / "var" / "keys" / "audit-signing.key"
AUDIT_DEV_CHECKPOINT_ROOT = BASE_DIR / "var" / "audit-checkpoints"

AUTH_USER_MODEL = "councils.User"
AUTHENTICATION_BACKENDS = [
    # first: refuses every password sign-in of a locked-out account before anything checks it
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # roles granted on an organisation hold on its whole subtree
    "councils.backends.SubtreeRoleBackend",
    # guardian's object permissions, its checker kept for the request (one query per object)
    "councils.backends.RequestObjectPermissionBackend",
]
GUARDIAN_RAISE_403 = False
ANONYMOUS_USER_NAME = None  # no anonymous guardian user: anonymous people get nothing
# Every door that sets a password applies these: the structure file (people[i].password), the
# admin, the actions (councils.actions.user_set_password) and Django's changepassword command.
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "full_name", "first_name", "last_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sign-in throttling (django-axes, councils.signin): after AXES_FAILURE_LIMIT wrong passwords for
# one username the account is locked for AXES_COOLOFF_MINUTES, on the login page and the admin's
# login alike; the lock-out is audited. Counted per username, not per address: a whole office
# behind one NAT address must not lock itself out. Unlock early: manage.py axes_reset_username NAME.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = ["username"]
# axes.W006 asks for 'ip_address' in the parameters; here that would lock every colleague behind an
# office's one address out together. Rotating user agents or cookies does not help against a
# per-username count, which is what W006 guards against.
# guardian.W001 looks for its own backend's dotted name; ours is that backend, subclassed
# (councils.backends.RequestObjectPermissionBackend: one checker per person and request).
SILENCED_SYSTEM_CHECKS = ["axes.W006", "guardian.W001"]
AXES_RESET_ON_SUCCESS = True
# attempts made while locked neither count nor extend the lock (nobody can keep an account locked for ever)
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "councils.signin.lockout_response"
AXES_VERBOSE = False
LOGIN_URL = "login"
# Two-factor sign-in (twofactor/): required for admins (staff, superusers, the role admin),
# officers, chairs and secretaries, every member and substitute of a deciding council (the award
# committees); optional for everyone else. TOTP codes (RFC 6238, 30 s) from any authenticator app.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="Sáng kiến")
# A session without a request for this many minutes is signed out; the sign-in page says so.
SESSION_IDLE_MINUTES = env.int("SESSION_IDLE_MINUTES", default=30)
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Ho_Chi_Minh"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "media/"  # never served as such: attachments leave only through their download, which checks who asks
# Files (dossier attachments) go to Django's default storage: the file system under MEDIA_ROOT, or
# the backend named here (e.g. "storages.backends.s3.S3Storage" with django-storages installed and
# configured by its own environment variables).
STORAGES = {
    "default": {"BACKEND": env("FILE_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage")},
    # whitenoise serves collectstatic's output (compressed; hashed names with the Manifest variant:
    # deploy/sangkien.env.example sets it)
    "staticfiles": {"BACKEND": env("STATICFILES_BACKEND", default="whitenoise.storage.CompressedStaticFilesStorage")},
}
# S3-compatible media (django-storages): FILE_STORAGE_BACKEND=storages.backends.s3.S3Storage and these
if STORAGES["default"]["BACKEND"] == "storages.backends.s3.S3Storage":
    STORAGES["default"]["OPTIONS"] = {
        "bucket_name": env("S3_BUCKET"),
        "endpoint_url": env("S3_ENDPOINT_URL", default="") or None,
        "region_name": env("S3_REGION", default="") or None,
        "access_key": env("S3_ACCESS_KEY_ID", default="") or None,
        "secret_key": env("S3_SECRET_ACCESS_KEY", default="") or None,
        "default_acl": None,  # private objects: files leave only through the checked download
        "querystring_auth": True,
        "file_overwrite": False,
    }
FILE_UPLOAD_PERMISSIONS = 0o640  # confidential dossiers' files: not for every account on the host
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o750
# one attachment at most this many megabytes; a dossier at most this many files (as it stands)
ATTACHMENT_MAX_MB = env.float("ATTACHMENT_MAX_MB", default=20)
ATTACHMENT_MAX_FILES = env.int("ATTACHMENT_MAX_FILES", default=30)
# a register workbook uploaded for import (/imports/) at most this many megabytes (100,000 rows are
# about 6 MB); imported by Celery in batches of this many rows, one transaction each
REGISTER_IMPORT_MAX_MB = env.float("REGISTER_IMPORT_MAX_MB", default=50)
REGISTER_IMPORT_BATCH = env.int("REGISTER_IMPORT_BATCH", default=2500)

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mail"))  # for the file backend
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="sangkien@localhost")
# Real mail (docs/mail.md): EMAIL_URL=smtp+tls://user:password@host:587 (or smtp://, smtps://)
# sets the SMTP backend, host, port, user, password and TLS at once; EMAIL_HOST… one by one otherwise.
_email_url = env.email_url("EMAIL_URL", default="") if env("EMAIL_URL", default="") else {}
_email_url.pop("EMAIL_FILE_PATH", None)
globals().update(_email_url)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", default=_email_url.get("EMAIL_HOST_USER", ""))
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", default=_email_url.get("EMAIL_HOST_PASSWORD", ""))
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=_email_url.get("EMAIL_USE_TLS", False))
EMAIL_USE_SSL = env.bool("EMAIL_USE_SSL", default=_email_url.get("EMAIL_USE_SSL", False))
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=60)  # seconds; below OUTBOX_LEASE_SECONDS
# The notification outbox (notifications/outbox.py): attempts before a row or a mail is "failed",
# the first retry's wait (doubled each time, at most an hour), and how long a mail claimed by a
# worker may stay "sending" before the re-drive takes it as left by a dead worker.
OUTBOX_MAX_ATTEMPTS = env.int("OUTBOX_MAX_ATTEMPTS", default=8)
OUTBOX_RETRY_BASE_SECONDS = env.float("OUTBOX_RETRY_BASE_SECONDS", default=30)
OUTBOX_LEASE_SECONDS = env.float("OUTBOX_LEASE_SECONDS", default=300)
OUTBOX_KEEP_DAYS = env.int("OUTBOX_KEEP_DAYS", default=30)  # delivered rows then deleted (failed ones kept)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "config.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "config.api.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Sáng kiến — Initiative programme API",
    "DESCRIPTION": "Public contract of the initiative programme (see API.md).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
}

# Logs go to standard output (systemd's journal, docker logs): one JSON object a line with the
# request id (config/logs.py), or plain text with LOG_FORMAT=text. The "sangkien" logger writes one
# line per request and per task at LOG_LEVEL_APP.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "config.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "config.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": env("LOG_FORMAT", default="text" if DEBUG else "json"),
        }
    },
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="WARNING")},
    "loggers": {"sangkien": {"level": env("LOG_LEVEL_APP", default="INFO")}},
}

# --- HTTPS and browser protections (README: "Production settings") ---------------------------------
# Cookies are secure whenever debug is off. Redirecting to HTTPS and HSTS are switched on by the
# environment of a deployment that really serves HTTPS (they would break plain-HTTP test clients and
# local runs); behind a TLS-terminating proxy also set DJANGO_SECURE_PROXY_SSL_HEADER=1, so Django
# trusts the proxy's X-Forwarded-Proto (only then: a client could send it itself otherwise).
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("DJANGO_CSRF_COOKIE_SECURE", default=not DEBUG)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=False)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]  # asked over plain HTTP on loopback by monitors
if env.bool("DJANGO_SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# Content-Security-Policy (django-csp 4): scripts only from this site (no inline script, no inline
# event handler: static/js/site.js does what they did); styles from this site, plus inline styles,
# which the admin and the dashboard's bars use (a style cannot run code). The API docs page adds
# the CDN it loads Swagger UI from (config/urls.py).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

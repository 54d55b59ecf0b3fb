import copy
import os
import shutil

import pytest
from celery._state import _set_task_join_will_block
from django.conf import settings as django_settings
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from config.celery import app as celery_app


def pytest_collection_modifyitems(config, items):
    on_postgres = connection.vendor == "postgresql"
    chromium = shutil.which("chromium") or os.environ.get("CHROMIUM_PATH")
    for item in items:
        if "postgres" in item.keywords and not on_postgres:
            item.add_marker(
                pytest.mark.skip(reason="needs PostgreSQL (DATABASE_URL=postgres://…): row locks are real only there")
            )
        if "worker" in item.keywords and not os.environ.get("CI_CELERY_WORKER"):
            item.add_marker(pytest.mark.skip(reason="needs a running Celery worker (CI_CELERY_WORKER=1, see .ci/run)"))
        if "browser" in item.keywords and not chromium:
            item.add_marker(pytest.mark.skip(reason="no Chromium installed (apt-get install -y chromium)"))
    # the longest tests first, so that pytest-xdist starts them at once, spread over its workers,
    # and the short ones fill in behind them: a long test near the end of the order keeps one core
    # busy while the others have nothing left to run (sort is stable: the rest keep their order)
    rank = {prefix: i for i, prefix in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: next((rank[p] for p in LONGEST_FIRST if item.nodeid.startswith(p)), len(rank)))


# slowest first, from `pytest -n 2 --durations=80` (stop 21): a prefix of the tests' node ids
LONGEST_FIRST = (
    "tests/browser/test_personas.py",
    "tests/insider/test_hostile_input.py::test_every_url_answers_hostile_input_without_a_5xx",
    "tests/reports/test_counters.py",
    "tests/ops/test_backup_restore.py",
    "tests/workflow/test_ballot_migrations.py",
    "tests/workflow/test_open_tasks.py::test_each_kind_of_open_work_reaches_exactly_the_right_people",
    "tests/browser/",
    "tests/test_security.py::test_check_deploy_is_clean_under_the_documented_production_settings",
    "tests/test_project.py::test_seed_demo_loads_the_sector_and_prints_logins",
    "tests/workflow/test_audit_checkpoints.py::test_the_upgrade_migration_keeps_old_entries_and_their_hashes",
)


# the insider suite's list of what was tried and what held (tests/insider/conftest.py: ``insider``);
# here, in the root conftest, so it also runs in xdist's controller, which collects no tests
def pytest_terminal_summary(terminalreporter):
    tr = terminalreporter
    rows = []
    for outcome in ("passed", "failed"):
        for rep in tr.stats.get(outcome, []):
            if getattr(rep, "when", None) != "call":
                continue
            for name, record in getattr(rep, "user_properties", []):
                if name == "insider":
                    rows.append((rep.nodeid, "FAILED" if rep.failed else "passed", record))
    if not rows:
        return
    tr.section("insider attacks: what was tried and what held")
    for nodeid, outcome, record in sorted(rows):
        tr.write_line(f"{nodeid.split('::')[-1]} [{outcome}]")
        for a in record["tried"]:
            tr.write_line(f"    tried: {a}")
        for g in record["held"]:
            tr.write_line(f"    held:  {g}")


@pytest.fixture(scope="session", autouse=True)
def _force_login_is_a_whole_sign_in():
    """``Client.force_login`` (the tests' way to be someone) completes the second factor too, for
    people who must have one (tests.otp.verified_session): it skips the password, and so the code.
    Two-factor sign-in itself is tested through its pages (tests/twofactor/)."""
    from django.test import Client

    from tests.otp import verified_session

    original = Client.force_login

    def force_login(self, user, backend=None):
        original(self, user, backend)
        verified_session(self, user)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Client, "force_login", force_login)
        yield


TEST_BALLOT_KEY = "0123456789abcdef" * 4  # 32 bytes in hex: a key for tests only


@pytest.fixture(autouse=True)
def _fast_and_eager(settings, request):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.BALLOT_SEALING_KEY = TEST_BALLOT_KEY  # tests run with DEBUG off: secret ballots need a key
    eager = "worker" not in request.keywords
    before = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    # every test starts in the programme's language (a request in English leaves English active
    # in its thread: code called outside a request would then speak it)
    translation.activate(django_settings.LANGUAGE_CODE)
    # Celery keeps "joining a result would block" in one process-wide flag that each eager call
    # sets and then puts back as it found it; threads calling tasks at once (the concurrency tests)
    # can leave it set, and a later test's ``.delay().get()`` would be refused. Start clean.
    _set_task_join_will_block(False)
    yield
    translation.deactivate()
    celery_app.conf.task_always_eager = before


# A small programme and tree, distinct from the demo and the contract smoke: depth 5 below the
# federation, two corporations, units with and without their own advisory team and council.
BASE_STRUCTURE = {
    "programme": {
        "code": "T-PROG",
        "name": "Chương trình thử nghiệm",
        "starts": "2021-09-01",
        "ends": "2031-12-31",
        "phases": [
            {"code": "A", "starts": "2021-09-01", "ends": "2022-05-31", "target": 300},
            {"code": "B", "starts": "2022-06-01", "ends": "2031-12-31", "target": 700},
        ],
        "participation_target_percent": 10,
        "quotas": [
            {"award": "federation_certificate", "cap": 6, "organisation": "NGANH"},
            {"award": "sector_certificate", "cap": 10, "organisation": "NGANH"},
            {"award": "monthly_commendation", "cap": 5, "per": "month", "organisation": "NGANH"},
        ],
    },
    "organisations": [
        {
            "code": "TLD",
            "name": "Tổng Liên đoàn",
            "level": "federation",
            "councils": [
                {
                    "code": "TLD-HD",
                    "kind": "federation",
                    "quorum": 2,
                    "members": [{"username": "f_chair", "role": "chair"}, {"username": "f_m1"}, {"username": "f_m2"}],
                }
            ],
            "children": [
                {
                    "code": "NGANH",
                    "name": "Công đoàn ngành Thử",
                    "level": "sector",
                    "headcount": 5000,
                    "councils": [
                        {
                            "code": "NGANH-HD",
                            "kind": "sector",
                            "quorum": 2,
                            "members": [
                                {"username": "s_chair", "role": "chair"},
                                {"username": "s_sec", "role": "secretary"},
                                {"username": "s_m1"},
                            ],
                        }
                    ],
                    "children": [
                        {
                            "code": "TCTA",
                            "name": "Công đoàn Tổng công ty A",
                            "level": "corporation",
                            "headcount": 2000,
                            "targets": [{"phase": "B", "initiatives": 50}],
                            "councils": [
                                {
                                    "code": "TCTA-TV",
                                    "kind": "advisory",
                                    "quorum": 1,
                                    "members": [{"username": "a_adv", "role": "chair"}],
                                },
                                {
                                    "code": "TCTA-HD",
                                    "kind": "corporation",
                                    "quorum": 2,
                                    "members": [
                                        {"username": "c_chair", "role": "chair"},
                                        {"username": "c_m1"},
                                        {"username": "c_m2"},
                                    ],
                                },
                            ],
                            "children": [
                                {
                                    "code": "XN1",
                                    "name": "Công đoàn Xí nghiệp 1",
                                    "level": "unit",
                                    "headcount": 300,
                                    "targets": [{"phase": "A", "initiatives": 4}],
                                    "councils": [
                                        {
                                            "code": "XN1-TV",
                                            "kind": "advisory",
                                            "quorum": 1,
                                            "members": [{"username": "u1_adv", "role": "chair"}],
                                        },
                                        {
                                            "code": "XN1-HD",
                                            "kind": "unit",
                                            "quorum": 3,
                                            "members": [
                                                {"username": "u1_chair", "role": "chair"},
                                                {"username": "u1_sec", "role": "secretary"},
                                                {"username": "u1_m1"},
                                            ],
                                        },
                                    ],
                                },
                                {
                                    "code": "XN2",
                                    "name": "Công đoàn Xí nghiệp 2",
                                    "level": "unit",
                                    "headcount": 200,
                                    "councils": [
                                        {
                                            "code": "XN2-HD",
                                            "kind": "unit",
                                            "quorum": 2,
                                            "ballot": "secret",
                                            "members": [
                                                {"username": "u2_chair", "role": "chair"},
                                                {"username": "u2_m1"},
                                                {"username": "u2_m2"},
                                            ],
                                        }
                                    ],
                                },
                            ],
                        },
                        {
                            "code": "TCTB",
                            "name": "Công đoàn Tổng công ty B",
                            "level": "corporation",
                            "headcount": 1000,
                            "children": [
                                {"code": "XN3", "name": "Công đoàn Xí nghiệp 3", "level": "unit", "headcount": 100}
                            ],
                        },
                    ],
                }
            ],
        }
    ],
    "people": [
        {"username": "author1", "full_name": "Tác Giả Một", "organisation": "XN1", "roles": ["author"]},
        {"username": "author1b", "full_name": "Tác Giả Một B", "organisation": "XN1", "roles": ["author"]},
        {"username": "author2", "full_name": "Tác Giả Hai", "organisation": "XN2", "roles": ["author"]},
        {"username": "author3", "full_name": "Tác Giả Ba", "organisation": "XN3", "roles": ["author"]},
        {"username": "u1_adv", "full_name": "Tư Vấn XN1", "organisation": "XN1", "roles": []},
        {"username": "a_adv", "full_name": "Tư Vấn TCT A", "organisation": "TCTA", "roles": []},
        {"username": "u1_chair", "full_name": "Chủ Tịch XN1", "organisation": "XN1", "roles": []},
        {"username": "u1_sec", "full_name": "Thư Ký XN1", "organisation": "XN1", "roles": []},
        {"username": "u1_m1", "full_name": "Ủy Viên XN1", "organisation": "XN1", "roles": ["author"]},
        {"username": "u2_chair", "full_name": "Chủ Tịch XN2", "organisation": "XN2", "roles": []},
        {"username": "u2_m1", "full_name": "Ủy Viên XN2 Một", "organisation": "XN2", "roles": []},
        {"username": "u2_m2", "full_name": "Ủy Viên XN2 Hai", "organisation": "XN2", "roles": []},
        {"username": "c_chair", "full_name": "Chủ Tịch TCT A", "organisation": "TCTA", "roles": []},
        {"username": "c_m1", "full_name": "Ủy Viên TCT A Một", "organisation": "TCTA", "roles": []},
        {"username": "c_m2", "full_name": "Ủy Viên TCT A Hai", "organisation": "TCTA", "roles": []},
        {"username": "s_chair", "full_name": "Chủ Tịch Ngành", "organisation": "NGANH", "roles": []},
        {"username": "s_sec", "full_name": "Thư Ký Ngành", "organisation": "NGANH", "roles": []},
        {"username": "s_m1", "full_name": "Ủy Viên Ngành", "organisation": "NGANH", "roles": []},
        {"username": "f_chair", "full_name": "Chủ Tịch TLĐ", "organisation": "TLD", "roles": []},
        {"username": "f_m1", "full_name": "Ủy Viên TLĐ Một", "organisation": "TLD", "roles": []},
        {"username": "f_m2", "full_name": "Ủy Viên TLĐ Hai", "organisation": "TLD", "roles": []},
        {"username": "officer_a", "full_name": "Cán Bộ TCT A", "organisation": "TCTA", "roles": ["officer"]},
        {"username": "officer_x1", "full_name": "Cán Bộ XN1", "organisation": "XN1", "roles": ["officer"]},
        {"username": "auditor_n", "full_name": "Kiểm Tra Ngành", "organisation": "NGANH", "roles": ["auditor"]},
        {"username": "auditor_b", "full_name": "Kiểm Tra TCT B", "organisation": "TCTB", "roles": ["auditor"]},
        {"username": "admin_n", "full_name": "Quản Trị Ngành", "organisation": "NGANH", "roles": ["admin"]},
        {"username": "outsider", "full_name": "Người Ngoài", "organisation": "XN3", "roles": []},
    ],
}


@pytest.fixture
def structure_data():
    return copy.deepcopy(BASE_STRUCTURE)


# Loading a structure file through ``structure_load`` (validation, the tree, guardian permissions,
# audited rows: about a thousand queries) is what most tests start with. It runs for real once per
# file, per test process and database; the rows it wrote are kept and, for the next test asking
# for the same file, put back as they were (COPY on PostgreSQL, plain INSERTs on SQLite) inside
# that test's transaction, which rolls them back as before. ``tests/councils/test_structure_load``
# and the tests that load edited files exercise the load itself.
_SNAPSHOTS: dict[tuple[str, str], list[tuple[str, bool, list]]] = {}


def _snapshot_tables():
    return sorted(connection.introspection.django_table_names(only_existing=True, include_views=False))


def _table_rows(table):
    """Every row of ``table`` as stored: COPY text lines on PostgreSQL; raw values on SQLite (each
    column read as an expression, so no declared-type converter turns it into a Python object)."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY {quote(table)} TO STDOUT") as copy:
                data = b"".join(bytes(chunk) for chunk in copy)
        return [line for line in data.split(b"\n") if line]
    columns = [c.name for c in connection.introspection.get_table_description(connection.cursor(), table)]
    cursor = connection.connection.execute(f"SELECT {', '.join('+' + quote(c) for c in columns)} FROM {quote(table)}")
    return [(tuple(columns), row) for row in cursor.fetchall()]


def _restore(snapshot):
    """Put the kept rows back: added rows inserted; a table whose rows were changed, replaced whole."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        with connection.connection.cursor() as cursor:
            for table, whole, lines in snapshot:
                if whole:
                    cursor.execute(f"DELETE FROM {quote(table)}")
                if not lines:
                    continue
                with cursor.copy(f"COPY {quote(table)} FROM STDIN") as copy:
                    copy.write(b"\n".join(lines) + b"\n")
        return
    raw = connection.connection
    for table, whole, rows in snapshot:
        if whole:
            raw.execute(f"DELETE FROM {quote(table)}")
        if not rows:
            continue
        columns = rows[0][0]
        raw.executemany(
            f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})",
            [values for _, values in rows],
        )


def load_structure_once(data: dict) -> None:
    """``structure_load(data=data)``, or the rows an earlier identical load wrote in this process."""
    import json

    from workflow.structure import structure_load

    key = (connection.settings_dict["NAME"], json.dumps(data, sort_keys=True))
    if key in _SNAPSHOTS:
        connection.ensure_connection()
        _restore(_SNAPSHOTS[key])
        return
    # rows already there that the load changes (a singleton's timestamp) are kept as a whole table
    _result, _SNAPSHOTS[key] = _rows_added_by(lambda: structure_load(data=data))


def _rows_added_by(build):
    """Run ``build()``; return (its result, the rows it wrote: a snapshot ``_restore`` puts back)."""
    tables = _snapshot_tables()
    connection.ensure_connection()
    before = {t: _table_rows(t) for t in tables}
    result = build()
    snapshot = []
    for table in tables:
        rows = _table_rows(table)
        kept = set(before[table])
        if not kept <= set(rows):
            snapshot.append((table, True, rows))
            continue
        added = [row for row in rows if row not in kept]
        if added:
            snapshot.append((table, False, added))
    return result, snapshot


_SCENARIOS: dict[tuple[str, str, str], tuple[object, list, list]] = {}


def once(request, name: str, build):
    """A module's shared data, built once per test process and database: ``build()`` (which drives
    the actions as a test would) runs for the first test that asks; the rows it wrote are kept and
    put back, with the same ids, for each later test, whose own transaction rolls them back again.
    The mails it sent are delivered again to the test's outbox (locmem); files it stored are not
    kept: not for data with attachments. Returns a copy of what ``build()`` returned."""
    import hashlib
    import json

    from django.core import mail

    request.getfixturevalue("structure")
    tree = hashlib.sha256(json.dumps(request.getfixturevalue("structure_data"), sort_keys=True).encode()).hexdigest()
    key = (connection.settings_dict["NAME"], name, tree)  # the same build on another tree is another scenario
    if key not in _SCENARIOS:
        sent = len(getattr(mail, "outbox", []))
        result, snapshot = _rows_added_by(build)
        _SCENARIOS[key] = (result, snapshot, [copy.copy(m) for m in getattr(mail, "outbox", [])[sent:]])
    else:
        _restore(_SCENARIOS[key][1])
        if hasattr(mail, "outbox"):
            mail.outbox.extend(copy.copy(m) for m in _SCENARIOS[key][2])
    return copy.deepcopy(_SCENARIOS[key][0])


@pytest.fixture
def eligibility_rules(db):
    """The Bằng's eligibility rules as data migration ``awards.0004`` seeds them (idempotent): a
    test that flushed the tables or migrated back and forth before, in the same process, may have
    left them gone (tests/awards seeds them for each of its tests the same way)."""
    import importlib

    from django.apps import apps

    importlib.import_module("awards.migrations.0004_seed_eligibility_rules").seed(apps, None)


@pytest.fixture(autouse=True)
def _snapshots_survive_no_flush(request):
    """A test outside a transaction ends with the tables flushed (and content types and permissions
    made again, under new ids on PostgreSQL): the kept rows would no longer fit. Forget them."""
    marker = request.node.get_closest_marker("django_db")
    flushes = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server", "django_db_reset_sequences"} & set(request.fixturenames)
    )
    if flushes:
        _SNAPSHOTS.clear()
        _SCENARIOS.clear()
    yield
    if flushes:
        _SNAPSHOTS.clear()
        _SCENARIOS.clear()


@pytest.fixture
def structure(db, structure_data):
    """The base structure loaded; returns a lookup of users by username."""
    from councils.models import User

    load_structure_once(structure_data)
    return {u.username: u for u in User.objects.all()}


@pytest.fixture
def users(structure):
    return structure


@pytest.fixture
def api():
    """api(user) → an APIClient authenticated as ``user`` (a token, as outside clients use)."""
    from rest_framework.authtoken.models import Token

    def make(user=None):
        client = APIClient()
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def draft_payload(**overrides):
    payload = {
        "title": "Cải tiến quy trình kiểm tra máy biến áp",
        "summary": "Rút ngắn thời gian kiểm tra định kỳ.",
        "problem": "Kiểm tra thủ công mất nhiều giờ.",
        "solution": "Dùng bảng kiểm số hóa và cảm biến nhiệt.",
        "category": "technical",
        "organisation": "XN1",
        "authors": [{"username": "author1", "share_percent": 100}],
        "benefit_value_vnd": 90_000_000,
        "applied_since": "2022-03-01",
    }
    payload.update(overrides)
    return payload


@pytest.fixture
def make_draft(api, users):
    def make(user="author1", **overrides):
        r = api(users[user]).post("/api/v1/initiatives/", draft_payload(**overrides), format="json")
        assert r.status_code == 201, r.content
        return r.json()

    return make


# a fixed Ed25519 key for the trail's checkpoints in tests (32 bytes, base64); never used elsewhere
TEST_AUDIT_SIGNING_KEY = "2Pm8x6mJ1tq6bq3q9sLQv4m8cGJx0yq4rN0Yb8m1o0c="


@pytest.fixture(autouse=True)
def _audit_checkpoints(settings, tmp_path):
    """Checkpoints in tests: a fixed signing key and a fresh external directory for every test,
    never the developer's var/ (whose checkpoints belong to another database)."""
    settings.AUDIT_SIGNING_KEY = TEST_AUDIT_SIGNING_KEY
    settings.AUDIT_VERIFY_KEYS = []
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "audit-checkpoints")
    settings.AUDIT_DEV_KEY_FILE = tmp_path / "keys" / "audit-signing.key"


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploaded files in tests go to a fresh directory of each test, never the developer's media/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def flow(api, users, make_draft, django_capture_on_commit_callbacks):
    """Drive initiatives through the API as the people of the test tree."""

    class Flow:
        def __init__(self):
            from councils.models import User

            for u in User.objects.all():
                u.email = f"{u.username}@example.org"
                u.save(update_fields=["email"])

        def act(self, user, iid, name, comment="", expect=200):
            with django_capture_on_commit_callbacks(execute=True):  # notifications run as after a real commit
                r = api(users[user]).post(
                    f"/api/v1/initiatives/{iid}/actions/{name}/", {"comment": comment}, format="json"
                )
            assert r.status_code == expect, (user, name, r.status_code, r.content)
            return r.json()

        def vote(self, user, iid, decision, score=None, comment="", expect=201):
            body = {"decision": decision, "comment": comment}
            if score is not None:
                body["score"] = score
            with django_capture_on_commit_callbacks(execute=True):
                r = api(users[user]).post(f"/api/v1/initiatives/{iid}/votes/", body, format="json")
            assert r.status_code == expect, (user, decision, r.status_code, r.content)
            return r.json()

        def get(self, user, iid):
            r = api(users[user]).get(f"/api/v1/initiatives/{iid}/")
            assert r.status_code == 200, r.content
            return r.json()

        def state(self, iid):
            from initiatives.models import Initiative

            return Initiative.objects.get(pk=iid).state

        def history(self, user, iid):
            r = api(users[user]).get(f"/api/v1/initiatives/{iid}/history/", {"page_size": 500})
            assert r.status_code == 200, r.content
            return r.json()["results"]

        def draft(self, user="author1", **kw):
            return make_draft(user, **kw)["id"]

        def to_unit_council(self, user="author1", adviser="u1_adv", **kw):
            iid = self.draft(user, **kw)
            self.act(user, iid, "submit")
            self.act(adviser, iid, "forward")
            return iid

        def council_decides(self, iid, voters, decision, closer, comment=""):
            for v in voters:
                self.vote(
                    v, iid, decision, score=80, comment=comment or ("lý do" if decision in ("return", "reject") else "")
                )
            return self.act(closer, iid, "close")

        def to_sector(self, **kw):
            iid = self.to_unit_council(**kw)
            self.council_decides(iid, ["u1_chair", "u1_sec", "u1_m1"], "approve", "u1_chair")
            self.council_decides(iid, ["c_chair", "c_m1"], "approve", "c_chair")
            assert self.state(iid) == "sector_review"
            return iid

    return Flow()

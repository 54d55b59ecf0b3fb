"""Our raw-SQL close (bench/raw_close.py) makes the same row changes as ``initiative_close``: twin
dossiers (same council, votes and pattern: carried, returned, rejected) closed once through the
action and once through the raw close, every table the close touches compared row by row (ids,
timestamps and chain positions aside), and the trail still verifies after the raw closes."""

import datetime
import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from audit.selectors import audit_verify
from bench import actions
from bench.raw_close import RawCloser, Refused

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

TIME = "<time>"


def _rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


ID_KEYS = ("initiative_id", "object_id", "opened_session", "session_id")


def _plain(value, ids, key=None):
    """Timestamps as a mark, the dossier's own ids (and its sessions') as names, so that twins
    compare equal."""
    if key in ("minutes", "details", "kwargs") and isinstance(value, str):
        value = json.loads(value)  # Django's connection hands jsonb over as text
    if isinstance(value, datetime.datetime) or (key == "closed_at" and value):
        return TIME
    if isinstance(value, dict):
        return {k: _plain(v, ids, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, ids) for v in value]
    if key in ID_KEYS:
        return ids.get(str(value), value)
    return value


def _snapshot(pk):
    """What the close wrote about dossier ``pk``: its row, sessions, open tasks, its close's trail
    entry, the outbox rows naming it or its sessions, and the counters."""
    sessions = _rows("SELECT * FROM workflow_councilsession WHERE initiative_id = %s ORDER BY id", [pk])
    ids = {str(pk): "<dossier>"}
    for k, s in enumerate(sessions):
        ids[str(s["id"])] = f"<session {k}>"
    dossier = _rows("SELECT * FROM initiatives_initiative WHERE id = %s", [pk])[0]
    for col in ("id", "reference", "title", "search_text", "dup_key", "search_vector"):
        dossier.pop(col)
    entry = _rows(
        "SELECT * FROM audit_auditentry WHERE object_type = 'initiative' AND object_id = %s AND action = 'close'",
        [str(pk)],
    )
    for e in entry:
        for col in ("id", "seq", "hash", "prev_hash", "scope_prev", "scope_seq"):  # its place on the chain
            e.pop(col)
    outbox = _rows(
        "SELECT task, kwargs, actor_id, state, attempts, last_error, sent_at FROM notifications_outboxmessage "
        "WHERE (kwargs->>'initiative_id')::bigint = %s OR (kwargs->>'session_id')::bigint = ANY(%s) ORDER BY id",
        [pk, [s["id"] for s in sessions]],
    )
    tasks = _rows(
        "SELECT kind, user_id, council_id, organisation_id, due_at FROM initiatives_opentask "
        "WHERE initiative_id = %s ORDER BY kind, user_id",
        [pk],
    )
    for s in sessions:
        s.pop("id")
    return _plain({"dossier": dossier, "sessions": sessions, "entry": entry, "outbox": outbox, "tasks": tasks}, ids)


def _counters():
    return _rows(
        "SELECT organisation_id, month, category, registered, recognised, benefit_registered "
        "FROM initiatives_progresscount ORDER BY 1, 2, 3",
        [],
    )


def _chain_heads():
    return {r["key"]: r["n"] for r in _rows("SELECT key, n FROM audit_auditchain", [])}


def test_raw_close_changes_the_same_rows_as_the_action():
    from workflow.actions import initiative_close

    u = actions.setup_structure(migrate=False)
    ids = actions.seed_voted(6, u)  # 0..2 and 3..5: the same three patterns
    closer = u["bu1"]
    raw = RawCloser(connection.connection)
    actor = (closer.pk, closer.username, closer.display_name)
    for a, b in zip(ids[:3], ids[3:], strict=True):
        counters, heads = _counters(), _chain_heads()
        initiative_close(initiative_id=a, actor=closer)
        by_action = (_counters(), _chain_heads())
        raw.close(b, actor)
        by_raw = (_counters(), _chain_heads())
        mine, theirs = _snapshot(a), _snapshot(b)
        for table in mine:
            assert mine[table] == theirs[table], table
        # the counters and the chain moved by the same step each time
        assert _delta(counters, by_action[0]) == _delta(by_action[0], by_raw[0])
        assert {k: by_action[1][k] - heads.get(k, 0) for k in by_action[1]} == {
            k: by_raw[1][k] - by_action[1][k] for k in by_raw[1]
        }
    outcomes = [_snapshot(pk)["dossier"]["state"] for pk in ids[3:]]
    assert outcomes == ["corporation_council", "draft", "rejected"]
    assert raw.round_trips() >= 10
    out = io.StringIO()
    call_command("verify_audit", stdout=out)  # sys.exit(1) when an entry or a link is bad
    assert "nguyên vẹn" in out.getvalue()  # intact
    entries = _rows("SELECT count(*) AS n FROM audit_auditentry", [])[0]["n"]
    result = audit_verify()
    assert result.ok and result.checked == entries
    # and the check bites: one raw close's entry changed after the fact breaks it
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE audit_auditentry SET comment = 'x' WHERE object_id = %s AND action = 'close'", [str(ids[4])]
        )
    assert not audit_verify().ok


def _delta(before, after):
    key = ("organisation_id", "month", "category")
    old = {tuple(r[k] for k in key): r for r in before}
    return sorted(
        (k, r["recognised"] - old.get(k, {}).get("recognised", 0))
        for k, r in ((tuple(r[c] for c in key), r) for r in after)
        if r["recognised"] != old.get(k, {}).get("recognised", 0)
    )


def test_raw_close_refuses_what_the_action_refuses():
    u = actions.setup_structure(migrate=False)
    (pk,) = actions.seed_voted(1, u)
    raw = RawCloser(connection.connection)
    member = u["bu2"]  # a member, not the chair
    with pytest.raises(Refused):
        raw.close(pk, (member.pk, member.username, member.display_name))
    closer = u["bu1"]
    raw.close(pk, (closer.pk, closer.username, closer.display_name))
    with pytest.raises(Refused):  # closed already: the next council's session waits for its votes
        raw.close(pk, (closer.pk, closer.username, closer.display_name))

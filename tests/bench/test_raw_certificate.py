"""Our raw-SQL certificate issue (bench/raw_certificate.py) makes the same row changes as
``awards.actions.certificate_issue``: twin dossiers recognised before the sector council, one
certified through the action and one through the raw issue, their certificates and trail entries
compared column by column (ids, serial numbers, times and chain positions aside), the serial
counter and the chains moved by the same step, the trail verified after; and the raw issue refuses
what the action refuses."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection

from audit.selectors import audit_verify
from bench import actions
from bench.raw_certificate import RawCertifier
from bench.raw_close import Refused
from tests.bench.test_raw_close import TIME, _chain_heads, _rows

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _recognised_pair(u):
    """Two dossiers carried by the unit and the corporation councils (before the sector council)."""
    from workflow.actions import initiative_close, vote_cast

    ids = actions.seed_voted(6, u)[::3]  # the carried pattern: every third
    for pk in ids:
        initiative_close(initiative_id=pk, actor=u["bu1"])
        for m in ("bc1", "bc2", "bc3"):
            vote_cast(initiative_id=pk, actor=u[m], decision="approve")
        initiative_close(initiative_id=pk, actor=u["bc1"])
    return ids


def _snapshot(pk):
    certificate = _rows("SELECT * FROM awards_certificate WHERE initiative_id = %s", [pk])
    for c in certificate:
        for col in ("id", "serial", "initiative_id", "title"):
            c.pop(col)
        c["issued_at"] = TIME
    entry = _rows(
        "SELECT * FROM audit_auditentry WHERE object_type = 'initiative' AND object_id = %s AND action = 'award'",
        [str(pk)],
    )
    for e in entry:
        for col in ("id", "seq", "hash", "prev_hash", "scope_prev", "scope_seq", "object_id"):
            e.pop(col)
        e["at"] = TIME
        details = json.loads(e["details"]) if isinstance(e["details"], str) else e["details"]
        e["details"] = {**details, "serial": details["serial"][:-4]}  # the prefix and year, not the number
    return {"certificate": certificate, "entry": entry}


def _counter():
    return {r["prefix"]: r["last"] for r in _rows("SELECT prefix, last FROM awards_serialcounter", [])}


def test_raw_certificate_changes_the_same_rows_as_the_action():
    from awards.actions import certificate_issue
    from councils.models import Council
    from initiatives.models import Initiative

    u = actions.setup_structure(migrate=False)
    a, b = _recognised_pair(u)
    council = Council.objects.get(code="BS-HD")
    issuer = u["bs1"]
    before = (_counter(), _chain_heads())
    mine = certificate_issue(
        initiative=Initiative.objects.get(pk=a), award="sector_certificate", actor=issuer, council=council
    )
    after_action = (_counter(), _chain_heads())
    raw = RawCertifier(connection.connection)
    serial = raw.issue(b, "sector_certificate", (issuer.pk, issuer.username, issuer.display_name), council.pk)
    after_raw = (_counter(), _chain_heads())
    assert mine.pk is not None and mine.serial != serial
    assert _snapshot(a) == _snapshot(b)
    assert _snapshot(a)["certificate"][0]["recipients"]  # the authors were read
    # the serial counter and the affiliate's chain moved by one each, both ways
    for k in (0, 1):
        step_action = {x: after_action[k][x] - before[k].get(x, 0) for x in after_action[k]}
        step_raw = {x: after_raw[k][x] - after_action[k][x] for x in after_raw[k]}
        assert step_action == step_raw and sum(step_action.values()) == 1
    assert raw.round_trips() >= 10
    out = io.StringIO()
    call_command("verify_audit", stdout=out)
    assert "nguyên vẹn" in out.getvalue()  # intact
    assert audit_verify().ok


def test_raw_certificate_refuses_what_the_action_refuses():
    from councils.models import Council

    u = actions.setup_structure(migrate=False)
    a, _b = _recognised_pair(u)
    council = Council.objects.get(code="BS-HD")
    raw = RawCertifier(connection.connection)
    member = u["bs2"]  # a member, not the chair
    with pytest.raises(Refused):
        raw.issue(a, "sector_certificate", (member.pk, member.username, member.display_name), council.pk)
    chair = u["bs1"]
    raw.issue(a, "sector_certificate", (chair.pk, chair.username, chair.display_name), council.pk)
    with pytest.raises(Refused):  # a standing certificate of the kind already
        raw.issue(a, "sector_certificate", (chair.pk, chair.username, chair.display_name), council.pk)

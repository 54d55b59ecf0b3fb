"""The bulk writer's text (``bench/loadtext.py``, ``bench.loadgen.entry_text``) against the slow paths
it replaces: ``json.dumps``, ``audit.chain.utc_text``/``canonical_json``/``entry_digest``,
``datetime.isoformat``. A difference here would be a trail that does not verify."""

import datetime
import hashlib
import json
import random

import pytest
from django.utils import timezone

from audit.chain import (
    ENTRY_PREFIX_V3,
    HASH_V3,
    HASHED_FIELDS,
    canonical_json,
    entry_digest,
    entry_text_format_v3,
    utc_text,
)
from bench.loadgen import ENTRY_FORMAT, ENTRY_HOLES, REASON, Person, check_entry_text, entry_text
from bench.loadtext import Clock, esc, js, obj, unesc

ODD = ["", 'a"b', "back\\slash", "tab\tnew\nline\r", "Tiếng Việt có dấu", "\x01ctl", "emoji 🙂", "{}[]:,"]


def test_js_and_obj_are_canonical_json():
    for s in ODD:
        assert js(s) == json.dumps(s, ensure_ascii=False)
    for v in (0, -3, 12.5, 70.0, None, True, [1, "a"], {"b": 1, "a": [2]}):
        assert js(v) == canonical_json(v).decode()
    d = {"votes_cast": 3, "average_score": 71.3, "ballot": "open", "carried": [], "closed_at": "x", "comment": 'q"'}
    assert obj((k, js(v)) for k, v in d.items()) == canonical_json(d).decode()


def test_copy_escaping_round_trips():
    for s in ODD:
        assert unesc(esc(s)) == s
        assert "\t" not in esc(s) and "\n" not in esc(s)
    assert unesc("\\N") is None


def test_clock_formats_as_the_slow_paths_do():
    tz = timezone.get_default_timezone()
    first = int(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC).timestamp())
    clock = Clock(tz, first, first + 3 * 365 * 86400)
    assert clock.fixed  # Asia/Ho_Chi_Minh: +07:00 throughout
    rng = random.Random(1)
    for t in [first, first + 86399, first + 86400] + [first + rng.randrange(3 * 365 * 86400) for _ in range(500)]:
        at = datetime.datetime.fromtimestamp(t, datetime.UTC)
        assert clock.utc(t) == utc_text(at)
        assert datetime.datetime.fromisoformat(clock.pg(t)) == at
        local = at.astimezone(tz)
        assert clock.local_iso(t) == local.isoformat()
        assert clock.local_date(t) == local.date().isoformat()
        assert clock.local_year(t) == f"{local:%Y}"


def test_a_zone_with_summer_time_takes_the_slow_path():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Paris")
    first = int(datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC).timestamp())
    clock = Clock(tz, first, first + 365 * 86400)
    assert not clock.fixed
    t = int(datetime.datetime(2024, 7, 1, 12, tzinfo=datetime.UTC).timestamp())
    assert clock.local_iso(t) == datetime.datetime.fromtimestamp(t, tz).isoformat()


@pytest.mark.parametrize("comment", ["", REASON])
def test_entry_text_is_the_trail_format_3(comment):
    check_entry_text()
    fmt, holes = entry_text_format_v3()
    assert (fmt, holes) == (ENTRY_FORMAT, ENTRY_HOLES)
    assert set(holes) | {"hash_version"} == set(HASHED_FIELDS)
    actor = Person(42, 'lg-"x"', "Tên \\ người")
    at = datetime.datetime(2025, 3, 4, 5, 6, 7, tzinfo=datetime.UTC)
    details = {"council": "LG-A01-HD", "tally": {"approve": 2, "reject": 1}, "votes": [{"comment": "", "score": 70}]}
    path, prev = "000100020003", hashlib.sha256(b"x").hexdigest()
    text = entry_text(
        "close",
        actor,
        utc_text(at),
        comment,
        canonical_json(details).decode(),
        "unit_council",
        '"object_id":"77","object_type":"initiative","prev_hash":"',
        prev,
        f'","scope_key":"{path[:8]}","scope_path":"{path}","scope_prev":"',
        5,
        901,
        "rejected",
        1,
    )
    values = {
        "hash_version": HASH_V3,
        "seq": 901,
        "at": at,
        "actor_id": 42,
        "actor_name": actor.username,
        "actor_display_name": actor.name,
        "action": "close",
        "object_type": "initiative",
        "object_id": "77",
        "scope_path": path,
        "scope_key": path[:8],
        "scope_seq": 5,
        "scope_prev": prev,
        "from_state": "unit_council",
        "to_state": "rejected",
        "version": 1,
        "comment": comment,
        "details": details,
        "prev_hash": prev,
    }
    assert hashlib.sha256(ENTRY_PREFIX_V3 + text.encode()).hexdigest() == entry_digest(values)

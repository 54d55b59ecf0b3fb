"""Our own raw-SQL anchor: the council close in psycopg 3, doing the row changes
``workflow.actions.initiative_close`` does on the project's own tables (not the anchors' three).

The anchors' raw close (``../shared/bench-anchors/raw_sql_close.py``) locks a row, reads five votes,
updates a state, inserts minutes and appends to one global chain. The project's close changes more
rows, and this one changes the same ones, with the same values (tests/bench/test_raw_close.py
closes twin dossiers both ways and compares every row, and ``manage.py verify_audit`` holds after):

- lock the dossier (``FOR UPDATE``), read the closer's codenames on its council (guardian's user
  and group tables), the authors' consents (a recused closer may not close), the open session, the
  council's members and the session's votes with their voters;
- tally with the action's rule (a decision carries when its votes × denominator ≥ numerator ×
  the sitting members; two carrying: the larger, a tie returns; none: returned), minutes as the
  action writes them;
- carried: the next stage's council (the nearest of its kind above the unit), the session's
  close, the progress counter (recognised, under the writers' shared advisory lock), the next
  council's session; the dossier's state, council, due date, recognised / decided time; its open
  tasks rewritten; the audit entry appended to its affiliate's chain (head locked, a number from
  the sequence, hashed in format 3 as ``audit.chain.entry_digest``), the head moved; the outbox
  rows of the notices (session opened, decision).

One connection, server-side prepared statements (``prepare=True``), one statement per round trip
(as the anchors' raw close: no pipelining, no multi-statement queries), one transaction per close.
What the bench does not exercise raises ``NotImplementedError`` (secret ballots, substitutes
sitting in, benefit assessments, the certify and nominate outcomes): this is an anchor, not a
second implementation. No Celery kick after the commit (the outbox row is the delivery's record;
the project's close also queues one message to Redis): a row is what is compared here.

    bench/actions.py --raw    # runs it in the same run as the project's close, on twin dossiers
"""

import datetime
import hashlib
import json
import zoneinfo
from collections import Counter

import psycopg

TIME_ZONE = zoneinfo.ZoneInfo("Asia/Ho_Chi_Minh")  # settings.TIME_ZONE: the counters' local month
COUNCIL_STAGES = ("unit_council", "corporation_council", "sector_review", "federation_review")
ORDINARY_STAGES = ("unit_council", "corporation_council", "sector_review")
STAGE_KIND = {
    "unit_council": "unit",
    "corporation_council": "corporation",
    "sector_review": "sector",
    "federation_review": "federation",
}
TERMINAL = ("rejected", "withdrawn", "sector_certified", "federation_certified")
NO_DECISION = "Không có quyết định nào đạt tỷ lệ biểu quyết cần thiết; hồ sơ được trả lại để hoàn thiện"
ADVISORY_LOCK = 0x50524F47  # initiatives.counters.ADVISORY_LOCK
STEP = 4  # treebeard's path step
HASHED = (
    "hash_version",
    "seq",
    "at",
    "actor_id",
    "actor_name",
    "actor_display_name",
    "action",
    "object_type",
    "object_id",
    "scope_path",
    "scope_key",
    "scope_seq",
    "scope_prev",
    "from_state",
    "to_state",
    "version",
    "comment",
    "details",
    "prev_hash",
)
PREFIX = b"sangkien/audit-entry/v3\n"

SQL_LOCK = (
    "SELECT i.state, i.council_id, i.organisation_id, o.path, i.category, i.dossier_version, i.recognised_at, "
    "c.code FROM initiatives_initiative i JOIN councils_organisation o ON o.id = i.organisation_id "
    "LEFT JOIN councils_council c ON c.id = i.council_id WHERE i.id = %s FOR UPDATE OF i"
)
SQL_PERMS = (
    "SELECT p.codename FROM councils_councilpermission cp JOIN auth_permission p ON p.id = cp.permission_id "
    "WHERE cp.user_id = %s AND cp.content_object_id = %s UNION "
    "SELECT p.codename FROM guardian_groupobjectpermission g JOIN auth_permission p ON p.id = g.permission_id "
    "JOIN councils_user_groups ug ON ug.group_id = g.group_id "
    "WHERE ug.user_id = %s AND g.content_type_id = %s AND g.object_pk = %s"
)
SQL_AUTHORS = (
    "SELECT user_id, consent FROM initiatives_initiativeauthor WHERE initiative_id = %s AND user_id IS NOT NULL "
    "ORDER BY position, id"
)
SQL_SESSION = (
    "SELECT id, council_id, stage, dossier_version, ballot, quorum, threshold_numerator, threshold_denominator "
    "FROM workflow_councilsession WHERE initiative_id = %s AND closed_at IS NULL ORDER BY id LIMIT 1"
)
SQL_MEMBERS = (
    "SELECT u.id, u.username, u.full_name, u.first_name, u.last_name FROM councils_membership m "
    "JOIN councils_user u ON u.id = m.user_id WHERE m.council_id = %s ORDER BY u.username"
)
SQL_VOTES = (
    "SELECT v.voter_id, u.username, u.full_name, u.first_name, u.last_name, v.decision, v.score, v.comment, "
    "v.assessed_benefit_vnd FROM workflow_vote v LEFT JOIN councils_user u ON u.id = v.voter_id "
    "WHERE v.session_id = %s ORDER BY v.cast_at"
)
SQL_NEXT = (
    "SELECT c.id, c.kind, o.path, c.ballot, c.quorum, c.threshold_numerator, c.threshold_denominator, "
    "c.decision_days FROM councils_council c JOIN councils_organisation o ON o.id = c.organisation_id "
    "WHERE c.kind = ANY(%s) AND o.path = ANY(%s)"
)
SQL_SESSION_CLOSE = (
    "UPDATE workflow_councilsession SET closed_at = %s, closed_by_id = %s, outcome = %s, minutes = %s::jsonb, "
    "assessed_benefit_vnd = NULL WHERE id = %s"
)
SQL_COUNTER = (
    "INSERT INTO initiatives_progresscount (organisation_id, month, category, registered, recognised, "
    "benefit_registered) SELECT %s::bigint, %s::date, %s::text, 0, 1, 0 WHERE (SELECT pg_advisory_xact_lock_shared(%s)::text) "
    "IS NOT NULL ON CONFLICT (organisation_id, month, category) DO UPDATE SET "
    "recognised = initiatives_progresscount.recognised + excluded.recognised"
)
SQL_SESSION_OPEN = (
    "INSERT INTO workflow_councilsession (initiative_id, council_id, stage, dossier_version, opened_at, due_at, "
    "closed_at, closed_by_id, outcome, minutes, assessed_benefit_vnd, reminded_at, overdue_notified_at, ballot, "
    "quorum, threshold_numerator, threshold_denominator, decision_days, legacy_votes) VALUES (%s, %s, %s, %s, %s, "
    "%s, NULL, NULL, '', '{}'::jsonb, NULL, NULL, NULL, %s, %s, %s, %s, %s, 0) RETURNING id"
)
SQL_DOSSIER = (
    "UPDATE initiatives_initiative SET state = %s, council_id = %s::bigint, due_at = %s::timestamptz, updated_at = %s, "
    "recognised_at = COALESCE(recognised_at, %s::timestamptz), decided_at = COALESCE(%s::timestamptz, decided_at) "
    "WHERE id = %s"
)
SQL_TASKS_DELETE = "DELETE FROM initiatives_opentask WHERE initiative_id = %s"
SQL_TASKS = (  # the old rows' delete a CTE of the new rows' insert (one statement, as the action)
    "WITH gone AS (DELETE FROM initiatives_opentask WHERE initiative_id = %s) "
    "INSERT INTO initiatives_opentask (initiative_id, kind, user_id, council_id, organisation_id, due_at) "
    "SELECT %s::bigint, t.kind, t.user_id, t.council_id, %s::bigint, %s::timestamptz FROM unnest(%s::text[], %s::bigint[], %s::bigint[]) "
    "AS t (kind, user_id, council_id)"
)
SQL_CHAIN = (
    "WITH h AS (SELECT id, n, hash FROM audit_auditchain WHERE key = %s FOR UPDATE) "
    "SELECT h.id, h.n, h.hash, nextval('audit_auditentry_seq_gen') FROM h"
)
SQL_APPEND = (
    "WITH e AS (INSERT INTO audit_auditentry (seq, hash_version, at, actor_id, actor_name, actor_display_name, "
    "action, object_type, object_id, scope_path, scope_key, scope_seq, scope_prev, from_state, to_state, version, "
    "comment, details, prev_hash, hash) VALUES (%s, 3, %s, %s, %s, %s, %s, 'initiative', %s, %s, %s, %s, %s, "
    "%s, %s, %s, %s, %s::jsonb, %s, %s) RETURNING id) "
    "UPDATE audit_auditchain SET n = %s, hash = %s, seq = %s WHERE id = %s"
)
SQL_OUTBOX = (
    "INSERT INTO notifications_outboxmessage (task, kwargs, actor_id, state, attempts, last_error, "
    "next_attempt_at, created_at, sent_at) SELECT t.task, t.kwargs, NULL, 'pending', 0, '', %s::timestamptz, "
    "%s::timestamptz, NULL "
    "FROM unnest(%s::text[], %s::jsonb[]) WITH ORDINALITY AS t (task, kwargs, k) ORDER BY t.k"
)
SQL_CONTENT_TYPE = "SELECT id FROM django_content_type WHERE app_label = 'councils' AND model = 'council'"


class Refused(Exception):
    """The close may not happen (wrong state, not the chair or secretary, quorum not reached)."""


def canonical_json(content) -> str:
    return json.dumps(content, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(values: dict) -> str:
    """``audit.chain.entry_digest`` of a format-3 entry."""
    content = {f: values[f] for f in HASHED}
    content["at"] = values["at"].astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return hashlib.sha256(PREFIX + canonical_json(content).encode()).hexdigest()


def trail_append(one, run, *, action, path, now, actor, initiative_id, from_state, to_state, version, comment, details):
    """Lock the affiliate's chain head (``one``), hash the entry as the project's v3 format does and
    append it with the head moved (``run``): what ``audit_record`` writes, restated here on purpose."""
    actor_id, actor_name, actor_display = actor
    key = path[:8]
    head = one(SQL_CHAIN, (key,))
    if head is None:
        raise NotImplementedError("a chain's first entry")
    head_id, n, prev, seq = head
    values = {
        "hash_version": 3,
        "seq": seq,
        "at": now,
        "actor_id": actor_id,
        "actor_name": actor_name,
        "actor_display_name": actor_display[:300],
        "action": action,
        "object_type": "initiative",
        "object_id": str(initiative_id),
        "scope_path": path,
        "scope_key": key,
        "scope_seq": n + 1,
        "scope_prev": prev,
        "from_state": from_state,
        "to_state": to_state,
        "version": version,
        "comment": comment,
        "details": details,
        "prev_hash": prev,
    }
    digest = entry_hash(values)
    run(
        SQL_APPEND,
        (
            seq,
            now,
            actor_id,
            actor_name,
            values["actor_display_name"],
            action,
            str(initiative_id),
            path,
            key,
            n + 1,
            prev,
            from_state,
            to_state,
            version,
            comment,
            json.dumps(details),
            prev,
            digest,
            n + 1,
            digest,
            seq,
            head_id,
        ),
    )


def _name(username, full_name, first, last) -> str:
    return full_name or f"{first} {last}".strip() or username  # User.display_name


class RawCloser:
    """Closes sessions through ``conn`` (a psycopg connection: autocommit or not, each close is
    one transaction, or a savepoint inside the caller's). ``actor``: (id, username, display name),
    what the action's ``actor`` object holds."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.cur = psycopg.Cursor(conn)  # server-side binding (Django's connections default to client-side)
        self.cur.execute(SQL_CONTENT_TYPE, prepare=True)
        self.council_type = self.cur.fetchone()[0]  # Django caches it per process too

        self.statements = 0

    def _x(self, sql, params, prepare=True):
        self.statements += 1
        self.cur.execute(sql, params, prepare=prepare)

    def _one(self, sql, params):
        self._x(sql, params)
        return self.cur.fetchone()

    def _all(self, sql, params):
        self._x(sql, params)
        return self.cur.fetchall()

    def close(self, initiative_id: int, actor: tuple) -> str:
        self.statements = 0
        with self.conn.transaction():
            return self._close(initiative_id, actor)

    def round_trips(self, _initiative_id=None) -> int:
        """The round trips of the last close: its statements, BEGIN and COMMIT."""
        return self.statements + 2

    def _close(self, initiative_id, actor):  # noqa: C901 - one transaction, read top to bottom
        actor_id, actor_name, actor_display = actor
        exe = self._x
        row = self._one(SQL_LOCK, (initiative_id,))
        if row is None:
            raise Refused("no such dossier")
        state, council_id, organisation_id, path, category, dossier_version, recognised_at, council_code = row
        if state not in COUNCIL_STAGES or council_id is None:
            raise Refused(f"state {state}")
        held = {
            c for (c,) in self._all(SQL_PERMS, (actor_id, council_id, actor_id, self.council_type, str(council_id)))
        }
        authors = self._all(SQL_AUTHORS, (initiative_id,))
        if "close_session" not in held or actor_id in {u for u, _c in authors}:
            raise Refused("only the council's chair or secretary, not an author, closes")
        session = self._one(SQL_SESSION, (initiative_id,))
        if session is None:
            raise NotImplementedError("a dossier without an open session")
        session_id, session_council, stage, version, ballot, quorum, num, den = session
        if ballot != "open":
            raise NotImplementedError("secret ballots")
        members = self._all(SQL_MEMBERS, (session_council,))
        author_ids = {u for u, _c in authors}
        recused = [m for m in members if m[0] in author_ids]
        eligible = len(members) - len(recused)
        if eligible < quorum:
            raise NotImplementedError("substitutes sitting in")
        votes = self._all(SQL_VOTES, (session_id,))
        if len(votes) < quorum:
            raise Refused("quorum not reached")
        if any(v[8] is not None for v in votes):
            raise NotImplementedError("benefit assessments")
        # the tally: the action's rule (workflow.actions._tally)
        counts = Counter(v[5] for v in votes)
        carried = [d for d, c in counts.items() if eligible and c * den >= num * eligible]
        if len(carried) == 1:
            outcome = carried[0]
        elif carried:
            best = max(counts[d] for d in carried)
            top = [d for d in carried if counts[d] == best]
            outcome = top[0] if len(top) == 1 else "return"
        else:
            outcome = "return"
        by_user = {m[0]: m for m in members}
        scores = [v[6] for v in votes if v[6] is not None]
        now = datetime.datetime.now(datetime.UTC)
        minutes = {
            "council": council_code,
            "stage": stage,
            "ballot": ballot,
            "dossier_version": version,
            "members": len(members),
            "recused": [m[1] for m in recused],
            "substitutes": [],
            "eligible": eligible,
            "quorum": quorum,
            "threshold": f"{num}/{den}",
            "votes_cast": len(votes),
            "members_present": [v[1] for v in votes],
            "tally": dict(sorted(counts.items())),
            "votes": [
                {
                    "voter": v[1],
                    "voter_name": _name(*(by_user.get(v[0]) or v[:5])[1:5]),
                    "decision": v[5],
                    "score": v[6],
                    "comment": v[7],
                }
                for v in votes
            ],
            "average_score": round(sum(scores) / len(scores), 1) if scores else None,
            "carried": sorted(carried),
            "outcome": outcome,
        }
        next_council = None
        if outcome == "approve":
            if state not in ORDINARY_STAGES:
                raise NotImplementedError("approval at the federation")
            later = ORDINARY_STAGES[ORDINARY_STAGES.index(state) + 1 :]
            paths = [path[:i] for i in range(STEP, len(path) + 1, STEP)]
            found = {(k, p): (c, *r) for c, k, p, *r in self._all(SQL_NEXT, ([STAGE_KIND[s] for s in later], paths))}
            for s in later:
                hit = next((p for p in reversed(paths) if (STAGE_KIND[s], p) in found), None)
                if hit is not None:
                    target, next_council = s, found[(STAGE_KIND[s], hit)]
                    break
            else:
                raise Refused("no council above")
            if any(c == "pending" for _u, c in authors):
                raise NotImplementedError("co-authors who have not answered")
        elif outcome == "reject":
            target = "rejected"
        elif outcome == "return":
            target = "draft"
        else:
            raise NotImplementedError(outcome)
        reasons = ""
        if outcome in ("return", "reject"):
            reasons = "\n".join(sorted(v[7] for v in votes if v[5] == outcome and v[7])).strip() or NO_DECISION
        minutes["closed_by"] = actor_name
        minutes["closed_at"] = now.isoformat()
        minutes["comment"] = reasons
        exe(SQL_SESSION_CLOSE, (now, actor_id, outcome, json.dumps(minutes), session_id), prepare=True)
        recognised = now if outcome == "approve" and recognised_at is None else None
        if recognised is not None:
            month = recognised.astimezone(TIME_ZONE).date().replace(day=1)
            exe(SQL_COUNTER, (organisation_id, month, category, ADVISORY_LOCK), prepare=True)
        details = minutes
        outbox = []
        due_at = None
        if next_council is not None:
            next_council, n_ballot, n_quorum, n_num, n_den, n_days = next_council
            due_at = now + datetime.timedelta(days=n_days)
            (opened,) = self._one(
                SQL_SESSION_OPEN,
                (
                    initiative_id,
                    next_council,
                    target,
                    dossier_version,
                    now,
                    due_at,
                    n_ballot,
                    n_quorum,
                    n_num,
                    n_den,
                    n_days,
                ),
            )
            details = {**minutes, "opened_session": opened}
            outbox.append(("workflow.tasks.notify_session_opened", {"session_id": opened}))
        decided = now if target in TERMINAL else None
        exe(SQL_DOSSIER, (target, next_council, due_at, now, recognised, decided, initiative_id), prepare=True)
        # the open work (initiatives.opentasks._rows): a council stage owes vote and close to the
        # council; a draft, submit to each author who has not declined (and confirm to those asked)
        kinds, users, councils = [], [], []
        if next_council is not None:
            kinds, users, councils = ["vote", "close"], [None, None], [next_council, next_council]
        elif target == "draft":
            for u in sorted({u for u, c in authors if c != "declined"}):
                kinds.append("submit"), users.append(u), councils.append(None)
            for u in sorted({u for u, c in authors if c == "pending"}):
                kinds.append("confirm"), users.append(u), councils.append(None)
        if kinds:
            exe(
                SQL_TASKS, (initiative_id, initiative_id, organisation_id, due_at, kinds, users, councils), prepare=True
            )
        else:
            exe(SQL_TASKS_DELETE, (initiative_id,), prepare=True)
        # the trail: the affiliate's chain head locked, the entry hashed and appended, the head moved
        trail_append(
            self._one,
            exe,
            action="close",
            path=path,
            now=now,
            actor=actor,
            initiative_id=initiative_id,
            from_state=state,
            to_state=target,
            version=version,
            comment=reasons,
            details=details,
        )
        outbox.append(("workflow.tasks.notify_decision", {"initiative_id": initiative_id}))
        exe(
            SQL_OUTBOX,
            (now, now, [t for t, _k in outbox], [json.dumps(k) for _t, k in outbox]),
            prepare=True,
        )
        return outcome

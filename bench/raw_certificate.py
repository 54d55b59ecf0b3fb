"""Our raw-SQL anchor for ``awards.actions.certificate_issue``: psycopg 3, the same row changes on
the project's own tables, in ``bench/raw_close.py``'s manner (one connection, server-side prepared
statements, one statement per round trip, one transaction per issue).

What the action does, and so this does (tests/bench/test_raw_certificate.py issues twin
certificates both ways and compares every row they write; ``manage.py verify_audit`` holds after):

- lock the dossier (``FOR UPDATE OF``) with its organisation's path and its programme;
- lock the quotas of the award on its organisation and above, in the programme (nearest first:
  the deepest organisation, a per-programme quota before a monthly one for a certificate);
- the issuer's codenames on the council (guardian's user and group tables): ``close_session``;
- recognised (a recognised time, not rejected or withdrawn), no duplicate mark standing, no
  standing award of the kind, each cap's use under its cap (the quota's subtree, programme, and
  month for a monthly quota);
- the authors (the certificate's recipients), the serial counter moved on (upsert), the
  certificate's row, the audit entry appended to the affiliate's chain (head locked, a number from
  the sequence, hashed in format 3), the head moved.

What the bench does not exercise raises ``NotImplementedError``: a quota with money (the budget's
lock and sum), a dossier with any duplicate mark, an issue without a council (an officer's). This
is an anchor, not a second implementation.
"""

import datetime
import json

import psycopg

from bench.raw_close import SQL_CONTENT_TYPE, SQL_PERMS, TIME_ZONE, Refused, trail_append

STEP = 4  # treebeard's path step
PREFIX = {"sector_certificate": "CN-LDST", "federation_certificate": "B-LDST"}
DEAD = ("rejected", "withdrawn")

SQL_LOCK = (
    "SELECT i.state, i.title, i.programme_id, i.recognised_at, i.dossier_version, i.version, o.path "
    "FROM initiatives_initiative i JOIN councils_organisation o ON o.id = i.organisation_id "
    "WHERE i.id = %s FOR UPDATE OF i"
)
SQL_PROGRAMME = "SELECT id FROM initiatives_programme WHERE starts <= %s AND ends >= %s ORDER BY starts DESC LIMIT 1"
SQL_QUOTAS = (
    "SELECT q.id, q.organisation_id, o.code, o.path, q.cap, q.kind, q.per, q.amount_vnd FROM awards_quota q "
    "JOIN councils_organisation o ON o.id = q.organisation_id "
    "WHERE q.programme_id = %s AND q.award = %s AND o.path = ANY(%s) ORDER BY q.id FOR UPDATE OF q"
)
SQL_COUNCIL = (
    "SELECT c.code, c.organisation_id, o.code FROM councils_council c "
    "JOIN councils_organisation o ON o.id = c.organisation_id WHERE c.id = %s"
)
SQL_MARKS = "SELECT 1 FROM initiatives_duplicatemark WHERE initiative_id = %s OR of_id = %s LIMIT 1"
SQL_STANDING = "SELECT 1 FROM awards_certificate WHERE initiative_id = %s AND award = %s AND revoked_at IS NULL LIMIT 1"
SQL_USED = (
    "SELECT count(*) FROM awards_certificate c JOIN initiatives_initiative i ON i.id = c.initiative_id "
    "JOIN councils_organisation o ON o.id = i.organisation_id WHERE c.award = %s AND c.programme_id = %s "
    "AND o.path LIKE %s AND c.revoked_at IS NULL AND (%s::date IS NULL OR c.period_month = %s::date)"
)
SQL_AUTHORS = (
    "SELECT a.full_name, u.username, a.share_percent FROM initiatives_initiativeauthor a "
    "LEFT JOIN councils_user u ON u.id = a.user_id WHERE a.initiative_id = %s ORDER BY a.position, a.id"
)
SQL_SERIAL = (
    "INSERT INTO awards_serialcounter (prefix, year, last) VALUES (%s, %s, 1) "
    "ON CONFLICT (prefix, year) DO UPDATE SET last = awards_serialcounter.last + 1 RETURNING last"
)
SQL_CERTIFICATE = (
    "INSERT INTO awards_certificate (serial, award, initiative_id, programme_id, organisation_id, council_id, "
    "quota_id, period_month, title, recipients, issued_at, issued_by_id, revoked_at, revoked_by_id, revoke_reason, "
    "details, amount_vnd, budget_id, reason) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, NULL, "
    "NULL, '', '{}'::jsonb, 0, NULL, '')"
)


class RawCertifier:
    """Issues certificates through ``conn`` (a psycopg connection: autocommit or not, each issue is
    one transaction, or a savepoint inside the caller's). ``actor``: (id, username, display name)."""

    def __init__(self, conn: psycopg.Connection):
        self.conn = conn
        self.cur = psycopg.Cursor(conn)  # server-side binding
        self.cur.execute(SQL_CONTENT_TYPE, prepare=True)
        self.council_type = self.cur.fetchone()[0]
        self.statements = 0

    def _x(self, sql, params):
        self.statements += 1
        self.cur.execute(sql, params, prepare=True)

    def _one(self, sql, params):
        self._x(sql, params)
        return self.cur.fetchone()

    def _all(self, sql, params):
        self._x(sql, params)
        return self.cur.fetchall()

    def round_trips(self) -> int:
        """The round trips of the last issue: its statements, BEGIN and COMMIT."""
        return self.statements + 2

    def issue(self, initiative_id: int, award: str, actor: tuple, council_id: int) -> str:
        """Returns the serial."""
        self.statements = 0
        with self.conn.transaction():
            return self._issue(initiative_id, award, actor, council_id)

    def _issue(self, initiative_id, award, actor, council_id):  # noqa: C901 - one transaction, top to bottom
        actor_id, actor_name, actor_display = actor
        row = self._one(SQL_LOCK, (initiative_id,))
        if row is None:
            raise Refused("no such dossier")
        state, title, programme_id, recognised_at, dossier_version, version, path = row
        now = datetime.datetime.now(datetime.UTC)
        local = now.astimezone(TIME_ZONE)
        today, year = local.date(), local.year
        if programme_id is None:
            found = self._one(SQL_PROGRAMME, (today, today))
            programme_id = found[0] if found else None
        quotas = []
        if programme_id is not None:
            paths = [path[:i] for i in range(STEP, len(path) + 1, STEP)]
            quotas = self._all(SQL_QUOTAS, (programme_id, award, paths))
            quotas.sort(key=lambda q: (-len(q[3]), q[6] != "programme"))
        council_code, council_org, council_org_code = self._one(SQL_COUNCIL, (council_id,))
        awarding_id, awarding_code = (quotas[0][1], quotas[0][2]) if quotas else (council_org, council_org_code)
        held = {
            c for (c,) in self._all(SQL_PERMS, (actor_id, council_id, actor_id, self.council_type, str(council_id)))
        }
        if "close_session" not in held:
            raise Refused("only the awarding council's chair or secretary issues")
        if recognised_at is None or state in DEAD:
            raise Refused("not recognised")
        if self._one(SQL_MARKS, (initiative_id, initiative_id)) is not None:
            raise NotImplementedError("a dossier with duplicate marks")
        if self._one(SQL_STANDING, (initiative_id, award)) is not None:
            raise Refused("already awarded")
        month = today.replace(day=1)
        for _id, _org, _code, qpath, cap, kind, per, _amount in quotas:
            if kind != "cap":
                continue
            on = month if per == "month" else None
            (used,) = self._one(SQL_USED, (award, programme_id, qpath + "%", on, on))
            if used + 1 > cap:
                raise Refused("quota exhausted")
        if quotas and quotas[0][7]:
            raise NotImplementedError("a quota with money (the budget)")
        recipients = [
            {"full_name": f, "username": u, "share_percent": str(s)}
            for f, u, s in self._all(SQL_AUTHORS, (initiative_id,))
        ]
        (last,) = self._one(SQL_SERIAL, (PREFIX[award], year))
        serial = f"{PREFIX[award]}-{year}-{last:04d}"
        self._x(
            SQL_CERTIFICATE,
            (
                serial,
                award,
                initiative_id,
                programme_id,
                awarding_id,
                council_id,
                quotas[0][0] if quotas else None,
                month,
                title,
                json.dumps(recipients, ensure_ascii=False),
                now,
                actor_id,
            ),
        )
        # the trail: the affiliate's chain head locked, the entry hashed and appended, the head moved
        details = {
            "award": award,
            "serial": serial,
            "organisation": awarding_code,
            "council": council_code,
            "amount_vnd": 0,
        }
        trail_append(
            self._one,
            self._x,
            action="award",
            path=path,
            now=now,
            actor=actor,
            initiative_id=initiative_id,
            from_state=state,
            to_state=state,
            version=dossier_version or version,
            comment="",
            details=details,
        )
        return serial

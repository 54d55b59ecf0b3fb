"""The open-work table (``OpenTask``), kept in the transactions that change who must act.

One writer: ``tasks_sync`` recomputes the rows of one dossier from what it is now (state, council,
due date, listed authors and their answers) — every transition, author change, naming answer and
import calls it inside its own transaction. ``tasks_rebuild`` fills the whole table with set-based
SQL (the data migration, ``manage.py open_tasks --rebuild``). ``manage.py open_tasks --check``
compares the inbox read from this table with the inbox searched from the dossiers themselves.

What each dossier owes, and to whom:
- ``draft``: ``submit`` for each listed author with an account who has not declined;
- any state but a council stage or a terminal one: ``confirm`` for each author still asked;
- ``advisory_review``: ``advise`` for the advisory team that serves the unit (its own or the
  nearest ancestor's);
- a council stage: ``vote`` for the council's members and ``close`` for its chair and secretary.
  Recusal (an author among the members), votes already cast and substitutes' seats are read with
  the inbox (they depend on the person, not on the dossier)."""

from django.db import connection

from config import sqlbatch
from config.bulk import bulk_insert
from councils.models import Council, CouncilKind, Organisation

from .models import COUNCIL_STATES, TERMINAL_STATES, Consent, Initiative, InitiativeAuthor, State
from .opentask_model import OpenTask, TaskKind


def _advisory_team_id(initiative: Initiative, teams: dict | None = None) -> int | None:
    """The advisory team that owes the advice; ``teams`` ({organisation id: team id}) remembers each
    unit's across many dossiers (the register import's batch)."""
    council = initiative.council if initiative.council_id else None
    if council is not None and council.kind == CouncilKind.ADVISORY:
        return council.pk  # the submit put the team that serves the unit there
    if teams is not None and initiative.organisation_id in teams:
        return teams[initiative.organisation_id]
    from councils.selectors import advisory_team_for

    team = advisory_team_for(organisation=initiative.organisation)
    if teams is not None:
        teams[initiative.organisation_id] = team.pk if team else None
    return team.pk if team else None


def _rows(initiative: Initiative, authors, teams: dict | None = None) -> list[OpenTask]:
    """The open work of one dossier, from its current state and ``authors`` ((user_id, consent))."""
    state = initiative.state
    common = {
        "initiative_id": initiative.pk,
        "organisation_id": initiative.organisation_id,
        "due_at": initiative.due_at,
    }
    rows = []
    if state == State.DRAFT:
        for user_id in sorted({u for u, c in authors if c != Consent.DECLINED}):
            rows.append(OpenTask(kind=TaskKind.SUBMIT, user_id=user_id, **common))
    if state not in TERMINAL_STATES and state not in COUNCIL_STATES:
        for user_id in sorted({u for u, c in authors if c == Consent.PENDING}):
            rows.append(OpenTask(kind=TaskKind.CONFIRM, user_id=user_id, **common))
    if state == State.ADVISORY_REVIEW:
        team = _advisory_team_id(initiative, teams)
        if team:
            rows.append(OpenTask(kind=TaskKind.ADVISE, council_id=team, **common))
    if state in COUNCIL_STATES and initiative.council_id:
        rows.append(OpenTask(kind=TaskKind.VOTE, council_id=initiative.council_id, **common))
        rows.append(OpenTask(kind=TaskKind.CLOSE, council_id=initiative.council_id, **common))
    return rows


def tasks_sync(initiative: Initiative, *, authors=None) -> None:
    """Make the open work of ``initiative`` what its current state says (call it in the transaction
    that changed the state, the council, the due date or the authors, after the change).
    ``authors``: its listed authors with an account as (user_id, consent) pairs, when the caller
    read them in this transaction after its last change to them (else read here when needed).
    PostgreSQL: one statement (the old rows' delete a CTE of the new rows' insert)."""
    if initiative.state not in TERMINAL_STATES and initiative.state not in COUNCIL_STATES:
        if authors is None:
            authors = InitiativeAuthor.objects.filter(initiative_id=initiative.pk, user__isnull=False).values_list(
                "user_id", "consent"
            )
        authors = list(authors)
    else:
        authors = []
    rows = _rows(initiative, authors)
    table = OpenTask._meta.db_table
    if connection.vendor == "postgresql" and not rows:  # nothing owed: the delete travels with the next statement
        sqlbatch.execute(f"DELETE FROM {table} WHERE initiative_id = %s", [initiative.pk])
        return
    if connection.vendor != "postgresql":
        OpenTask.objects.filter(initiative_id=initiative.pk).delete()
        if rows:
            OpenTask.objects.bulk_create(rows)
        return
    adapt = connection.ops.adapt_datetimefield_value
    params = [initiative.pk]
    for r in rows:
        params += [r.initiative_id, r.kind, r.user_id, r.council_id, r.organisation_id, adapt(r.due_at)]
    values = ", ".join(["(%s, %s, %s::bigint, %s::bigint, %s, %s::timestamptz)"] * len(rows))
    sqlbatch.execute(  # no unique key: the insert never meets the rows it replaces
        f"WITH gone AS (DELETE FROM {table} WHERE initiative_id = %s) "
        f"INSERT INTO {table} (initiative_id, kind, user_id, council_id, organisation_id, due_at) VALUES {values}",
        params,
    )


def tasks_sync_many(initiative_ids) -> None:
    """``tasks_sync`` for many dossiers at once (the register import)."""
    ids = list(initiative_ids)
    if not ids:
        return
    OpenTask.objects.filter(initiative_id__in=ids).delete()
    authors = {}
    for initiative_id, user_id, consent in InitiativeAuthor.objects.filter(
        initiative_id__in=ids, user__isnull=False
    ).values_list("initiative_id", "user_id", "consent"):
        authors.setdefault(initiative_id, []).append((user_id, consent))
    initiatives = list(Initiative.objects.filter(pk__in=ids).select_related("organisation", "council"))
    teams = _advisory_teams_of(
        {i.organisation_id: i.organisation for i in initiatives if i.state == State.ADVISORY_REVIEW}
    )
    rows = []
    for initiative in initiatives:
        rows += _rows(initiative, authors.get(initiative.pk, []), teams)
    bulk_insert(OpenTask, rows, batch_size=2000)


def _advisory_teams_of(organisations: dict) -> dict[int, int | None]:
    """{organisation id: the advisory team that serves it} for ``organisations`` ({id: Organisation}),
    as ``councils.selectors.advisory_team_for`` answers each, in one query."""
    if not organisations:
        return {}
    paths = {p for org in organisations.values() for p in org.ancestor_paths(include_self=True)}
    team_at = {}
    for path, pk in Council.objects.filter(kind=CouncilKind.ADVISORY, organisation__path__in=paths).values_list(
        "organisation__path", "pk"
    ):
        team_at[path] = pk  # as ``nearest_council``: the last one read for a path stands
    out = {}
    for pk, org in organisations.items():
        out[pk] = next((team_at[p] for p in reversed(org.ancestor_paths(include_self=True)) if p in team_at), None)
    return out


def _advisory_teams() -> dict[int, int]:
    """organisation id → the advisory team that serves it (its own, else the nearest ancestor's)."""
    orgs = list(Organisation.objects.values_list("pk", "path"))
    team_at = dict(
        Council.objects.filter(kind=CouncilKind.ADVISORY).order_by("-pk").values_list("organisation__path", "pk")
    )
    steplen = Organisation.steplen
    served = {}
    for pk, path in orgs:
        for end in range(len(path), 0, -steplen):
            team = team_at.get(path[:end])
            if team:
                served[pk] = team
                break
    return served


def tasks_rebuild(connection=None) -> int:
    """Empty the table and fill it from every dossier (set-based SQL; PostgreSQL and SQLite)."""
    from django.db import connection as default

    connection = connection or default
    t, i, a = OpenTask._meta.db_table, Initiative._meta.db_table, InitiativeAuthor._meta.db_table
    cols = f"INSERT INTO {t} (initiative_id, kind, user_id, council_id, organisation_id, due_at)"
    council_states = sorted(COUNCIL_STATES)
    open_states = sorted({s for s in State.values} - set(TERMINAL_STATES) - set(COUNCIL_STATES))
    marks = ", ".join(["%s"] * len(council_states))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {t}")
        cursor.execute(
            f"""{cols} SELECT DISTINCT a.initiative_id, %s, a.user_id, CAST(NULL AS bigint), i.organisation_id, i.due_at
                FROM {a} a JOIN {i} i ON i.id = a.initiative_id
                WHERE i.state = %s AND a.user_id IS NOT NULL AND a.consent <> %s""",
            [TaskKind.SUBMIT, State.DRAFT, Consent.DECLINED],
        )
        cursor.execute(
            f"""{cols} SELECT DISTINCT a.initiative_id, %s, a.user_id, CAST(NULL AS bigint), i.organisation_id, i.due_at
                FROM {a} a JOIN {i} i ON i.id = a.initiative_id
                WHERE i.state IN ({", ".join(["%s"] * len(open_states))}) AND a.user_id IS NOT NULL
                  AND a.consent = %s""",
            [TaskKind.CONFIRM, *open_states, Consent.PENDING],
        )
        for kind in (TaskKind.VOTE, TaskKind.CLOSE):
            cursor.execute(
                f"""{cols} SELECT id, %s, CAST(NULL AS bigint), council_id, organisation_id, due_at FROM {i}
                    WHERE state IN ({marks}) AND council_id IS NOT NULL""",
                [kind, *council_states],
            )
        by_team = {}
        for org, team in _advisory_teams().items():
            by_team.setdefault(team, []).append(org)
        for team, orgs in by_team.items():
            for start in range(0, len(orgs), 500):
                part = orgs[start : start + 500]
                cursor.execute(
                    f"""{cols} SELECT id, %s, CAST(NULL AS bigint), %s, organisation_id, due_at FROM {i}
                        WHERE state = %s AND organisation_id IN ({", ".join(["%s"] * len(part))})""",
                    [TaskKind.ADVISE, team, State.ADVISORY_REVIEW, *part],
                )
        cursor.execute(f"SELECT count(*) FROM {t}")
        return cursor.fetchone()[0]

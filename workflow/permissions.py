"""Who may take each step, asked of the object itself (this council, this organisation).

The flow's transitions name these predicates, and the actions call them before changing
anything: viewflow does not check permissions when a transition is called."""

from initiatives.models import Consent, Initiative
from initiatives.selectors import is_author


def _asked(flow, user, question, answer):
    """Ask each question once per flow object and person: listing the available actions asks
    "is an author?" and "is an adviser?" for several transitions of the same dossier. The flow
    object lives for one request or one action, so the answer cannot go stale."""
    memo = flow.__dict__.setdefault("_answers", {})
    key = (user.pk, question)
    if key not in memo:
        memo[key] = answer()
    return memo[key]


def council_perms(user, council) -> frozenset:
    """The codenames ``user`` holds on ``council`` — what guardian's ``has_perm`` answers, its user
    and group object permissions alike (an inactive user none, a superuser every one) — in ONE
    query where guardian's checker asks two per ``has_perm``. Callers keep the answer for the
    duration of one action or request (``_council_perm``), never across them."""
    query = council_perms_query(user, council)
    if not isinstance(query, frozenset):
        query = frozenset(c for (c,) in query)
    return query


def council_perms_query(user, council):
    """``council_perms``' answer where it needs no query (no council, an inactive user, a
    superuser), else its query: a ``values_list`` of codenames, to run alone or with others
    (``config.sqlbatch.fetch_together``)."""
    known = council_perms_without_query(user, council)
    if known is not None:
        return known
    return council_perms_of(user.pk, council.pk, council_content_type_id())


def council_perms_without_query(user, council) -> frozenset | None:
    """``council_perms``' answer where it needs no query, else None (the caller runs
    ``council_perms_of``, e.g. compiled once: building the queryset is most of its cost)."""
    if council is None or not user.is_active or not user.is_authenticated:
        return frozenset()
    if user.is_superuser:
        return frozenset(("vote", "close_session", "advise"))
    return None


def council_content_type_id() -> int:
    from django.contrib.contenttypes.models import ContentType

    from councils.models import Council

    return ContentType.objects.get_for_model(Council).pk  # cached by Django after the first


def council_perms_of(user_id: int, council_id: int, content_type_id: int):
    """The query of ``council_perms``: the codenames a user holds on a council, their own and
    their groups' (by ids: ``config.sqlbatch.Prepared`` compiles it once)."""
    from guardian.models import GroupObjectPermission

    from councils.models import CouncilPermission

    own = CouncilPermission.objects.filter(user_id=user_id, content_object_id=council_id).values_list(
        "permission__codename"
    )
    groups = GroupObjectPermission.objects.filter(
        group__user__id=user_id,
        content_type_id=content_type_id,
        object_pk=str(council_id),
    ).values_list("permission__codename")
    return own.union(groups)


def council_perms_known(flow, user, council, held) -> None:
    """Record ``held`` (what ``council_perms`` answers, read by the caller along with other rows)
    as ``user``'s codenames on ``council`` for this flow object."""
    flow.__dict__.setdefault("_answers", {})[(user.pk, ("council", council.pk))] = frozenset(held)


def author_consents_known(flow, consents: dict) -> None:
    """Record the authors' consents (``author_consents``' answer, read by the caller)."""
    flow.__dict__["_consents"] = dict(consents)


def _council_perm(flow, user, codename: str, council) -> bool:
    """``codename`` on ``council``, its holder's codenames read once per flow object and person."""
    held = _asked(flow, user, ("council", council.pk), lambda: council_perms(user, council))
    return codename in held


def author_consents(flow) -> dict:
    """{user id: consent} of the dossier's authors with an account, read once per flow object (the
    author question, the declined-co-author check and the authorship answers all use it)."""
    if "_consents" not in flow.__dict__:
        flow.__dict__["_consents"] = dict(flow.initiative.authors.exclude(user=None).values_list("user_id", "consent"))
    return flow.__dict__["_consents"]


def _is_author(flow, user) -> bool:
    """Listed and not declined (``initiatives.selectors.is_acting_author``): an author's powers.
    Recusal asks ``recused`` instead."""
    consent = author_consents(flow).get(user.pk)
    return consent is not None and consent != Consent.DECLINED


def author_ids(flow) -> set:
    """The user ids of every listed author, declined or not (recusal counts them all)."""
    return set(author_consents(flow))


def recused(flow, user) -> bool:
    """The one recusal rule: everyone listed among the dossier's authors with an account, whatever
    they answered (pending, confirmed or declined), is recused from its councils' vote, close and
    restart. A declined co-author stays recused: otherwise a chair could decline, void the round
    with a restart, and confirm again. The vote, the close, the restart, the seating
    (``workflow.seating``), the available actions, the inbox and the session's progress all ask
    this — or, where they read many dossiers at once, the same set of listed author ids."""
    return user.pk in author_ids(flow)


def _is_adviser(flow, user) -> bool:
    def ask():
        from councils.selectors import advisory_team_for

        team = advisory_team_for(organisation=flow.initiative.organisation)
        return team is not None and _council_perm(flow, user, "advise", team)

    return _asked(flow, user, "adviser", ask)


def can_submit(flow, user) -> bool:
    """An author, an advisory-team member or an officer of the unit."""
    i: Initiative = flow.initiative
    return _is_author(flow, user) or _is_adviser(flow, user) or user.has_perm("councils.act_as_officer", i.organisation)


def can_advise(flow, user) -> bool:
    """A member of the unit's advisory team (or the nearest ancestor's, where it has none)."""
    return _is_adviser(flow, user)


def can_withdraw(flow, user) -> bool:
    return _is_author(flow, user)


def can_close(flow, user) -> bool:
    """The chair or the secretary of the council the dossier is before, unless an author of it
    (a recused chair's session is closed, or restarted, by the secretary)."""
    return may_close_council(flow, user) and not recused(flow, user)


def is_recused_closer(flow, user) -> bool:
    """The chair or secretary of the council the dossier is before, who is also its author."""
    return may_close_council(flow, user) and recused(flow, user)


def may_close_council(flow, user) -> bool:
    """The chair or the secretary of the council the dossier is before, recused or not."""
    council = flow.initiative.council
    return council is not None and _council_perm(flow, user, "close_session", council)


def is_member(*, user, initiative: Initiative, flow=None) -> bool:
    """A member of the council the dossier is before (with ``flow``, asked once per flow object)."""
    council = initiative.council
    if council is None:
        return False
    if flow is not None:
        return _council_perm(flow, user, "vote", council)
    return "vote" in council_perms(user, council)


def is_recused(*, user, initiative: Initiative) -> bool:
    """``recused`` without a flow object: listed among the authors, whatever they answered."""
    return is_author(user=user, initiative=initiative)

"""Reads about awards: quotas and their use, certificates, commendation candidates, eligibility
and the remuneration owed to authors."""

import datetime
import math
from collections.abc import Iterable, Mapping
from decimal import Decimal

from django.conf import settings
from django.db.models import Q, QuerySet, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from councils.models import CouncilKind, Level, MemberRole, Membership, Organisation, Role
from councils.selectors import subtree_q, user_role_paths
from initiatives.models import Initiative, Programme, State
from initiatives.rules import counted_benefit
from initiatives.selectors import can_see_confidential, confidential_hidden_ids

from .eligibility import author_category, category_label
from .models import Award, Budget, Certificate, EligibilityRule, Nomination, Quota

# states in which a recognised initiative no longer counts for an award
DEAD_STATES = (State.REJECTED, State.WITHDRAWN)


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def month_end(day: datetime.date) -> datetime.date:
    first = month_start(day)
    return (first + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)


def programme_at(day: datetime.date) -> Programme | None:
    return Programme.objects.filter(starts__lte=day, ends__gte=day).order_by("-starts").first()


def programme_for_month(month: datetime.date) -> Programme | None:
    """The programme running in (some part of) the month starting on ``month``."""
    return (
        Programme.objects.filter(starts__lte=month_end(month), ends__gte=month_start(month)).order_by("-starts").first()
    )


def _programme_of(*, initiative: Initiative | None, on: datetime.date | None) -> Programme | None:
    if initiative is not None and initiative.programme_id:
        return initiative.programme
    return programme_at(on or timezone.localdate())


def applicable_quotas(
    *, organisation: Organisation, award: str, programme: Programme | None, kind: str | None = None, lock: bool = False
) -> list[Quota]:
    """Every quota of ``award`` in ``programme`` on ``organisation`` or above it, nearest first.
    ``lock``: their rows locked (in id order, as everywhere) by the same read, inside the caller's
    transaction — what a writer then reads of them (cap, amount) is what it holds."""
    if programme is None:
        return []
    paths = organisation.ancestor_paths(include_self=True)
    qs = Quota.objects.filter(programme=programme, award=award, organisation__path__in=paths).select_related(
        "organisation", "programme"
    )
    if kind:
        qs = qs.filter(kind=kind)
    if lock:
        qs = qs.select_for_update(of=("self",)).order_by("pk")
    preferred_per = Quota.Per.MONTH if award == Award.MONTHLY_COMMENDATION else Quota.Per.PROGRAMME
    return sorted(qs, key=lambda q: (-len(q.organisation.path), q.per != preferred_per))


def quota_for(
    *, initiative: Initiative | None = None, award: str, on: datetime.date | None = None, organisation=None
) -> Quota | None:
    """The quota of the nearest organisation at or above the initiative's (or ``organisation``)
    for ``award``, in the initiative's programme (or the programme running at ``on``)."""
    org = organisation or initiative.organisation
    quotas = applicable_quotas(organisation=org, award=award, programme=_programme_of(initiative=initiative, on=on))
    return quotas[0] if quotas else None


def quota_scope(*, quota: Quota, on: datetime.date | None = None) -> QuerySet:
    """The standing (non-revoked) awards that count against ``quota``: its award, its programme,
    its organisation's subtree, and for a monthly quota the calendar month of ``on``."""
    qs = Certificate.objects.filter(
        award=quota.award,
        programme_id=quota.programme_id,
        initiative__organisation__path__startswith=quota.organisation.path,
        revoked_at__isnull=True,
    )
    if quota.per == Quota.Per.MONTH:
        qs = qs.filter(period_month=month_start(on or timezone.localdate()))
    return qs


def quota_usage(*, quota: Quota, on: datetime.date | None = None) -> dict:
    used = quota_scope(quota=quota, on=on).count()
    return {"cap": quota.cap, "used": used, "remaining": max(quota.cap - used, 0)}


def quota_period(*, quota: Quota, on: datetime.date | None = None) -> str:
    if quota.per == Quota.Per.MONTH:
        return f"{month_start(on or timezone.localdate()):%Y-%m}"
    return quota.programme.code


def quota_board(*, quotas=None, on: datetime.date | None = None) -> list[dict]:
    """One row per quota with its use (the ``/quotas/`` list and the HTML board)."""
    quotas = quotas if quotas is not None else Quota.objects.all()
    rows = []
    for q in quotas.select_related("organisation", "programme").order_by(
        "programme__code", "organisation__path", "award"
    ):
        usage = quota_usage(quota=q, on=on)
        percent = min(100, round(100 * usage["used"] / q.cap)) if q.cap else 100
        rows.append(
            {
                "quota": q,
                "award": q.award,
                "award_display": q.get_award_display(),
                "organisation": q.organisation.code,
                "organisation_name": q.organisation.name,
                "period": quota_period(quota=q, on=on),
                "kind": q.kind,
                "percent": percent,
                "amount_vnd": q.amount_vnd,
                **usage,
                **quota_reading(quota=q, used=usage["used"]),
            }
        )
    return rows


def quota_reading(*, quota: Quota, used: int) -> dict:
    """How a quota reads: a cap as used and remaining (``reading`` "used_remaining"); a target
    ("at least") as progress toward the goal (``reading`` "progress"), where going past it is
    celebrated: ``progress_percent`` may pass 100, ``to_goal`` is what is still missing."""
    if quota.kind == Quota.Kind.TARGET:
        progress = round(100 * used / quota.cap) if quota.cap else 100
        return {
            "reading": "progress",
            "progress_percent": progress,
            "to_goal": max(quota.cap - used, 0),
            "reached": used >= quota.cap,
            "over_by": max(used - quota.cap, 0),
        }
    return {
        "reading": "used_remaining",
        "progress_percent": round(100 * used / quota.cap) if quota.cap else 100,
        "to_goal": None,
        "reached": used >= quota.cap,
        "over_by": 0,
    }


# ---- certificates ---------------------------------------------------------------------------


def verify_url(serial: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("awards:verify", kwargs={"serial": serial})


def pdf_url(serial: str) -> str:
    return reverse("awards:certificate-pdf", kwargs={"serial": serial})


def awards_for(*, initiative: Initiative) -> list[dict]:
    """The awards of one initiative, for its detail's ``awards`` field (public: shown even for
    confidential initiatives)."""
    return [
        {
            "serial": c.serial,
            "award": c.award,
            "issued_at": c.issued_at,
            "revoked": c.revoked,
            "verify_url": verify_url(c.serial),
        }
        for c in Certificate.objects.filter(initiative=initiative).order_by("issued_at", "id")
    ]


def certificate_visible_q(*, user) -> Q:
    """Authors of the initiative; officers, auditors and admins over its organisation; members
    of the awarding council."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    q = Q(initiative__authors__user=user) | Q(council__memberships__user=user)
    paths = user_role_paths(user=user, roles=(Role.OFFICER, Role.AUDITOR, Role.ADMIN))
    if paths:
        q |= subtree_q(paths, field="initiative__organisation__path")
    return q


def certificate_list(*, user) -> QuerySet:
    ids = Certificate.objects.filter(certificate_visible_q(user=user)).values("pk")
    return Certificate.objects.filter(pk__in=ids).select_related("initiative", "organisation", "council")


def certificate_get_visible(*, user, serial: str) -> Certificate:
    """The certificate if ``user`` may see it; ``Certificate.DoesNotExist`` otherwise (→ 404)."""
    return certificate_list(user=user).get(serial=serial)


# ---- monthly commendations ------------------------------------------------------------------


def can_commend(*, user, organisation: Organisation) -> bool:
    """The sector award committee: an officer of the organisation, or a member of a sector
    council of that organisation."""
    if not user.is_authenticated:
        return False
    if user.has_perm("councils.act_as_officer", organisation):
        return True
    return Membership.objects.filter(
        user=user, council__organisation=organisation, council__kind=CouncilKind.SECTOR
    ).exists()


def commendation_committee_of(
    *, organisation: Organisation, programme: Programme | None, quotas: list[Quota] | None = None
) -> list[Organisation]:
    """The organisations whose award committee decides monthly commendations under
    ``organisation``: the owners of the monthly-commendation quotas that apply there (nearest
    first), or the organisation itself where no quota applies. ``quotas``: those quotas, when the
    caller has read them already (``applicable_quotas``)."""
    if quotas is None:
        quotas = applicable_quotas(organisation=organisation, award=Award.MONTHLY_COMMENDATION, programme=programme)
    owners = list({q.organisation.pk: q.organisation for q in quotas}.values())
    return owners or [organisation]


def may_select_commendations(
    *, user, organisation: Organisation, programme: Programme | None, quotas: list[Quota] | None = None
) -> bool:
    """Whether ``user`` may commend initiatives under ``organisation``: on the award committee
    (``can_commend``) of every organisation that owns a quota the selection would use — so a
    unit's officer never spends the sector's five. ``quotas``: as ``commendation_committee_of``."""
    return all(
        can_commend(user=user, organisation=owner)
        for owner in commendation_committee_of(organisation=organisation, programme=programme, quotas=quotas)
    )


def commendable_organisations(*, user, month: datetime.date | None = None) -> list[Organisation]:
    """Organisations on which ``user`` may select monthly commendations (for the HTML page)."""
    if not user.is_authenticated:
        return []
    pks = set(
        Membership.objects.filter(user=user, council__kind=CouncilKind.SECTOR).values_list(
            "council__organisation_id", flat=True
        )
    )
    pks |= set(
        user.role_assignments.filter(role__in=(Role.OFFICER, Role.ADMIN)).values_list("organisation_id", flat=True)
    )
    programme = programme_for_month(month or timezone.localdate())
    return [
        org
        for org in Organisation.objects.filter(pk__in=pks).order_by("path")
        if may_select_commendations(user=user, organisation=org, programme=programme)
    ]


def is_recognised(initiative: Initiative) -> bool:
    return initiative.recognised_at is not None and initiative.state not in DEAD_STATES


def recognised_in(*, organisation: Organisation) -> QuerySet:
    return (
        Initiative.objects.filter(organisation__path__startswith=organisation.path, recognised_at__isnull=False)
        .exclude(state__in=DEAD_STATES)
        .select_related("organisation")
    )


def commended_ids(*, initiative_ids=None) -> set[int]:
    qs = Certificate.objects.filter(award=Award.MONTHLY_COMMENDATION, revoked_at__isnull=True)
    if initiative_ids is not None:
        qs = qs.filter(initiative_id__in=list(initiative_ids))
    return set(qs.values_list("initiative_id", flat=True))


def monthly_selection(*, organisation: Organisation, month: datetime.date) -> QuerySet:
    """The standing commendations of ``month`` for initiatives under ``organisation``."""
    return (
        Certificate.objects.filter(
            award=Award.MONTHLY_COMMENDATION,
            period_month=month_start(month),
            initiative__organisation__path__startswith=organisation.path,
            revoked_at__isnull=True,
        )
        .select_related("initiative", "initiative__organisation", "issued_by")
        .order_by("issued_at", "id")
    )


def recognised_before(month: datetime.date) -> datetime.datetime:
    """The first instant after ``month`` (local time): a commendation for a month goes to an
    initiative recognised by the end of that month."""
    end = month_end(month) + datetime.timedelta(days=1)
    return datetime.datetime(end.year, end.month, end.day, tzinfo=timezone.get_current_timezone())


def rank_candidates(
    *, candidates: Iterable[Initiative], scores: Mapping[int, float] | None = None, user=None
) -> list[dict]:
    """Order candidates for a commendation, best first.

    ``scores`` maps initiative id → average council score (0–100); the lifecycle may supply it
    once votes carry scores. Ranking: score (those without one after those with one), then the
    benefit value, then the most recently recognised.

    With ``user``: a confidential candidate whose content ``user`` may not see has no benefit in
    the row (``None``, ``"hidden": True``) and ranks as if its benefit were unknown — after every
    candidate with the same score — so its place says nothing about its benefit either. Its council
    score is not shown either (the minutes are hidden from such a reader); it still ranks by it, so
    a confidential dossier is not pushed below every scored one."""
    scores = scores or {}
    candidates = list(candidates)
    hidden_ids = confidential_hidden_ids(user=user, initiatives=candidates) if user is not None else set()
    rows = []
    for i in candidates:
        score = scores.get(i.pk)
        recognised = i.recognised_at.timestamp() if i.recognised_at else 0
        hidden = i.pk in hidden_ids
        rows.append(
            {
                "initiative": i,
                "id": i.pk,
                "reference": i.reference,
                "title": i.title,
                "organisation": i.organisation.code,
                "benefit_value_vnd": None if hidden else i.counted_benefit_vnd,
                "hidden": hidden,
                "recognised_at": i.recognised_at,
                "score": None if hidden else score,
                "_key": (score is not None, score or 0, -1 if hidden else i.counted_benefit_vnd, recognised),
            }
        )
    rows.sort(key=lambda r: r["_key"], reverse=True)
    for r in rows:
        del r["_key"]
    return rows


def monthly_suggestions(
    *,
    organisation: Organisation,
    month: datetime.date,
    scores: Mapping[int, float] | None = None,
    limit: int = 50,
    user=None,
    nominations: Mapping[int, list[str]] | None = None,
) -> list[dict]:
    """Recognised initiatives under ``organisation`` (recognised by the end of ``month``), not yet
    commended, ranked by ``rank_candidates``; with ``nominations`` (initiative id → proposing
    unions, ``nominated_to``) the nominated ones come first, each row saying who proposed it."""
    qs = recognised_in(organisation=organisation).filter(recognised_at__lt=recognised_before(month))
    qs = qs.exclude(
        pk__in=Certificate.objects.filter(award=Award.MONTHLY_COMMENDATION, revoked_at__isnull=True).values(
            "initiative_id"
        )
    )
    # rank in the database first (benefit, recency), so a sector with 100,000 recognised dossiers
    # never streams them all into Python; council scores then reorder the best thousand
    qs = qs.select_related("organisation").annotate(_benefit=counted_benefit()).order_by("-_benefit", "-recognised_at")
    best = _best_recognised_ids(organisation=organisation, before=recognised_before(month), limit=1000)
    if best is None:
        qs = list(qs[:1000])
    else:  # the same rows, found unit by unit, in the same order
        qs = list(qs.filter(pk__in=best))
    nominations = nominations or {}
    missing = set(nominations) - {i.pk for i in qs}
    if missing:  # nominated ones always come, even past the thousand
        qs += list(
            recognised_in(organisation=organisation)
            .filter(pk__in=missing, recognised_at__lt=recognised_before(month))
            .exclude(pk__in=commended_ids(initiative_ids=missing))
        )
    if scores is None and score_provider is not None:
        scores = score_provider([i.pk for i in qs])
    rows = rank_candidates(candidates=qs, scores=scores, user=user)
    for r in rows:
        r["nominated_by"] = nominations.get(r["id"], [])
        r["nominated"] = bool(r["nominated_by"])
    rows.sort(key=lambda r: not r["nominated"])  # stable: the ranking holds within each group
    return rows[:limit]


# a subtree of at most this many organisations finds its best recognised dossiers unit by unit
BEST_BY_UNIT_MAX_ORGANISATIONS = 200


def _best_recognised_ids(*, organisation: Organisation, before, limit: int) -> list[int] | None:
    """The ids of ``monthly_suggestions``' first ``limit`` candidates (recognised before
    ``before``, not rejected or withdrawn, not commended), on PostgreSQL and for a subtree of a
    few organisations (a corporation): each organisation's best ``limit`` from its own range of the
    index ``initiative_org_benefit_rank`` (in the committee's order), then the best of those. The
    whole-tree index (``initiative_benefit_rank``) serves a large subtree (a sector: its dossiers
    are most of that index) and reads every dossier of the subtree for a small one. None: use the
    plain query."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    org_table, ini, cert = Organisation._meta.db_table, Initiative._meta.db_table, Certificate._meta.db_table
    like = organisation.path + "%"
    if Organisation.objects.filter(path__startswith=organisation.path).count() > BEST_BY_UNIT_MAX_ORGANISATIONS:
        return None
    sql = f"""
        SELECT best.id FROM {org_table} o CROSS JOIN LATERAL (
            SELECT i.id, COALESCE(i.assessed_benefit_vnd, i.benefit_value_vnd) AS benefit, i.recognised_at
            FROM {ini} i
            WHERE i.organisation_id = o.id AND i.recognised_at IS NOT NULL AND i.recognised_at < %s
              AND i.state NOT IN ({", ".join(["%s"] * len(DEAD_STATES))})
              AND NOT EXISTS (
                  SELECT 1 FROM {cert} c
                  WHERE c.initiative_id = i.id AND c.award = %s AND c.revoked_at IS NULL
              )
            ORDER BY COALESCE(i.assessed_benefit_vnd, i.benefit_value_vnd) DESC, i.recognised_at DESC
            LIMIT %s
        ) best
        WHERE o.path LIKE %s
        ORDER BY best.benefit DESC, best.recognised_at DESC
        LIMIT %s
    """
    params = [before, *DEAD_STATES, Award.MONTHLY_COMMENDATION, limit, like, limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


# The lifecycle (a room above) registers how to read council scores: awards never imports it.
score_provider = None


def register_score_provider(provider) -> None:
    """``provider(initiative_ids) -> {initiative_id: average council score}``."""
    global score_provider
    score_provider = provider


# ---- eligibility and remuneration -------------------------------------------------------------


def _years_applied(initiative: Initiative, today: datetime.date) -> int:
    if not initiative.applied_since:
        return 0
    d = initiative.applied_since
    years = today.year - d.year - ((today.month, today.day) < (d.month, d.day))
    return max(years, 0)


def _vnd(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _authors_with_users(initiative: Initiative) -> list:
    """The initiative's authors with their accounts: the prefetched ones when a page of
    candidates fetched them together (``prefetch_authors``), else one query."""
    if "authors" in getattr(initiative, "_prefetched_objects_cache", {}):
        return list(initiative.authors.all())
    return list(initiative.authors.select_related("user"))


def prefetch_authors(initiatives) -> None:
    """Fetch the authors (with their accounts) of many initiatives in one query, for
    ``eligibility_for`` and ``remuneration_hint`` on each."""
    from django.db.models import Prefetch, prefetch_related_objects

    from initiatives.models import InitiativeAuthor

    prefetch_related_objects(
        list(initiatives), Prefetch("authors", queryset=InitiativeAuthor.objects.select_related("user"))
    )


def eligibility_rules(award: str | None = None) -> list:
    rules = EligibilityRule.objects.filter(active=True)
    if award:
        rules = rules.filter(award=award)
    return list(rules)


def eligibility_for(
    *, initiative: Initiative, award: str | None = None, today: datetime.date | None = None, rules=None
) -> list:
    """For each author and each active rule: is the threshold met, and if not, why (bilingual).

    The benefit compared is the initiative's annual benefit value as a council assessed it
    (``assessed_benefit_vnd``), or the declared one while no council has; a rule over N years
    (``years`` > 1) compares N × the annual value and needs the initiative applied for N full
    years (an estimate: the dossier declares only the first year's value)."""
    today = today or timezone.localdate()
    rules = eligibility_rules(award) if rules is None else rules  # ``rules``: the caller read them once
    value = initiative.counted_benefit_vnd
    years_applied = _years_applied(initiative, today)
    out = []
    for author in _authors_with_users(initiative):
        user = author.user
        category = author_category(
            qualification=getattr(user, "qualification", "") or "", position=getattr(user, "position", "") or ""
        )
        results = []
        for rule in rules:
            total = value * rule.years
            values = {
                "total": _vnd(total),
                "minimum": _vnd(rule.min_benefit_vnd),
                "years": rule.years,
                "applied": years_applied,
                "group": category_label(category) if category else "",
            }
            if category is None:
                met, reason = False, _("Chưa khai trình độ, chức vụ nên chưa xác định được tiêu chí")
            elif category != rule.applies_to:
                met, reason = False, _("Không áp dụng: tác giả thuộc nhóm %(group)s") % values
            elif total < rule.min_benefit_vnd:
                if rule.years > 1:
                    reason = _("Giá trị làm lợi %(total)s đồng trong %(years)s năm chưa đạt %(minimum)s đồng") % values
                else:
                    reason = _("Giá trị làm lợi %(total)s đồng chưa đạt %(minimum)s đồng") % values
                met = False
            elif rule.years > 1 and years_applied < rule.years:
                met, reason = False, _("Mới áp dụng %(applied)s năm, cần %(years)s năm liên tục") % values
            else:
                met, reason = True, _("Đạt: giá trị làm lợi %(total)s đồng ≥ %(minimum)s đồng") % values
            results.append(
                {
                    "rule_id": rule.pk,
                    "rule": rule.name,
                    "award": rule.award,
                    "min_benefit_vnd": rule.min_benefit_vnd,
                    "years": rule.years,
                    "applies_to": rule.applies_to,
                    "met": met,
                    "reason": reason,
                }
            )
        out.append(
            {
                "full_name": author.full_name,
                "username": user.username if user else None,
                "category": category,
                "eligible": any(r["met"] for r in results),
                "rules": results,
            }
        )
    return out


REMUNERATION_PERCENT = Decimal(7)
REMUNERATION_YEARS = 3


def remuneration_hint(*, initiative: Initiative, authors=None) -> dict:
    """The minimum owed to the authors under Decree 13/2012 (art. 10) where no agreement says
    otherwise: 7 % of the annual benefit for each of the first 3 years, split by share, rounded
    up to whole VND so nobody is owed less than the minimum. The benefit is the council's assessed
    value once there is one, else the declared value (``basis`` says which). ``authors``: the
    dossier's authors (with their users) when the caller has read them already."""
    value = Decimal(initiative.counted_benefit_vnd)
    listed = _authors_with_users(initiative) if authors is None else authors  # the page's, read already
    authors = []
    for a in listed:
        per_year = math.ceil(value * REMUNERATION_PERCENT * a.share_percent / Decimal(10000))
        authors.append(
            {
                "full_name": a.full_name,
                "username": a.user.username if a.user else None,
                "share_percent": float(a.share_percent),
                "per_year_vnd": per_year,
                "years": REMUNERATION_YEARS,
                "total_vnd": per_year * REMUNERATION_YEARS,
            }
        )
    per_year_total = math.ceil(value * REMUNERATION_PERCENT / 100)
    return {
        "basis": "assessed" if initiative.assessed_benefit_vnd is not None else "declared",
        "benefit_vnd": int(value),
        "percent": float(REMUNERATION_PERCENT),
        "years": REMUNERATION_YEARS,
        "per_year_vnd": per_year_total,
        "total_vnd": per_year_total * REMUNERATION_YEARS,
        "authors": authors,
    }


def awarding_body(certificate: Certificate) -> Organisation:
    """In whose name the document is issued: the federation for its Bằng Lao động sáng tạo (the
    quota it counts against may belong to a sector union), otherwise the awarding organisation."""
    if certificate.award != Award.FEDERATION_CERTIFICATE:
        return certificate.organisation
    council = certificate.council
    if council is not None and council.organisation.level == Level.FEDERATION:
        return council.organisation
    federation = certificate.organisation.get_ancestors().filter(level=Level.FEDERATION).last()
    return federation or certificate.organisation


def certificate_signatory(certificate: Certificate) -> str:
    """Who signs the document: the chair of the awarding body's deciding council (the council that
    decided, when it sits in that body); "" to sign by hand when it has none."""
    body = awarding_body(certificate)
    council = certificate.council if certificate.council and certificate.council.organisation_id == body.pk else None
    chairs = Membership.objects.filter(role=MemberRole.CHAIR).select_related("user")
    chair = (
        chairs.filter(council=council).first()
        if council
        else chairs.filter(council__organisation=body).exclude(council__kind=CouncilKind.ADVISORY).first()
    )
    return (chair.user.full_name or chair.user.username) if chair else ""


def may_revoke(*, user, certificate: Certificate) -> bool:
    """Who may revoke: the chair or secretary of the council that awarded it; for an award without
    a council (a monthly commendation), an officer of the awarding organisation."""
    if not user.is_authenticated:
        return False
    if certificate.council_id:
        return user.has_perm("councils.close_session", certificate.council)
    return user.has_perm("councils.act_as_officer", certificate.organisation)


def revocable_certificates(*, user, limit: int = 50) -> list[Certificate]:
    """Standing certificates ``user`` may revoke, newest first (at most ``limit``)."""
    if not user.is_authenticated:
        return []
    closer_of = Membership.objects.filter(user=user, role__in=[MemberRole.CHAIR, MemberRole.SECRETARY]).values(
        "council_id"
    )
    q = Q(council_id__in=closer_of)
    officer_paths = user_role_paths(user=user, roles=[Role.OFFICER])
    if officer_paths:
        q |= Q(council=None) & subtree_q(officer_paths, "organisation__path")
    rows = (
        Certificate.objects.filter(q, revoked_at=None)
        .select_related("initiative", "organisation", "council")
        .order_by("-issued_at", "-id")[: limit * 2]
    )
    return [c for c in rows if may_revoke(user=user, certificate=c)][:limit]


# ---- award committees, nominations, budgets ---------------------------------------------------


# the councils that decide (not the advisory teams): their members sit on the award committee
DECIDING_KINDS = (CouncilKind.UNIT, CouncilKind.CORPORATION, CouncilKind.SECTOR, CouncilKind.FEDERATION)


def award_committee_member(*, user, organisation: Organisation) -> bool:
    """The award committee of ``organisation``: its officers (or officers above it), or a member of
    a deciding council of that organisation (unit, corporation, sector or federation council) — the same rule
    as ``can_commend``, which for a sector counts its sector council."""
    if not user.is_authenticated:
        return False
    if can_commend(user=user, organisation=organisation):
        return True
    return Membership.objects.filter(
        user=user,
        council__organisation=organisation,
        council__kind__in=DECIDING_KINDS,
    ).exists()


def oversees(*, user, organisation: Organisation) -> bool:
    """An officer, auditor or admin at or above ``organisation``."""
    paths = set(user_role_paths(user=user, roles=(Role.OFFICER, Role.AUDITOR, Role.ADMIN)))
    return bool(paths & set(organisation.ancestor_paths(include_self=True)))


def committee_organisations(*, user) -> list[Organisation]:
    """Organisations whose award committee ``user`` sits on (officer there, or a member of one of
    its deciding councils), for the pages' choice of organisation."""
    if not user.is_authenticated:
        return []
    pks = set(
        Membership.objects.filter(user=user, council__kind__in=DECIDING_KINDS).values_list(
            "council__organisation_id", flat=True
        )
    )
    pks |= set(
        user.role_assignments.filter(role__in=(Role.OFFICER, Role.ADMIN)).values_list("organisation_id", flat=True)
    )
    return [
        o
        for o in Organisation.objects.filter(pk__in=pks).order_by("path")
        if award_committee_member(user=user, organisation=o)
    ]


def may_see_nominations(*, user, organisation: Organisation) -> bool:
    return award_committee_member(user=user, organisation=organisation) or oversees(
        user=user, organisation=organisation
    )


def nominations_received(*, organisation: Organisation, month: datetime.date, user=None) -> list[dict]:
    """What reached ``organisation`` from below in ``month``, one row per initiative with every
    proposal (who, which union, comment, when), oldest proposal first. A confidential dossier whose
    content ``user`` may not see shows its title, reference and unit only (no benefit)."""
    month = month_start(month)
    rows: dict[int, dict] = {}
    qs = (
        Nomination.objects.filter(to_organisation=organisation, month=month)
        .select_related("initiative", "initiative__organisation", "from_organisation", "proposed_by")
        .order_by("proposed_at", "id")
    )
    passed = set(
        Nomination.objects.filter(from_organisation=organisation, month=month).values_list("initiative_id", flat=True)
    )
    commended = commended_ids(initiative_ids=list(qs.values_list("initiative_id", flat=True)))
    for n in qs:
        i = n.initiative
        if i.pk not in rows:
            hidden = user is not None and not can_see_confidential(user=user, initiative=i)
            rows[i.pk] = {
                "initiative": i,
                "id": i.pk,
                "reference": i.reference,
                "title": i.title,
                "organisation": i.organisation.code,
                "organisation_name": i.organisation.name,
                "benefit_value_vnd": None if hidden else i.benefit_value_vnd,
                "hidden": hidden,
                "passed_up": i.pk in passed,
                "commended": i.pk in commended,
                "proposals": [],
            }
        rows[i.pk]["proposals"].append(
            {
                "by": n.proposed_by.username,
                "by_name": n.proposed_by.get_full_name() or n.proposed_by.username,
                "organisation": n.from_organisation.code,
                "organisation_name": n.from_organisation.name,
                "comment": n.comment,
                "at": n.proposed_at,
            }
        )
    return list(rows.values())


def nominated_to(*, organisation: Organisation, month: datetime.date) -> dict[int, list[str]]:
    """initiative id → the codes of the unions that proposed it to ``organisation`` in ``month``."""
    out: dict[int, list[str]] = {}
    for iid, code in (
        Nomination.objects.filter(to_organisation=organisation, month=month_start(month))
        .order_by("proposed_at", "id")
        .values_list("initiative_id", "from_organisation__code")
    ):
        out.setdefault(iid, []).append(code)
    return out


def budget_of(*, organisation: Organisation, year: int) -> Budget | None:
    return Budget.objects.filter(organisation=organisation, year=year).first()


def budget_committed(*, budget: Budget) -> int:
    """The money committed from ``budget``: the amounts of its standing (non-revoked) awards."""
    total = Certificate.objects.filter(budget=budget, revoked_at__isnull=True).aggregate(s=Sum("amount_vnd"))["s"]
    return int(total or 0)


def may_see_budget(*, user, organisation: Organisation) -> bool:
    """Officers, auditors and admins at or above the organisation, and its award committee."""
    return award_committee_member(user=user, organisation=organisation) or oversees(
        user=user, organisation=organisation
    )


def budget_report(*, organisation: Organisation, year: int) -> dict:
    """The budget of ``organisation`` for ``year``: what it holds, what is committed, what remains,
    and each standing award that committed money (public fields only: serial, award, reference,
    title, amount, date)."""
    budget = budget_of(organisation=organisation, year=year)
    items = []
    committed = 0
    if budget is not None:
        for c in (
            Certificate.objects.filter(budget=budget, revoked_at__isnull=True)
            .select_related("initiative")
            .order_by("issued_at", "id")
        ):
            committed += c.amount_vnd
            items.append(
                {
                    "serial": c.serial,
                    "award": c.award,
                    "award_display": c.get_award_display(),
                    "initiative": c.initiative_id,
                    "reference": c.initiative.reference,
                    "title": c.title,
                    "amount_vnd": c.amount_vnd,
                    "issued_at": c.issued_at,
                }
            )
    amount = budget.amount_vnd if budget else 0
    return {
        "organisation": organisation.code,
        "organisation_name": organisation.name,
        "year": year,
        "configured": budget is not None,
        "budget_vnd": amount,
        "committed_vnd": committed,
        "remaining_vnd": amount - committed,
        "percent": min(100, round(100 * committed / amount)) if amount else 0,
        "items": items,
    }

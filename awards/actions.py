"""Writes about awards: issuing and revoking certificates, selecting monthly commendations.

Lock order everywhere (to avoid deadlocks): initiative rows (by id) → quota rows (by id) → budget
row → serial counter → audit head (``audit_record``). Callers that hold the audit head already (having
called ``audit_record`` before) should call ``certificate_issue`` first instead.
"""

import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.actions import audit_record, audit_record_many
from config import sqlbatch
from councils.models import Council, Organisation, Role, User
from councils.selectors import administers_above
from initiatives.exceptions import ApplicationError
from initiatives.models import Initiative, InitiativeAuthor
from initiatives.selectors import standing_duplicate_of
from notifications.outbox import outbox_enqueue

from .models import Award, Budget, Certificate, EligibilityRule, Nomination, Quota, SerialCounter
from .selectors import (
    applicable_quotas,
    award_committee_member,
    commendation_committee_of,
    is_recognised,
    may_select_commendations,
    month_end,
    month_start,
    programme_at,
    programme_for_month,
    quota_scope,
    recognised_before,
    verify_url,
)

SERIAL_PREFIX = {
    Award.SECTOR_CERTIFICATE: "CN-LDST",  # Chứng nhận Lao động sáng tạo
    Award.FEDERATION_CERTIFICATE: "B-LDST",  # Bằng Lao động sáng tạo
    Award.MONTHLY_COMMENDATION: "BD-SK",  # Biểu dương sáng kiến tiêu biểu
    Award.ADHOC_COMMENDATION: "KT-DX",  # Khen thưởng đột xuất
}
CERTIFICATE_AWARDS = (Award.SECTOR_CERTIFICATE, Award.FEDERATION_CERTIFICATE)
# how a quota message names each award: "chỉ còn 5 suất biểu dương"
AWARD_PLACES = {
    Award.MONTHLY_COMMENDATION: gettext_lazy("biểu dương"),
    Award.SECTOR_CERTIFICATE: gettext_lazy("Chứng nhận Lao động sáng tạo"),
    Award.FEDERATION_CERTIFICATE: gettext_lazy("Bằng Lao động sáng tạo"),
    Award.ADHOC_COMMENDATION: gettext_lazy("khen thưởng đột xuất"),
}


def _vnd(n: int) -> str:
    return f"{n:,}".replace(",", ".")


def _budget_reads(*, organisation: Organisation, year: int) -> list:
    """The reads of ``_budget_commit`` as ``_read_together`` parts: the budget row locked, then
    (after the lock, in the same round trip) the money its standing awards commit."""
    committed, params, _c = sqlbatch.compiled(
        Certificate.objects.filter(budget__organisation=organisation, budget__year=year, revoked_at__isnull=True)
        .order_by()
        .values_list("amount_vnd")
    )
    return [
        Budget.objects.select_for_update().filter(organisation=organisation, year=year).values_list("pk", "amount_vnd"),
        (f"SELECT COALESCE(SUM(committed.amount_vnd), 0) FROM ({committed}) committed", params),
    ]


def _budget_commit(*, organisation: Organisation, year: int, amount: int, read: list | None = None) -> Budget | None:
    """Lock the budget of ``organisation`` for ``year`` and check that ``amount`` more fits in it;
    the caller then creates the award row(s) carrying the amount and this budget, in the same
    transaction. Nothing to commit (amount 0): no budget needed. Raises 409 ``budget_exhausted``
    when the amount would overrun the budget, or when the organisation has no budget that year.
    ``read``: the rows of ``_budget_reads`` when the caller read them with its own (one round trip)."""
    if amount <= 0:
        return None
    if read is None:
        read = _read_together(_budget_reads(organisation=organisation, year=year))
    (row, *_none), ((committed,),) = read[0] or [None], read[1]
    values = {"organisation": organisation.name, "year": year, "amount": _vnd(amount)}
    if row is None:
        raise ApplicationError(
            _("%(organisation)s chưa có kinh phí khen thưởng năm %(year)s để chi %(amount)s VND") % values,
            code="budget_exhausted",
            extra={"organisation": organisation.code, "year": year, "budget_vnd": 0, "remaining_vnd": 0},
        )
    budget = Budget(id=row[0], organisation=organisation, year=year, amount_vnd=row[1])
    budget._state.adding, budget._state.db = False, Budget.objects.db
    remaining = budget.amount_vnd - int(committed or 0)
    if amount > remaining:
        raise ApplicationError(
            _(
                "Kinh phí khen thưởng năm %(year)s của %(organisation)s không đủ: cần %(amount)s VND, "
                "chỉ còn %(remaining)s VND"
            )
            % {**values, "remaining": _vnd(max(remaining, 0))},
            code="budget_exhausted",
            extra={
                "organisation": organisation.code,
                "year": year,
                "budget_vnd": budget.amount_vnd,
                "remaining_vnd": max(remaining, 0),
            },
        )
    return budget


def _read_together(parts) -> list[list[tuple]]:
    """The rows of several reads in ONE round trip on PostgreSQL (``config.sqlbatch``), in order:
    each part a ``values_list`` queryset (its rows as Django converts them), a compiled-once query
    with its ids ``(sqlbatch.Prepared, [ids])`` (likewise), or a raw ``(sql, params)`` (its rows
    as the driver gives them). Each read sees the ones before it (a lock first, then what it
    guards)."""
    statements, compilers = [], []
    for part in parts:
        if isinstance(part, tuple) and isinstance(part[0], sqlbatch.Prepared):
            sql, params, compiler = part[0].statement(*part[1])
        elif isinstance(part, tuple):
            (sql, params), compiler = part, None
        else:
            sql, params, compiler = sqlbatch.compiled(part)
        statements.append((sql, params))
        compilers.append(compiler)
    results = sqlbatch.run_together(statements)
    return [
        list(rows or []) if compiler is None else list(compiler.results_iter(results=[rows or []], tuple_expected=True))
        for compiler, rows in zip(compilers, results, strict=True)
    ]


_QUERIES = {}


def _attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


def _queries() -> dict:
    """The award actions' reads of one dossier, each compiled once per process
    (``config.sqlbatch.Prepared``: building and compiling a queryset costs more than the read)."""
    if _QUERIES:
        return _QUERIES
    from initiatives.models import DuplicateMark, Programme

    names = (_attnames(Initiative), _attnames(Organisation), _attnames(Programme))
    _QUERIES.update(
        {
            "names": names,
            "lock": sqlbatch.Prepared(
                lambda pk: (
                    Initiative.objects.select_for_update(of=("self",))
                    .filter(pk=pk)
                    .values_list(
                        *names[0], *(f"organisation__{n}" for n in names[1]), *(f"programme__{n}" for n in names[2])
                    )
                )
            ),
            # any "duplicate" mark on the dossier: only then is the standing one looked for
            "marked": sqlbatch.Prepared(
                lambda pk: DuplicateMark.objects.filter(initiative_id=pk, verdict="duplicate").values_list("pk")[:1]
            ),
            "standing": {
                award: sqlbatch.Prepared(
                    lambda pk, award=award: (
                        Certificate.objects.filter(initiative_id=pk, award=award, revoked_at__isnull=True)
                        .order_by()
                        .values_list("pk")[:1]
                    )
                )
                for award in Award.values
            },
            "authors": sqlbatch.Prepared(lambda pk: _authors_read([pk])),
        }
    )
    from workflow.permissions import council_perms_of

    _QUERIES["perms"] = sqlbatch.Prepared(council_perms_of)
    return _QUERIES


def _lock_initiative(initiative_id: int) -> Initiative | None:
    """``Initiative.objects.select_for_update(of=("self",)).select_related("organisation",
    "programme").filter(pk=initiative_id).first()``, its SQL compiled once."""
    from initiatives.models import Programme

    q = _queries()
    (rows,) = sqlbatch.fetch_prepared([(q["lock"], [initiative_id])])
    if not rows:
        return None
    row, db = rows[0], Initiative.objects.db
    mine, org, programme = q["names"]
    a, b = len(mine), len(mine) + len(org)
    initiative = Initiative.from_db(db, mine, row[:a])
    initiative.organisation = Organisation.from_db(db, org, row[a:b])
    initiative.programme = Programme.from_db(db, programme, row[b:]) if row[b] is not None else None
    return initiative


def _count_read(queryset) -> tuple[str, list]:
    """``queryset.count()`` as a raw part for ``_read_together``."""
    sql, params, _c = sqlbatch.compiled(queryset.order_by().values_list("pk"))
    return f"SELECT COUNT(*) FROM ({sql}) counted", params


def _cap_reads(*, quotas: list[Quota], on: datetime.date) -> list:
    """The use of each cap among ``quotas`` (``quota_scope`` counted), as ``_read_together`` parts."""
    return [_count_read(quota_scope(quota=q, on=on)) for q in quotas if q.kind == Quota.Kind.CAP]


def _caps_used(quotas: list[Quota], rows) -> dict:
    """{quota id: used} from the rows of ``_cap_reads``."""
    caps = [q for q in quotas if q.kind == Quota.Kind.CAP]
    return {q.pk: int(r[0][0]) for q, r in zip(caps, rows, strict=True)}


def _authors_read(initiative_ids):
    """The authors of the dossiers (their order as ``initiative.authors``) for ``_recipients``."""
    return (
        InitiativeAuthor.objects.filter(initiative_id__in=list(initiative_ids))
        .order_by("initiative_id", "position", "id")
        .values_list("initiative_id", "full_name", "user__username", "share_percent")
    )


def _recipients_of(rows) -> dict[int, list[dict]]:
    """{initiative id: recipients} from the rows of ``_authors_read``."""
    out: dict[int, list[dict]] = {}
    for initiative_id, full_name, username, share in rows:
        out.setdefault(initiative_id, []).append(
            {"full_name": full_name, "username": username, "share_percent": str(share)}
        )
    return out


def serial_allocate(*, award: str, year: int) -> str:
    """The next serial for ``award`` in ``year``, e.g. ``CN-LDST-2026-0001``: one upsert that
    creates the counter row or moves it on, and holds its lock to the commit, so two transactions
    never get the same number (no race on the first one, no savepoint)."""
    return serials_allocate(award=award, year=year, count=1)[0]


def serials_allocate(*, award: str, year: int, count: int) -> list[str]:
    """The next ``count`` serials for ``award`` in ``year``, in order: ONE upsert moves the
    counter on by ``count`` (``serial_allocate``'s lock and rule, for a selection of several)."""
    assert transaction.get_connection().in_atomic_block, "serial_allocate must run inside a transaction"
    assert count >= 1
    prefix = SERIAL_PREFIX[award]
    table = SerialCounter._meta.db_table
    with transaction.get_connection().cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (prefix, year, last) VALUES (%s, %s, %s) "
            f"ON CONFLICT (prefix, year) DO UPDATE SET last = {table}.last + excluded.last RETURNING last",
            [prefix, year, count],
        )
        last = cursor.fetchone()[0]
    return [f"{prefix}-{year}-{n:04d}" for n in range(last - count + 1, last + 1)]


def _lock_quotas(quotas: list[Quota]) -> list[Quota]:
    """Lock the quota rows (in id order, the same everywhere) and return them as they are now,
    nearest first, with their organisation and programme (one read)."""
    if not quotas:
        return []
    rows = (
        Quota.objects.select_for_update(of=("self",))
        .select_related("organisation", "programme")
        .filter(pk__in=[q.pk for q in quotas])
        .order_by("pk")
    )
    locked = {q.pk: q for q in rows}
    return [locked[q.pk] for q in quotas]


def _check_caps(*, quotas: list[Quota], adding: int, on: datetime.date, used_by: dict | None = None) -> None:
    """Refuse (409 ``quota_exhausted``) when ``adding`` more would pass a cap; ``used``: {quota id:
    use} when the caller read it (``_cap_reads``, ``_caps_used``), else each cap counted here."""
    for quota in quotas:
        if quota.kind != Quota.Kind.CAP:
            continue  # a target is a goal: exceeding it is celebrated, never refused
        used = used_by[quota.pk] if used_by is not None else quota_scope(quota=quota, on=on).count()
        if used + adding > quota.cap:
            left = max(quota.cap - used, 0)
            monthly = quota.per == Quota.Per.MONTH
            period = _("tháng %(month)s") % {"month": f"{on:%m/%Y}"} if monthly else quota.programme.name
            values = {
                "adding": adding,
                "left": left,
                "used": used,
                "cap": quota.cap,
                "period": period,
                "award": AWARD_PLACES[quota.award],
                "organisation": quota.organisation.name,
            }
            if left and adding > 1:
                message = (
                    _(
                        "Bạn chọn %(adding)s sáng kiến nhưng %(period)s chỉ còn %(left)s suất %(award)s của %(organisation)s"
                    )
                    % values
                )
            else:
                message = (
                    _("Đã hết suất %(award)s của %(organisation)s trong %(period)s (đã dùng %(used)s/%(cap)s)") % values
                )
            raise ApplicationError(
                message,
                code="quota_exhausted",
                extra={"cap": quota.cap, "used": used, "organisation": quota.organisation.code},
            )


def _may_issue(
    *, actor: User, council: Council | None, organisation: Organisation, held: frozenset | None = None
) -> bool:
    """``held``: the actor's codenames on ``council`` when the caller read them (``council_perms``)."""
    if council is not None:  # one query (guardian's has_perm asks two)
        from workflow.permissions import council_perms

        return "close_session" in (held if held is not None else council_perms(actor, council))
    return actor.has_perm("councils.act_as_officer", organisation)


def certificate_issue(
    *, initiative: Initiative, award: str, actor: User, council: Council | None = None, details: dict | None = None
) -> Certificate:
    """Grant ``award`` (sector or federation certificate) to ``initiative`` within its quotas.

    Called by the lifecycle's ``close`` inside its own transaction (which holds the initiative row
    lock); on its own it opens one. It never makes a durable transaction. Permission: the chair or
    secretary of ``council`` (``councils.close_session``), or without a council an officer of the
    awarding organisation. Raises ``ApplicationError`` ``quota_exhausted`` (nothing written),
    ``already_awarded`` or ``not_recognised``."""
    if award not in CERTIFICATE_AWARDS:
        raise ValueError(f"certificate_issue grants certificates only, not {award!r}")
    # deferring: the certificate's insert and the trail's append travel with the next statements
    # (inside a close, the close's own queue: a no-op here)
    with transaction.atomic(), sqlbatch.deferring():
        # of=("self",): lock the initiative row only, not the joined organisation and programme
        pk = initiative.pk
        initiative = _lock_initiative(pk)
        if initiative is None:
            raise Initiative.DoesNotExist(f"Initiative {pk} does not exist.")
        now = timezone.now()
        today = timezone.localdate(now)
        programme = initiative.programme or programme_at(today)
        # the quotas locked as they are read (lock order: initiative, then quotas by id)
        quotas = applicable_quotas(organisation=initiative.organisation, award=award, programme=programme, lock=True)
        awarding = quotas[0].organisation if quotas else (council.organisation if council else initiative.organisation)
        year = timezone.localtime(now).year
        amount = quotas[0].amount_vnd if quotas else 0
        budget_parts = _budget_reads(organisation=awarding, year=year) if amount > 0 else []
        q = _queries()
        held = None
        if council is not None:  # the issuer's codenames on the council, with the other reads
            from workflow.permissions import council_content_type_id, council_perms_without_query

            held = council_perms_without_query(actor, council)
        perms = [(q["perms"], [actor.pk, council.pk, council_content_type_id()])] if council and held is None else []
        # one round trip: the issuer's codenames on the council, a duplicate mark, a standing
        # award of this kind, the authors, the budget (locked, then what it commits), each cap's use
        rows = _read_together(
            [
                *perms,
                (q["marked"], [initiative.pk]),
                (q["standing"][award], [initiative.pk]),
                (q["authors"], [initiative.pk]),
                *budget_parts,
                *_cap_reads(quotas=quotas, on=today),
            ]
        )
        perm_rows, (marked, standing, authors, *rest) = rows[: len(perms)], rows[len(perms) :]
        if perm_rows:
            held = frozenset(c for (c,) in perm_rows[0])
        if not _may_issue(actor=actor, council=council, organisation=awarding, held=held):
            raise PermissionDenied(_("Chỉ chủ tịch hoặc thư ký hội đồng xét tặng mới được cấp chứng nhận"))
        if not is_recognised(initiative):
            raise ApplicationError(
                _("Sáng kiến %(initiative_pk)s chưa được công nhận") % {"initiative_pk": initiative.pk},
                code="not_recognised",
            )
        earlier = standing_duplicate_of(initiative=initiative) if marked else None
        if earlier is not None:  # the law recognises only the earlier application of the same idea
            raise ApplicationError(
                _(
                    "Sáng kiến đã được đánh dấu trùng với hồ sơ %(reference)s (mã %(id)s) được công nhận trước; "
                    "không thể cấp chứng nhận trừ khi có kết luận “không trùng” sau đó"
                )
                % {"reference": earlier.reference or earlier.pk, "id": earlier.pk},
                code="duplicate",
                extra={"of": earlier.pk, "of_reference": earlier.reference},
            )
        if standing:
            raise ApplicationError(
                _("Sáng kiến đã được cấp khen thưởng này"),
                code="already_awarded",
            )
        budget_rows, caps = rest[: len(budget_parts)], rest[len(budget_parts) :]
        _check_caps(quotas=quotas, adding=1, on=today, used_by=_caps_used(quotas, caps))
        budget = _budget_commit(organisation=awarding, year=year, amount=amount, read=budget_rows or None)
        certificate = Certificate(
            serial=serial_allocate(award=award, year=year),
            amount_vnd=amount if budget else 0,
            budget=budget,
            award=award,
            initiative=initiative,
            programme=quotas[0].programme if quotas else programme,
            organisation=awarding,
            council=council,
            quota=quotas[0] if quotas else None,
            period_month=month_start(today),
            title=initiative.title,
            recipients=_recipients_of(authors).get(initiative.pk, []),
            issued_at=now,
            issued_by=actor,
            details=details or {},
        )
        _insert(certificate)
        audit_record(
            actor=actor,
            action="award",
            obj=initiative,
            from_state=initiative.state,
            to_state=initiative.state,
            version=initiative.dossier_version or initiative.version,
            details={
                "award": award,
                "serial": certificate.serial,
                "organisation": awarding.code,
                "council": council.code if council else None,
                "amount_vnd": certificate.amount_vnd,
                **(details or {}),
            },
        )
    return certificate


def _insert(certificate: Certificate) -> None:
    """``certificate.save()`` (a new row): on PostgreSQL queued inside ``sqlbatch.deferring()``, so
    it travels with the action's next statement (its id is set once it has run)."""
    if connection.vendor != "postgresql":
        certificate.save(force_insert=True)
        return
    sqlbatch.execute(
        *sqlbatch.insert_statement([certificate]), on_rows=lambda rows: sqlbatch.saved([certificate], rows)
    )


def _may_revoke(*, actor: User, certificate: Certificate) -> bool:
    from .selectors import may_revoke

    return may_revoke(user=actor, certificate=certificate)


@transaction.atomic(durable=True)
def certificate_revoke(*, certificate_id: int, actor: User, reason: str) -> Certificate:
    """Revoke a certificate or commendation: only the chair or secretary of the awarding council
    (for a commendation: an officer of the awarding organisation). The row stays, marked revoked;
    its quota unit is free again."""
    certificate = (
        Certificate.objects.select_for_update(of=("self",))
        .select_related("council", "organisation", "initiative", "initiative__organisation")
        .get(pk=certificate_id)
    )
    if not _may_revoke(actor=actor, certificate=certificate):
        raise PermissionDenied(_("Chỉ chủ tịch hoặc thư ký hội đồng đã xét tặng mới được thu hồi"))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": [_("cần nêu lý do thu hồi")]})
    if certificate.revoked:
        raise ApplicationError(_("Đã thu hồi trước đó"), code="already_revoked")
    certificate.revoked_at = timezone.now()
    certificate.revoked_by = actor
    certificate.revoke_reason = reason
    certificate.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    initiative = certificate.initiative
    audit_record(
        actor=actor,
        action="award_revoke",
        obj=initiative,
        from_state=initiative.state,
        to_state=initiative.state,
        comment=reason,
        details={
            "award": certificate.award,
            "serial": certificate.serial,
            "revoked": True,
            "amount_freed_vnd": certificate.amount_vnd,
        },
    )
    return certificate


def _lock_recognised(*, organisation: Organisation, month: datetime.date, initiative_ids) -> tuple[list[int], dict]:
    """The listed initiatives (each once), locked in id order: every one known, of ``organisation``'s
    subtree and recognised before ``month`` ended — else a 400 naming them. Returns (ids, {id: row})."""
    ids = list(dict.fromkeys(initiative_ids))
    if not ids:
        raise ValidationError({"initiatives": [_("cần ít nhất một sáng kiến")]})
    if len(ids) != len(initiative_ids):
        raise ValidationError({"initiatives": [_("một sáng kiến bị liệt kê hai lần")]})
    found = {
        i.pk: i
        for i in Initiative.objects.select_for_update(of=("self",))
        .select_related("organisation")
        .filter(pk__in=ids)
        .order_by("pk")
    }
    unknown = [pk for pk in ids if pk not in found]
    if unknown:
        raise ValidationError({"initiatives": [_("không có sáng kiến %(unknown)s") % {"unknown": unknown}]})
    outside = [pk for pk in ids if not found[pk].organisation.path.startswith(organisation.path)]
    if outside:
        raise ValidationError(
            {
                "initiatives": [
                    _("sáng kiến %(outside)s không thuộc %(organisation_code)s")
                    % {"outside": outside, "organisation_code": organisation.code}
                ]
            }
        )
    before = recognised_before(month)
    not_recognised = [pk for pk in ids if not is_recognised(found[pk]) or found[pk].recognised_at >= before]
    if not_recognised:
        raise ValidationError(
            {
                "initiatives": [
                    _("sáng kiến %(not_recognised)s chưa được công nhận (đến hết tháng %(month)s)")
                    % {"not_recognised": not_recognised, "month": f"{month:%m/%Y}"}
                ]
            }
        )
    return ids, found


@transaction.atomic(durable=True)
def commendation_select(
    *, organisation: Organisation, month: datetime.date, initiative_ids: list[int], actor: User
) -> list[Certificate]:
    """The sector award committee commends ``initiative_ids`` for ``month``: at most the monthly
    cap in all (409 ``quota_exhausted``), each initiative once (409 ``already_commended``), only
    recognised initiatives under ``organisation`` (400). All or nothing."""
    month = month_start(month)
    programme = programme_for_month(month)
    # read once: who decides (the owners of these quotas), then locked after the dossiers
    applicable = applicable_quotas(organisation=organisation, award=Award.MONTHLY_COMMENDATION, programme=programme)
    # the committee of the organisation that owns the quota decides, not the officers of a unit
    # below it: checked against every quota the selection would use
    if not may_select_commendations(user=actor, organisation=organisation, programme=programme, quotas=applicable):
        owners = ", ".join(
            o.code for o in commendation_committee_of(organisation=organisation, programme=programme, quotas=applicable)
        )
        raise PermissionDenied(
            _(
                "Chỉ ban khen thưởng (cán bộ công đoàn hoặc hội đồng ngành) của %(owners)s, tổ chức giữ hạn mức "
                "biểu dương hằng tháng, mới được chọn biểu dương."
            )
            % {"owners": owners}
        )
    if month > month_start(timezone.localdate()):
        raise ValidationError(
            {"month": [_("chưa thể biểu dương cho tháng %(month)s (tháng chưa đến)") % {"month": f"{month:%m/%Y}"}]}
        )
    ids, found = _lock_recognised(organisation=organisation, month=month, initiative_ids=initiative_ids)
    quotas = _lock_quotas(applicable)
    now = timezone.now()
    year = timezone.localtime(now).year
    awarding = quotas[0].organisation if quotas else organisation
    amount = quotas[0].amount_vnd if quotas else 0
    budget_parts = _budget_reads(organisation=awarding, year=year) if amount * len(ids) > 0 else []
    # one round trip: the standing commendations among them, each cap's use this month, the
    # budget (locked, then what it commits), the authors of every one
    already, authors, *rest = _read_together(
        [
            Certificate.objects.filter(award=Award.MONTHLY_COMMENDATION, initiative_id__in=ids, revoked_at__isnull=True)
            .order_by("initiative_id")
            .values_list("initiative_id"),
            _authors_read(ids),
            *budget_parts,
            *_cap_reads(quotas=quotas, on=month),
        ]
    )
    if already:
        already = sorted(pk for (pk,) in already)
        raise ApplicationError(
            _("Sáng kiến %(already)s đã được biểu dương") % {"already": already},
            code="already_commended",
            extra={"initiatives": already},
        )
    budget_rows, caps = rest[: len(budget_parts)], rest[len(budget_parts) :]
    _check_caps(quotas=quotas, adding=len(ids), on=month, used_by=_caps_used(quotas, caps))
    budget = _budget_commit(organisation=awarding, year=year, amount=amount * len(ids), read=budget_rows or None)
    recipients = _recipients_of(authors)
    created = [
        Certificate(
            serial=serial,
            amount_vnd=amount if budget else 0,
            budget=budget,
            award=Award.MONTHLY_COMMENDATION,
            initiative=found[pk],
            programme=programme,
            organisation=awarding,
            quota=quotas[0] if quotas else None,
            period_month=month,
            title=found[pk].title,
            recipients=recipients.get(pk, []),
            issued_at=now,
            issued_by=actor,
            details={"month": f"{month:%Y-%m}", "selected_for": organisation.code},
        )
        for pk, serial in zip(
            ids, serials_allocate(award=Award.MONTHLY_COMMENDATION, year=year, count=len(ids)), strict=True
        )
    ]
    Certificate.objects.bulk_create(created)  # one insert; their ids for the announcement
    # the trail: one entry per commendation, chained in order, their chains locked once
    audit_record_many(
        [
            {
                "actor": actor,
                "action": "award",
                "obj": c.initiative,
                "from_state": c.initiative.state,
                "to_state": c.initiative.state,
                "version": c.initiative.dossier_version or c.initiative.version,
                "details": {
                    "award": Award.MONTHLY_COMMENDATION,
                    "serial": c.serial,
                    "month": f"{month:%Y-%m}",
                    "organisation": organisation.code,
                    "selection": ids,
                    "amount_vnd": c.amount_vnd,
                },
            }
            for c in created
        ]
    )
    outbox_enqueue(_announce_task(), certificate_ids=[c.pk for c in created])
    return created


# --- quotas and award rules (the admin's doors) ------------------------------------------------


def quota_rules(*, changes: dict) -> dict:
    errors = {}
    if "cap" in changes:
        cap = changes["cap"]
        if not isinstance(cap, int) or isinstance(cap, bool) or cap < 0:
            errors["cap"] = [_("Hạn mức phải là số nguyên không âm.")]
    if "kind" in changes and changes["kind"] not in Quota.Kind.values:
        errors["kind"] = [_("Loại hạn mức không hợp lệ.")]
    if "amount_vnd" in changes:
        amount = changes["amount_vnd"]
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0:
            errors["amount_vnd"] = [_("Số tiền phải là số nguyên không âm (VND).")]
    return errors


@transaction.atomic
def quota_create(
    *,
    actor,
    programme,
    award: str,
    organisation: Organisation,
    per: str,
    cap: int,
    kind: str = Quota.Kind.CAP,
    amount_vnd: int = 0,
) -> Quota:
    """A new quota (the structure file's ``programme.quotas``): assigned from above, like a change."""
    if not administers_above(actor=actor, organisation=organisation):
        raise PermissionDenied(
            _("Hạn mức khen thưởng của %(org)s do quản trị viên của tổ chức cấp trên giao.")
            % {"org": organisation.code}
        )
    errors = quota_rules(changes={"cap": cap, "kind": kind, "amount_vnd": amount_vnd})
    if errors:
        raise ValidationError(errors)
    quota = Quota.objects.create(
        programme=programme, award=award, organisation=organisation, per=per, cap=cap, kind=kind, amount_vnd=amount_vnd
    )
    audit_record(
        actor=actor,
        action="create_quota",
        obj=quota,
        scope_path=organisation.path,
        details={
            "programme": programme.code,
            "award": award,
            "organisation": organisation.code,
            "per": per,
            "after": {"cap": cap, "kind": kind, "amount_vnd": amount_vnd},
        },
    )
    return quota


@transaction.atomic
def quota_update(*, quota_id: int, actor, **changes) -> Quota:
    """Change a quota's ``cap``, ``kind`` (cap · target) or ``amount_vnd`` (money per award). Quotas are assigned from above: the
    admin of a union above the quota's organisation (or a superuser, or the system) changes them,
    never the organisation's own admin or committee. Lowering a cap below what is already used
    takes nothing back; it refuses further awards. Audited with the values before and after."""
    unknown = set(changes) - {"cap", "kind", "amount_vnd"}
    if unknown:
        raise TypeError(f"quota_update cannot change {sorted(unknown)}")
    quota = Quota.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=quota_id)
    if not administers_above(actor=actor, organisation=quota.organisation):
        raise PermissionDenied(
            _("Hạn mức khen thưởng của %(org)s do quản trị viên của tổ chức cấp trên giao.")
            % {"org": quota.organisation.code}
        )
    changed = {k: v for k, v in changes.items() if getattr(quota, k) != v}
    if not changed:
        return quota
    errors = quota_rules(changes=changed)
    if errors:
        raise ValidationError(errors)
    before = {k: getattr(quota, k) for k in changed}
    for k, v in changed.items():
        setattr(quota, k, v)
    quota.save(update_fields=list(changed))
    audit_record(
        actor=actor,
        action="update_quota",
        obj=quota,
        scope_path=quota.organisation.path,
        details={
            "award": quota.award,
            "organisation": quota.organisation.code,
            "per": quota.per,
            "before": before,
            "after": changed,
        },
    )
    return quota


ELIGIBILITY_FIELDS = ("award", "name", "min_benefit_vnd", "years", "applies_to", "active")


@transaction.atomic
def eligibility_rule_save(*, actor, rule_id: int | None = None, **fields) -> EligibilityRule:
    """Create or change a threshold of the award rules (federation decisions that hold for every
    union): only a superuser or the system. Audited with the values before and after."""
    unknown = set(fields) - set(ELIGIBILITY_FIELDS)
    if unknown:
        raise TypeError(f"eligibility_rule_save cannot set {sorted(unknown)}")
    if actor is not None and not (actor.is_active and actor.is_superuser):
        raise PermissionDenied(_("Chỉ quản trị viên hệ thống mới được thay đổi tiêu chí khen thưởng."))
    if rule_id is None:
        rule = EligibilityRule(**fields)
        before, changed = {}, dict(fields)
    else:
        rule = EligibilityRule.objects.select_for_update().get(pk=rule_id)
        changed = {k: v for k, v in fields.items() if getattr(rule, k) != v}
        if not changed:
            return rule
        before = {k: getattr(rule, k) for k in changed}
        for k, v in changed.items():
            setattr(rule, k, v)
    rule.full_clean()
    rule.save()
    audit_record(
        actor=actor,
        action="create_eligibility_rule" if rule_id is None else "update_eligibility_rule",
        obj=rule,
        details={"rule": rule.name, "before": before, "after": changed},
    )
    return rule


def _announce_task():
    from .tasks import announce_commendations

    return announce_commendations


def commendation_announce(*, certificate_ids: list[int]) -> int:
    """E-mail each commendation (monthly or ad hoc, with its reason) to its authors (those with an address who have not declined to be
    named) and to the officers of their unit — one message per recipient, so no recipient learns
    another's address (the authors of a confidential dossier stay unknown to the officers).
    Returns the number of messages sent."""
    from initiatives.models import Consent
    from notifications.actions import notify

    sent = 0
    for c in Certificate.objects.filter(pk__in=certificate_ids, revoked_at__isnull=True).select_related(
        "initiative", "initiative__organisation"
    ):
        initiative = c.initiative
        to = {
            a.user
            for a in initiative.authors.filter(user__isnull=False, user__is_active=True)
            .exclude(consent=Consent.DECLINED)
            .select_related("user")
        }
        to |= set(
            User.objects.filter(
                is_active=True,
                role_assignments__organisation=initiative.organisation,
                role_assignments__role__in=(Role.OFFICER, Role.ADMIN),
            )
        )
        if not to:
            continue
        with translation.override(settings.LANGUAGE_CODE):  # the programme's language
            values = {
                "month": f"{c.period_month:%m/%Y}",
                "title": c.title,
                "reference": initiative.reference,
                "unit": initiative.organisation.name,
                "body": c.organisation.name,
                "serial": c.serial,
                "link": verify_url(c.serial),
            }
            if c.award == Award.ADHOC_COMMENDATION:
                values["reason"] = c.reason
                subject = _("Sáng kiến được khen thưởng đột xuất")
                body = (
                    _(
                        "Sáng kiến «%(title)s» (%(reference)s) của %(unit)s được %(body)s khen thưởng đột xuất.\n"
                        "Lý do: %(reason)s\nSố hiệu: %(serial)s. Xác minh: %(link)s\n"
                    )
                    % values
                )
            else:
                subject = _("Sáng kiến được biểu dương tháng %(month)s") % values
                body = (
                    _(
                        "Sáng kiến «%(title)s» (%(reference)s) của %(unit)s được %(body)s biểu dương là sáng kiến tiêu "
                        "biểu tháng %(month)s.\nSố hiệu: %(serial)s. Xác minh: %(link)s\n"
                    )
                    % values
                )
        sent += notify(users=to, subject=subject, body=body, url=f"/initiatives/{initiative.pk}/")
    return sent


# --- budgets -------------------------------------------------------------------------------------


@transaction.atomic
def budget_set(*, actor, organisation: Organisation, year: int, amount_vnd: int) -> tuple[Budget, bool]:
    """Create or change the commendation budget of ``organisation`` for ``year`` (the structure
    file's ``programme.budgets``): assigned from above, like a quota. Audited with the values
    before and after; setting the same amount again changes nothing. Returns (budget, changed)."""
    if not administers_above(actor=actor, organisation=organisation):
        raise PermissionDenied(
            _("Kinh phí khen thưởng của %(org)s do quản trị viên của tổ chức cấp trên giao.")
            % {"org": organisation.code}
        )
    if not isinstance(amount_vnd, int) or isinstance(amount_vnd, bool) or amount_vnd < 0:
        raise ValidationError({"amount_vnd": [_("Số tiền phải là số nguyên không âm (VND).")]})
    if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2999:
        raise ValidationError({"year": [_("Năm phải là số từ 1900 đến 2999.")]})
    budget = Budget.objects.select_for_update().filter(organisation=organisation, year=year).first()
    if budget is not None and budget.amount_vnd == amount_vnd:
        return budget, False
    before = budget.amount_vnd if budget else None
    if budget is None:
        budget = Budget.objects.create(organisation=organisation, year=year, amount_vnd=amount_vnd)
    else:
        budget.amount_vnd = amount_vnd
        budget.save(update_fields=["amount_vnd"])
    audit_record(
        actor=actor,
        action="create_budget" if before is None else "update_budget",
        obj=budget,
        scope_path=organisation.path,
        details={
            "organisation": organisation.code,
            "year": year,
            "before": {"amount_vnd": before} if before is not None else {},
            "after": {"amount_vnd": amount_vnd},
        },
    )
    return budget, True


# --- ad-hoc commendations ------------------------------------------------------------------------


@transaction.atomic(durable=True)
@sqlbatch.batched  # the trail's append travels with the outbox row
def adhoc_commend(
    *, organisation: Organisation, initiative_id: int, reason: str, amount_vnd: int, actor: User
) -> Certificate:
    """An ad-hoc ("đột xuất") commendation by ``organisation`` outside the monthly five: its award
    committee (officers, or members of its deciding council) commends a recognised initiative of
    its subtree with a reason and an amount. Uses no quota; commits the amount from the
    organisation's budget of this year (409 ``budget_exhausted``, nothing written). Once per
    initiative while it stands (409 ``already_awarded``)."""
    if not award_committee_member(user=actor, organisation=organisation):
        raise PermissionDenied(
            _("Chỉ ban khen thưởng (cán bộ công đoàn hoặc hội đồng) của %(org)s mới được khen thưởng đột xuất.")
            % {"org": organisation.code}
        )
    reason = (reason or "").strip()
    errors = {}
    if not reason:
        errors["reason"] = [_("cần nêu lý do khen thưởng đột xuất")]
    if not isinstance(amount_vnd, int) or isinstance(amount_vnd, bool) or amount_vnd < 0:
        errors["amount_vnd"] = [_("Số tiền phải là số nguyên không âm (VND).")]
    if errors:
        raise ValidationError(errors)
    initiative = _lock_initiative(initiative_id)  # with its organisation and programme
    if initiative is None:
        raise ValidationError({"initiative": [_("không có sáng kiến %(pk)s") % {"pk": initiative_id}]})
    if not initiative.organisation.path.startswith(organisation.path):
        raise ValidationError(
            {
                "initiative": [
                    _("sáng kiến %(pk)s không thuộc %(org)s") % {"pk": initiative_id, "org": organisation.code}
                ]
            }
        )
    if not is_recognised(initiative):
        raise ValidationError({"initiative": [_("sáng kiến %(pk)s chưa được công nhận") % {"pk": initiative_id}]})
    now = timezone.now()
    year = timezone.localtime(now).year
    budget_parts = _budget_reads(organisation=organisation, year=year) if amount_vnd > 0 else []
    # one round trip: a standing ad-hoc commendation, the authors, the budget (locked, then what
    # it commits)
    q = _queries()
    standing, authors, *budget_rows = _read_together(
        [
            (q["standing"][Award.ADHOC_COMMENDATION], [initiative.pk]),
            (q["authors"], [initiative.pk]),
            *budget_parts,
        ]
    )
    if standing:
        raise ApplicationError(_("Sáng kiến đã được khen thưởng đột xuất"), code="already_awarded")
    budget = _budget_commit(organisation=organisation, year=year, amount=amount_vnd, read=budget_rows or None)
    today = timezone.localdate(now)
    certificate = Certificate.objects.create(
        serial=serial_allocate(award=Award.ADHOC_COMMENDATION, year=year),
        award=Award.ADHOC_COMMENDATION,
        initiative=initiative,
        programme=initiative.programme or programme_at(today),
        organisation=organisation,
        period_month=month_start(today),
        title=initiative.title,
        recipients=_recipients_of(authors).get(initiative.pk, []),
        issued_at=now,
        issued_by=actor,
        amount_vnd=amount_vnd,
        budget=budget,
        reason=reason,
        details={"reason": reason},
    )
    audit_record(
        actor=actor,
        action="award",
        obj=initiative,
        from_state=initiative.state,
        to_state=initiative.state,
        version=initiative.dossier_version or initiative.version,
        comment=reason,
        details={
            "award": Award.ADHOC_COMMENDATION,
            "serial": certificate.serial,
            "organisation": organisation.code,
            "amount_vnd": amount_vnd,
        },
    )
    # the authors and their unit's officers are told, as for the monthly five
    outbox_enqueue(_announce_task(), certificate_ids=[certificate.pk])
    return certificate


# --- nominations ---------------------------------------------------------------------------------


@transaction.atomic(durable=True)
def nominations_propose(
    *, organisation: Organisation, month: datetime.date, initiative_ids: list[int], comment: str, actor: User
) -> list[Nomination]:
    """``organisation`` proposes recognised initiatives of its subtree to the union directly above
    it for ``month`` (its officers or award committee). Each initiative once per level and month
    (409 ``already_nominated``); all or nothing; each nomination audited."""
    if not award_committee_member(user=actor, organisation=organisation):
        raise PermissionDenied(
            _("Chỉ cán bộ công đoàn hoặc ban khen thưởng của %(org)s mới được đề cử thay cho tổ chức này.")
            % {"org": organisation.code}
        )
    parent = Organisation.objects.get_parent(organisation)
    if parent is None:
        raise ValidationError(
            {"organisation": [_("%(org)s không có công đoàn cấp trên để đề cử lên") % {"org": organisation.code}]}
        )
    month = month_start(month)
    if month > month_start(timezone.localdate()):
        raise ValidationError(
            {"month": [_("chưa thể đề cử cho tháng %(month)s (tháng chưa đến)") % {"month": f"{month:%m/%Y}"}]}
        )
    ids, found = _lock_recognised(organisation=organisation, month=month, initiative_ids=initiative_ids)
    already = sorted(
        Nomination.objects.filter(to_organisation=parent, month=month, initiative_id__in=ids).values_list(
            "initiative_id", flat=True
        )
    )
    if already:
        raise ApplicationError(
            _("Sáng kiến %(already)s đã được đề cử lên %(parent)s trong tháng %(month)s")
            % {"already": already, "parent": parent.code, "month": f"{month:%m/%Y}"},
            code="already_nominated",
            extra={"initiatives": already},
        )
    comment = (comment or "").strip()
    now = timezone.now()
    created = []
    for pk in ids:
        initiative = found[pk]
        nomination = Nomination.objects.create(
            month=month,
            initiative=initiative,
            from_organisation=organisation,
            to_organisation=parent,
            comment=comment,
            proposed_by=actor,
            proposed_at=now,
        )
        audit_record(
            actor=actor,
            action="nominate",
            obj=initiative,
            from_state=initiative.state,
            to_state=initiative.state,
            version=initiative.dossier_version or initiative.version,
            comment=comment,
            details={
                "month": f"{month:%Y-%m}",
                "from": organisation.code,
                "to": parent.code,
                "nomination": nomination.pk,
            },
        )
        created.append(nomination)
    return created


def _reminded_officers() -> dict[int, set]:
    """{organisation id: ids of its active officers} for every union with a union above it."""
    officers: dict[int, set] = {}
    for user_id, org_id in (
        User.objects.filter(
            is_active=True, role_assignments__role=Role.OFFICER, role_assignments__organisation__depth__gt=1
        )
        .values_list("pk", "role_assignments__organisation_id")
        .distinct()
    ):
        officers.setdefault(org_id, set()).add(user_id)
    return officers


def nominations_remind(*, today: datetime.date | None = None, days_before: int = 3) -> int:
    """``days_before`` days before the month closes, remind the officers of every union that has a
    union above it to propose their month's best recognised initiatives. Run daily by beat; on
    other days it does nothing. Each union's reminder is an outbox row (delivered, retried and
    re-driven like every notification; a second run on the same day queues nothing twice).
    Returns the number of mails queued (officers with an address)."""
    from notifications.models import OutboxMessage
    from notifications.outbox import outbox_enqueue

    from .tasks import remind_union

    today = today or timezone.localdate()
    end = month_end(today)
    if (end - today).days != days_before:
        return 0
    officers = _reminded_officers()
    with_mail = set(
        User.objects.filter(pk__in={pk for ids in officers.values() for pk in ids})
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    queued = 0
    with transaction.atomic():
        for org in Organisation.objects.filter(pk__in=officers, depth__gt=1).order_by("path"):
            kwargs = {"organisation_id": org.pk, "day": today.isoformat()}
            if OutboxMessage.objects.filter(task=remind_union.name, kwargs=kwargs).exists():
                continue
            outbox_enqueue(remind_union, **kwargs)
            queued += len(officers[org.pk] & with_mail)
    return queued


def nomination_reminder_send(*, organisation_id: int, day: datetime.date) -> int:
    """One union's reminder (delivered from the outbox): its officers told in-app and by mail."""
    from notifications.actions import notify

    org = Organisation.objects.get(pk=organisation_id)
    parent = Organisation.objects.get_parent(org)
    ids = _reminded_officers().get(org.pk, set())
    if parent is None or not ids:
        return 0
    end = month_end(day)
    with translation.override(settings.LANGUAGE_CODE):
        values = {"month": f"{day:%m/%Y}", "end": f"{end:%d/%m/%Y}", "org": org.name, "parent": parent.name}
        subject = _("Nhắc đề cử sáng kiến tiêu biểu tháng %(month)s") % values
        body = (
            _(
                "Tháng %(month)s kết thúc ngày %(end)s. Mời %(org)s xem lại các sáng kiến đã được công nhận "
                "trong tháng và đề cử sáng kiến tiêu biểu lên %(parent)s (kèm nhận xét).\n"
            )
            % values
        )
    return notify(
        users=list(User.objects.filter(pk__in=ids)),
        subject=subject,
        body=body,
        url=f"/awards/nominations/?organisation={org.code}&month={day:%Y-%m}",
    )

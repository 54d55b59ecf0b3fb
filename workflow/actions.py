"""The lifecycle's actions: one function per step, each in one transaction that locks the
initiative row, checks permission (against this council, this organisation) and state, changes,
records the audit entry and schedules notifications on commit."""

import copy
from collections import Counter
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.actions import audit_record
from config import sqlbatch
from councils.models import CouncilKind
from councils.selectors import advisory_team_for, nearest_council
from initiatives.actions import (
    EDITABLE_FIELDS,
    dossier_freeze,
    programme_running,
    refuse_if_coauthor_declined,
    refuse_if_coauthor_pending,
)
from initiatives.counters import (
    progress_counters_apply,
    progress_recognised,
    progress_registered,
    progress_share,
    progress_withdrawing,
)
from initiatives.exceptions import ApplicationError
from initiatives.models import Consent, Initiative, State
from initiatives.opentasks import tasks_sync
from initiatives.routing import first_stage, stage_after
from initiatives.rules import assessed_benefit, registration_rules, submission_rules

from . import permissions, sealing, seating
from .flows import STAGE_DECISIONS, InitiativeFlow
from .labels import ACTION_LABELS
from .models import BallotCast, CouncilSession, Decision, SealedBallot, Vote

_LOCK = {}


def _lock_query():
    """The dossier's row locked, with its organisation and council: compiled once per process
    (``config.sqlbatch.Prepared``; building and compiling the queryset cost more than the read)."""
    from config.sqlbatch import Prepared
    from councils.models import Council, Organisation

    names = (_attnames(Initiative), _attnames(Organisation), _attnames(Council))
    query = Prepared(
        lambda pk: (
            Initiative.objects.select_for_update(of=("self",))
            .filter(pk=pk)
            .values_list(*names[0], *(f"organisation__{n}" for n in names[1]), *(f"council__{n}" for n in names[2]))
        )
    )
    return query, names


def _lock(initiative_id: int) -> Initiative:
    """``Initiative.objects.select_for_update(of=("self",)).select_related("organisation",
    "council").get(pk=initiative_id)``, its SQL compiled once."""
    from councils.models import Council, Organisation

    if not _LOCK:
        _LOCK["q"] = _lock_query()
    query, (mine, org, council) = _LOCK["q"]
    (rows,) = sqlbatch.fetch_prepared([(query, [initiative_id])])
    if not rows:
        raise Initiative.DoesNotExist("Initiative matching query does not exist.")
    row, db = rows[0], Initiative.objects.db
    a, b = len(mine), len(mine) + len(org)
    initiative = Initiative.from_db(db, mine, row[:a])
    initiative.organisation = Organisation.from_db(db, org, row[a:b])
    initiative.council = Council.from_db(db, council, row[b:]) if row[b] is not None else None
    initiative.__dict__["_as_read"] = _row_values(initiative)
    return initiative


def _row_values(obj) -> dict:
    """The columns of ``obj`` as read (copies of the mutable ones), to tell what an action changed."""
    values = {}
    for f in obj._meta.concrete_fields:
        value = getattr(obj, f.attname)
        values[f.attname] = copy.deepcopy(value) if isinstance(value, dict | list) else value
    return values


def _save(initiative: Initiative) -> None:
    """``initiative.save()`` for a dossier read by ``_lock``: the same row afterwards (the row is
    locked: no one else changed it), written as ONE update of the columns the action changed and
    ``updated_at``, queued inside ``sqlbatch.deferring()`` (it travels with the next statement)."""
    before = initiative.__dict__.get("_as_read")
    if before is None:
        initiative.save()
        return
    fields = [
        f.name
        for f in initiative._meta.concrete_fields
        if not f.primary_key and (getattr(f, "auto_now", False) or getattr(initiative, f.attname) != before[f.attname])
    ]
    sqlbatch.execute(*sqlbatch.update_statement(initiative, fields))
    initiative.__dict__["_as_read"] = _row_values(initiative)


_batched = sqlbatch.batched


def _deny(message):
    raise PermissionDenied(message)


def _wrong_state(initiative, action):
    raise ApplicationError(
        _("Không thể %(action)s khi hồ sơ đang ở trạng thái «%(state)s»")
        % {"action": str(ACTION_LABELS.get(action, action)).lower(), "state": initiative.get_state_display()},
        code="invalid_state",
        extra={"state": initiative.state},
    )


def _require_reason(comment, action):
    if not (comment or "").strip():
        raise ValidationError(
            {"comment": [_("%(action)s cần nêu lý do bằng văn bản") % {"action": ACTION_LABELS.get(action, action)}]}
        )


def _record(initiative, actor, action, source, *, comment="", version=None, details=None):
    """The audit entry of one step of the dossier, from ``source`` to where it is now."""
    audit_record(
        actor=actor,
        action=action,
        obj=initiative,
        from_state=source,
        to_state=initiative.state,
        version=initiative.dossier_version if version is None else version,
        comment=comment,
        details=details,
    )


def _refuse_coauthors(flow, *, declined: bool = False, pending: bool = False) -> None:
    """``refuse_if_coauthor_declined`` / ``_pending``, asked only when the flow's authors (read
    once per action) hold a declined or a pending consent: the usual dossier costs no query."""
    consents = set(permissions.author_consents(flow).values())
    if declined and Consent.DECLINED in consents:
        refuse_if_coauthor_declined(flow.initiative)
    if pending and Consent.PENDING in consents:
        refuse_if_coauthor_pending(flow.initiative)


def _on_commit(task, **kwargs):
    """The notification ``task(**kwargs)`` as an outbox row of this transaction, delivered after
    it; the rows one transaction writes are queued together, with ONE enqueue after the commit."""
    from notifications.outbox import outbox_enqueue

    outbox_enqueue(task, **kwargs)


def _open_session(initiative: Initiative, council, stage: str, notices: list | None = None) -> CouncilSession:
    """Open ``council``'s session on the dossier; its notice goes to ``notices`` when given (the
    caller writes them all at once, ``_notify_authors``), else to the outbox now."""
    now = timezone.now()
    session = CouncilSession(
        initiative=initiative,
        council=council,
        stage=stage,
        dossier_version=initiative.dossier_version,
        opened_at=now,
        due_at=now + timedelta(days=council.decision_days),
        **CouncilSession.rules_of(council),
    )
    # ``objects.create``'s INSERT (no signals listen to sessions), its text written once per process
    sqlbatch.saved([session], sqlbatch.run_together([sqlbatch.insert_statement([session])])[0])
    initiative.council = council
    initiative.due_at = session.due_at
    from .tasks import notify_session_opened

    if notices is not None:
        notices.append((notify_session_opened, {"session_id": session.pk}))
    else:
        _on_commit(notify_session_opened, session_id=session.pk)
    return session


def current_session(initiative: Initiative) -> CouncilSession:
    """The open session of the council the dossier is before (opened now for dossiers that
    arrived without one, e.g. imported from a register)."""
    session = CouncilSession.objects.filter(initiative=initiative, closed_at__isnull=True).first()
    if session is not None and session.council_id == initiative.council_id and initiative.council is not None:
        session.council = initiative.council  # already read with the initiative
    if session is None:
        now = timezone.now()
        session = CouncilSession.objects.create(
            initiative=initiative,
            council=initiative.council,
            stage=initiative.state,
            dossier_version=initiative.dossier_version,
            opened_at=now,
            due_at=initiative.due_at or now + timedelta(days=initiative.council.decision_days),
            **CouncilSession.rules_of(initiative.council),
        )
        session.opened_now = True  # the vote that opened it names it in its chained entry
    return session


def _screened(initiative: Initiative) -> list[dict]:
    """The duplicate screen at submit, for the trail: ids and scores only (no titles)."""
    from initiatives.duplicates import screen

    found = screen(
        title=initiative.title,
        summary=initiative.summary,
        organisation=initiative.organisation_id,
        category=initiative.category,
        exclude_ids=(initiative.pk,),
    )
    return [{"id": d["id"], "similarity": d["similarity"]} for d in found]


@transaction.atomic(durable=True)
@_batched
def initiative_submit(*, initiative_id: int, actor, comment: str = "") -> Initiative:
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if not permissions.can_submit(flow, actor):
        _deny(_("Chỉ tác giả, tổ tư vấn hoặc cán bộ công đoàn của đơn vị được nộp hồ sơ"))
    if not flow.submit.can_proceed():
        _wrong_state(initiative, "submit")
    _refuse_coauthors(flow, declined=True)
    incomplete = submission_rules(initiative)
    registering_in = None
    if initiative.submitted_at is None:  # its first submission registers it in the running programme
        registering_in = programme_running(timezone.localdate())
        incomplete = {**registration_rules(initiative, registering_in), **incomplete}
    if incomplete:
        raise ValidationError(incomplete)
    team = advisory_team_for(organisation=initiative.organisation)
    if team is None:
        raise ApplicationError(
            _("Đơn vị và các cấp trên chưa có tổ tư vấn hỗ trợ sáng kiến"),
            code="no_advisory_team",
        )
    source = initiative.state
    now = timezone.now()
    version = dossier_freeze(initiative=initiative, actor=actor, at=now)
    flow.submit()
    first = initiative.submitted_at is None
    initiative.submitted_at = initiative.submitted_at or now  # registered at its first submission
    if first and registering_in is not None:
        initiative.programme = registering_in  # the programme whose reports and quotas count it
    initiative.council = team
    initiative.due_at = None
    _save(initiative)
    tasks_sync(initiative, authors=permissions.author_consents(flow).items())  # the open work, in this transaction
    if first:
        progress_registered(initiative)
    _record(
        initiative,
        actor,
        "submit",
        source,
        comment=comment,
        details={
            "advisory_team": team.code,
            "dossier_digest": version.digest,
            "possible_duplicates": _screened(initiative),
        },
    )
    from .tasks import notify_advisory_team

    _on_commit(notify_advisory_team, initiative_id=initiative.pk)
    return initiative


@transaction.atomic(durable=True)
@_batched
def initiative_forward(*, initiative_id: int, actor, comment: str = "") -> Initiative:
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if not permissions.can_advise(flow, actor):
        _deny(_("Chỉ tổ tư vấn của đơn vị được chuyển hồ sơ"))
    if not flow.forward.can_proceed():
        _wrong_state(initiative, "forward")
    _refuse_coauthors(flow, declined=True, pending=True)
    route = first_stage(organisation=initiative.organisation)
    if route is None:
        raise ApplicationError(
            _("Không có hội đồng nào để xét hồ sơ này"),
            code="no_council",
        )
    stage, council = route
    source = initiative.state
    flow.forward(to=stage)
    notices = []
    session = _open_session(initiative, council, stage, notices)
    _save(initiative)
    tasks_sync(initiative)  # the open work follows, in this transaction
    _record(
        initiative,
        actor,
        "forward",
        source,
        comment=comment,
        details={"council": council.code, "due_at": initiative.due_at.isoformat(), "opened_session": session.pk},
    )
    _notify_authors(initiative, notices)
    return initiative


# the parts of a dossier an adviser may point to when returning it (the draft form shows the
# reasons beside each of them)
RETURN_FIELDS = (*(f for f in EDITABLE_FIELDS if f != "confidential"), "authors", "attachments")


@transaction.atomic(durable=True)
@_batched
def initiative_return(*, initiative_id: int, actor, comment: str = "", fields=None) -> Initiative:
    """The advisory team sends the dossier back to its authors, with reasons, and may name the
    parts to fix (``RETURN_FIELDS``): recorded in the trail's details."""
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if not permissions.can_advise(flow, actor):
        _deny(_("Chỉ tổ tư vấn của đơn vị được trả hồ sơ"))
    if not flow.send_back.can_proceed():
        if initiative.state in STAGE_DECISIONS:
            raise ApplicationError(
                _("Hồ sơ đang trước hội đồng: hội đồng quyết định trả lại bằng biểu quyết"),
                code="invalid_state",
            )
        _wrong_state(initiative, "return")
    _require_reason(comment, "return")
    fields = list(dict.fromkeys(fields or []))
    unknown = [f for f in fields if f not in RETURN_FIELDS]
    if unknown:
        raise ValidationError(
            {
                "fields": [
                    _("Không có phần hồ sơ “%(names)s”; chọn trong: %(known)s")
                    % {"names": ", ".join(str(f)[:40] for f in unknown[:5]), "known": ", ".join(RETURN_FIELDS)}
                ]
            }
        )
    source = initiative.state
    flow.send_back()
    initiative.council = None
    initiative.due_at = None
    _save(initiative)
    tasks_sync(initiative)  # the open work follows, in this transaction
    details = {"fields": [f for f in RETURN_FIELDS if f in fields]} if fields else None
    _record(initiative, actor, "return", source, comment=comment, details=details)
    _notify_authors(initiative)
    return initiative


@transaction.atomic(durable=True)
@_batched
def initiative_withdraw(*, initiative_id: int, actor, comment: str = "") -> Initiative:
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if not permissions.can_withdraw(flow, actor):
        _deny(_("Chỉ tác giả được rút sáng kiến"))
    if not flow.withdraw.can_proceed():
        _wrong_state(initiative, "withdraw")
    source = initiative.state
    if initiative.submitted_at is not None:  # it was registered: it no longer is
        progress_withdrawing(initiative)
    flow.withdraw()
    initiative.council = None
    initiative.due_at = None
    initiative.decided_at = timezone.now()
    _save(initiative)
    tasks_sync(initiative)  # the open work follows, in this transaction
    _record(initiative, actor, "withdraw", source, comment=comment)
    return initiative


@transaction.atomic(durable=True)
@_batched
def vote_cast(
    *,
    initiative_id: int,
    actor,
    decision: str,
    score: int | None = None,
    comment: str = "",
    assessed_benefit_vnd=None,
) -> dict:
    """A council member's vote on the stage the initiative is in, optionally with their estimate of
    the yearly benefit (``assessed_benefit_vnd``: on a secret ballot sealed with the decision)."""
    initiative = _lock(initiative_id)
    if initiative.state not in STAGE_DECISIONS:
        raise ApplicationError(
            _("Hồ sơ không ở trước hội đồng nào (trạng thái «%(state)s»)") % {"state": initiative.get_state_display()},
            code="invalid_state",
        )
    council = initiative.council
    flow = InitiativeFlow(initiative)
    authors = permissions.author_ids(flow)
    member = permissions.is_member(user=actor, initiative=initiative, flow=flow)
    substitute = not member and council.pk in seating.substitute_councils(actor, fresh=True)
    if not (member or substitute):
        _deny(_("Bạn không phải thành viên hội đồng %(council_code)s") % {"council_code": council.code})
    if permissions.recused(flow, actor):
        _deny_declined_author(flow, actor)
        _deny(_("Bạn là tác giả của sáng kiến này nên không được biểu quyết"))
    allowed = STAGE_DECISIONS[initiative.state]
    if decision not in allowed:
        raise ValidationError(
            {
                "decision": [
                    _("'%(decision)s' không hợp lệ ở bước này (chọn: %(join_allowed)s)")
                    % {"decision": decision, "join_allowed": ", ".join(allowed)}
                ]
            }
        )
    if decision in (Decision.RETURN, Decision.REJECT):
        _require_reason(comment, decision)
    comment = comment or ""
    if len(comment) > sealing.MAX_COMMENT_CHARS:
        raise ValidationError({"comment": [_("Ý kiến dài quá %(max)d ký tự") % {"max": sealing.MAX_COMMENT_CHARS}]})
    if score is not None and not 0 <= score <= 100:
        raise ValidationError({"score": [_("Điểm phải là số nguyên từ 0 đến 100")]})
    estimate = assessed_benefit(assessed_benefit_vnd)
    session = current_session(initiative)
    if substitute and not seating.sits_in(user=actor, initiative=initiative, session=session, author_ids=authors):
        raise PermissionDenied(
            _(
                "Bạn là người dự khuyết của hội đồng %(council)s nhưng không ngồi thay khi xét hồ sơ này: người dự "
                "khuyết chỉ ngồi thay khi các thành viên là tác giả khiến hội đồng không đủ số phiếu tối thiểu, "
                "theo thứ tự trong danh sách, và chỉ đủ số người còn thiếu."
            )
            % {"council": council.code}
        )
    # a second ballot meets the unique (session, voter) constraint below: 409 already_voted, nothing written
    now = timezone.now()
    secret = session.is_secret  # the ballot the session opened with, not the council's today
    if secret:
        # sealed before anything is written: the decision never reaches the database in the clear
        try:
            key_id, sealed = sealing.seal(
                session_id=session.pk, decision=decision, score=score, comment=comment, estimate=estimate
            )
        except sealing.SealingUnavailable:
            raise ApplicationError(_sealing_unavailable(), code="ballot_sealing_unavailable") from None
    try:
        with transaction.atomic():
            BallotCast.objects.create(session=session, voter=actor, cast_at=now)
            if secret:
                SealedBallot.objects.create(session=session, key_id=key_id, sealed=sealed)
            else:
                Vote.objects.create(
                    session=session,
                    voter=actor,
                    decision=decision,
                    score=score,
                    comment=comment,
                    assessed_benefit_vnd=estimate,
                    cast_at=now,
                )
    except IntegrityError:
        raise ApplicationError(_("Bạn đã biểu quyết rồi"), code="already_voted") from None
    details = {"council": council.code, "ballot": session.ballot, "session": session.pk}
    if getattr(session, "opened_now", False):
        details["opened_session"] = session.pk
    if not secret:
        details.update(decision=decision, score=score)
        if estimate is not None:
            details["assessed_benefit_vnd"] = estimate
    audit_record(
        actor=actor,
        action="vote",
        obj=initiative,
        from_state=initiative.state,
        to_state=initiative.state,
        version=session.dossier_version,
        comment="" if secret else comment,
        details=details,
    )
    receipt = {"initiative": initiative.pk, "council": council.code, "ballot": session.ballot, "recorded": True}
    if not secret:
        receipt.update(
            voter=actor.username, decision=decision, score=score, comment=comment, assessed_benefit_vnd=estimate
        )
    return receipt


def _sealing_unavailable():
    return _(
        "Hội đồng này bỏ phiếu kín nhưng máy chủ chưa có khóa niêm phong phiếu (BALLOT_SEALING_KEY), "
        "nên chưa thể nhận hoặc mở phiếu kín. Xin báo quản trị hệ thống."
    )


def _opened_since_sealing(session: CouncilSession) -> bool:
    """Does the chained trail name ``session`` as opened by this release (``opened_session`` in the
    entry of the forward, close, restart or first vote that opened it)? Then it cannot hold
    decision rows from before ballots were sealed, whatever its ``legacy_votes`` column says."""
    from audit.models import AuditEntry

    return AuditEntry.objects.filter(
        object_type=Initiative._meta.model_name,
        object_id=str(session.initiative_id),
        details__opened_session=session.pk,
    ).exists()


def _refuse_unsealed_rows(session: CouncilSession, rows: int):
    raise ApplicationError(
        _(
            "Phiên bỏ phiếu kín này có %(rows)d phiếu không niêm phong, không do ứng dụng ghi: phiên xét không "
            "thể kết thúc. Xin báo bộ phận kiểm tra; chủ tịch hoặc thư ký có thể mở lại phiên biểu quyết."
        )
        % {"rows": rows},
        code="ballot_integrity",
        extra={"unsealed_rows": rows},
    )


def _open_ballots(session: CouncilSession, casts: int) -> list[Vote]:
    """The decisions of a secret ballot, unsaved and without voters: the session's sealed ballots
    opened, plus the anonymous rows a session open when ballots began to be sealed held then
    (``legacy_votes``, counted by migration 0004; never a session the trail shows was opened
    since). Refuses (and so leaves everything as it was) when any other decision row is there,
    when they do not match the casts, or when they do not open."""
    sealed = list(SealedBallot.objects.filter(session=session).values_list("key_id", "sealed"))
    legacy = list(session.votes.all())
    if legacy and (len(legacy) != session.legacy_votes or _opened_since_sealing(session)):
        _refuse_unsealed_rows(session, len(legacy))
    nonces = {bytes(blob[: sealing.NONCE_BYTES]) for _kid, blob in sealed}
    if len(sealed) + len(legacy) != casts or len(nonces) != len(sealed):
        raise ApplicationError(
            _(
                "Số phiếu kín (%(ballots)d) không khớp với số thành viên đã bỏ phiếu (%(casts)d): phiên xét "
                "không thể kết thúc. Xin báo bộ phận kiểm tra; chủ tịch hoặc thư ký có thể mở lại phiên biểu quyết."
            )
            % {"ballots": len(sealed) + len(legacy), "casts": casts},
            code="ballot_integrity",
        )
    try:
        opened = sealing.unseal_all(session_id=session.pk, ballots=sealed)
    except sealing.SealingUnavailable:
        raise ApplicationError(_sealing_unavailable(), code="ballot_sealing_unavailable") from None
    except sealing.UnsealError:
        raise ApplicationError(
            _(
                "Không mở được phiếu kín của phiên này: phiếu được niêm phong bằng một khóa máy chủ không còn "
                "giữ, hoặc đã bị sửa đổi. Quản trị hệ thống cần khai báo lại khóa cũ (BALLOT_SEALING_OLD_KEYS); "
                "nếu không, chủ tịch hoặc thư ký mở lại phiên biểu quyết."
            ),
            code="ballot_unsealing_failed",
        ) from None
    votes = [
        Vote(session=session, decision=o.decision, score=o.score, comment=o.comment, assessed_benefit_vnd=o.estimate)
        for o in opened
    ]
    votes += [Vote(session=session, decision=v.decision, score=v.score, comment=v.comment) for v in legacy]
    session._legacy_votes = bool(legacy)
    return votes


def _publish_decisions(session: CouncilSession, votes: list[Vote]) -> None:
    """Write a secret ballot's decisions at its close: fresh random keys, no voter, no time, in a
    random order, in the close's transaction (its transaction id, not any vote's), and destroy
    the sealed copies and any earlier anonymous rows."""
    SealedBallot.objects.filter(session=session).delete()
    if getattr(session, "_legacy_votes", True):
        Vote.objects.filter(session=session).delete()
    Vote.objects.bulk_create(
        [
            Vote(
                session=session,
                decision=v.decision,
                score=v.score,
                comment=v.comment,
                assessed_benefit_vnd=v.assessed_benefit_vnd,
            )
            for v in sealing.shuffled(votes)
        ]
    )


def _cast(session: CouncilSession, votes: list | None = None) -> tuple[list[Vote] | None, list[str]]:
    """Who voted (usernames) and, on an open ballot, their votes in cast order. A secret
    ballot's votes are opened only once the quorum is there (``_open_ballots``). ``votes``: the
    session's vote rows with their voters, when already read."""
    if session.is_secret:
        return None, sorted(session.casts.values_list("voter__username", flat=True))
    if votes is None:
        votes = session.votes.select_related("voter")
    votes = sorted(votes, key=lambda v: v.cast_at)
    return votes, [v.voter.username for v in votes]


def _quorum_not_reached(session: CouncilSession, seat, cast: int):
    numbers = {"cast": cast, "quorum": session.quorum}
    message = _("Chưa đủ số phiếu tối thiểu: mới có %(cast)d trên %(quorum)d phiếu cần thiết.") % numbers
    if seat.short and seat.recused:
        message = _(
            "Chưa đủ số phiếu tối thiểu: mới có %(cast)d trên %(quorum)d phiếu cần thiết, và không thể đủ: "
            "%(recused)d thành viên là tác giả của sáng kiến nên không được biểu quyết, chỉ còn %(eligible)d "
            "người được biểu quyết kể cả người dự khuyết ngồi thay. Số phiếu tối thiểu không giảm khi thành viên "
            'phải tránh: hãy bổ sung người dự khuyết cho hội đồng (mục "substitutes" trong tệp cấu trúc), họ sẽ '
            "được mời biểu quyết hồ sơ này."
        ) % {**numbers, "recused": len(seat.recused), "eligible": seat.eligible}
    return ApplicationError(
        message,
        code="quorum_not_reached",
        extra={"votes_cast": cast, "quorum": session.quorum, "eligible": seat.eligible},
    )


def _by_content(v):
    estimate = v.assessed_benefit_vnd if v.assessed_benefit_vnd is not None else -1
    return (v.decision, v.score if v.score is not None else -1, estimate, v.comment)


def _tally(session: CouncilSession, seat, votes: list[Vote], present: list[str]):
    council = session.council
    members, recused, eligible = seat.members, seat.recused, seat.eligible
    counts = Counter(v.decision for v in votes)
    num, den = session.threshold_numerator, session.threshold_denominator
    carried = [d for d, c in counts.items() if eligible and c * den >= num * eligible]
    if len(carried) == 1:
        outcome = carried[0]
    elif carried:
        best = max(counts[d] for d in carried)
        top = [d for d in carried if counts[d] == best]
        outcome = top[0] if len(top) == 1 else Decision.RETURN
    else:
        outcome = Decision.RETURN
    if session.is_secret:
        # by content, never in cast order: the list says what was decided, not by whom
        vote_rows = [
            {"decision": v.decision, "score": v.score, "comment": v.comment}
            | ({"assessed_benefit_vnd": v.assessed_benefit_vnd} if v.assessed_benefit_vnd is not None else {})
            for v in sorted(votes, key=_by_content)
        ]
    else:
        by_user = {m.user_id: m.user for m in members}
        vote_rows = [
            {
                "voter": v.voter.username,
                "voter_name": (by_user.get(v.voter_id) or v.voter).display_name,
                "decision": v.decision,
                "score": v.score,
                "comment": v.comment,
            }
            | ({"assessed_benefit_vnd": v.assessed_benefit_vnd} if v.assessed_benefit_vnd is not None else {})
            for v in votes
        ]
    scores = [v.score for v in votes if v.score is not None]
    minutes = {
        "council": council.code,
        "stage": session.stage,
        "ballot": session.ballot,
        "dossier_version": session.dossier_version,
        "members": len(members),
        "recused": [m.user.username for m in recused],
        "substitutes": [u.username for u in seat.substitutes],
        "eligible": eligible,
        "quorum": session.quorum,
        "threshold": session.threshold_display,
        "votes_cast": len(votes),
        "members_present": present,
        "tally": dict(sorted(counts.items())),
        "votes": vote_rows,
        "average_score": round(sum(scores) / len(scores), 1) if scores else None,
        "carried": sorted(carried),
        "outcome": outcome,
    }
    return outcome, minutes


def _deny_declined_author(flow, actor):
    """A co-author who declined stays recused while listed (``permissions.recused``): say so."""
    if permissions.author_consents(flow).get(actor.pk) == Consent.DECLINED:
        raise PermissionDenied(
            _(
                "Bạn đã từ chối ghi tên nhưng vẫn có tên trong danh sách tác giả của sáng kiến này, nên vẫn phải "
                "tránh: không biểu quyết, không kết thúc và không mở lại phiên xét của nó. Tên bạn chỉ được bỏ khi "
                "hồ sơ trở về bản nháp và được sửa."
            )
        )


def _deny_recused_closer(flow, actor, action: str):
    _deny_declined_author(flow, actor)
    if action == "close":
        raise PermissionDenied(
            _(
                "Bạn là tác giả của sáng kiến này nên không được kết thúc phiên xét của nó: thư ký (hoặc chủ tịch) "
                "hội đồng không phải là tác giả sẽ kết thúc phiên."
            )
        )
    raise PermissionDenied(
        _(
            "Bạn là tác giả của sáng kiến này nên không được mở lại phiên biểu quyết của nó: thư ký (hoặc chủ tịch) "
            "hội đồng không phải là tác giả có thể làm việc này."
        )
    )


def council_assessment(*, closer_value: int | None, votes) -> tuple[int | None, dict | None]:
    """The council's assessed yearly benefit at a close: the closer's value when given, else the
    median of the members' estimates (the mean of the two middle ones, rounded down, for an even
    number), else none. Returns (value, the minutes' account of it)."""
    estimates = sorted(v.assessed_benefit_vnd for v in votes if v.assessed_benefit_vnd is not None)
    if closer_value is not None:
        return closer_value, {"value": closer_value, "source": "closer", "estimates": len(estimates)}
    if not estimates:
        return None, None
    n = len(estimates)
    middle = estimates[n // 2] if n % 2 else (estimates[n // 2 - 1] + estimates[n // 2]) // 2
    return middle, {"value": middle, "source": "members_median", "estimates": n}


def _assess(initiative: Initiative, session: CouncilSession, value: int, now) -> None:
    """Record the council's assessment on the initiative (the latest council's wins) and move the
    progress counters' benefit once, from the value they counted to the assessed one."""
    before = progress_share(initiative, recognised=False)
    initiative.assessed_benefit_vnd = value
    initiative.assessed_at = now
    initiative.assessed_by = session.council
    session.assessed_benefit_vnd = value
    progress_counters_apply(before=before, after=progress_share(initiative, recognised=False))


def _close_queries():
    """The close's reads (``_CloseReads``), each compiled once (``config.sqlbatch.Prepared``)."""
    from config.sqlbatch import Prepared
    from councils.models import Membership, User
    from initiatives.models import InitiativeAuthor

    users = [f.name for f in User._meta.concrete_fields]
    return {
        "authors": Prepared(
            lambda i: (
                InitiativeAuthor.objects.filter(initiative_id=i).exclude(user=None).values_list("user_id", "consent")
            )
        ),
        "session": Prepared(
            lambda i: (
                CouncilSession.objects.filter(initiative_id=i, closed_at__isnull=True)
                .order_by("pk")
                .values_list(*_attnames(CouncilSession))[:1]
            )
        ),
        "members": Prepared(
            lambda c: (
                Membership.objects.filter(council_id=c)
                .order_by("user__username")
                .values_list(*_attnames(Membership), *(f"user__{f}" for f in users))
            )
        ),
        "votes": Prepared(
            lambda i: Vote.objects.filter(session__initiative_id=i, session__closed_at__isnull=True).values_list(
                *_attnames(Vote), *(f"voter__{f}" for f in users)
            )
        ),
        "perms": Prepared(permissions.council_perms_of),
    }


def _attnames(model) -> list[str]:
    return [f.attname for f in model._meta.concrete_fields]


_CLOSE_QUERIES = {}


class _CloseReads:
    """What a close reads of the dossier before deciding, read in ONE round trip after the lock
    (``config.sqlbatch``): the closer's codenames on the council, the authors' consents (both
    recorded on the flow object, where the permission questions find them), the open session, the
    council's members with their users (by username, as ``seating`` reads them) and the open
    sessions' votes with their voters (what ``_cast`` reads of an open ballot)."""

    def __init__(self, initiative: Initiative, flow, actor):
        from config.sqlbatch import fetch_prepared
        from councils.models import Membership, User

        if not _CLOSE_QUERIES:
            _CLOSE_QUERIES.update(_close_queries())
        q = _CLOSE_QUERIES
        council = initiative.council
        held = permissions.council_perms_without_query(actor, council)
        user_fields = [f for f in User._meta.concrete_fields]
        session_names, member_names, vote_names = _attnames(CouncilSession), _attnames(Membership), _attnames(Vote)
        queries = [
            (q["authors"], [initiative.pk]),
            (q["session"], [initiative.pk]),
            (q["members"], [council.pk]),
            (q["votes"], [initiative.pk]),
        ]
        if held is None:
            queries.append((q["perms"], [actor.pk, council.pk, permissions.council_content_type_id()]))
        authors, sessions, members, votes, *perms = fetch_prepared(queries)
        if perms:
            held = {c for (c,) in perms[0]}
        permissions.council_perms_known(flow, actor, council, held)
        permissions.author_consents_known(flow, dict(authors))
        db = Initiative.objects.db
        user_names = [f.attname for f in user_fields]

        def user(values):
            return User.from_db(db, user_names, values) if values[0] is not None else None

        self.session = CouncilSession.from_db(db, session_names, sessions[0]) if sessions else None
        if self.session is not None and self.session.council_id == council.pk:
            self.session.council = council  # already read with the initiative
        self.members = []
        for row in members:
            m = Membership.from_db(db, member_names, row[: len(member_names)])
            m.user = user(row[len(member_names) :])
            self.members.append(m)
        self.votes = []
        seated = {m.user_id: m.user for m in self.members}  # the same rows: a member's vote reuses its user
        for row in votes:
            v = Vote.from_db(db, vote_names, row[: len(vote_names)])
            voter = seated.get(v.voter_id) or user(row[len(vote_names) :])
            if voter is not None:
                v.voter = voter
            self.votes.append(v)

        self.council_id = council.pk

    def members_for(self, session):
        """The members read, when ``session`` is the council's the dossier is before (else None)."""
        return self.members if session.council_id == self.council_id else None

    def votes_for(self, session) -> list:
        return [v for v in self.votes if v.session_id == session.pk]


@transaction.atomic(durable=True)
@_batched
def initiative_close(*, initiative_id: int, actor, comment: str = "", assessed_benefit_vnd=None) -> Initiative:
    """The chair (or secretary) closes the session: quorum, threshold, outcome, minutes — and,
    with ``assessed_benefit_vnd`` or the members' estimates, the council's assessed benefit.
    Its writes that need no answer travel together (``sqlbatch.batched``)."""
    closer_value = assessed_benefit(assessed_benefit_vnd)
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    read = None
    if initiative.state in STAGE_DECISIONS and initiative.council is not None:
        read = _CloseReads(initiative, flow, actor)  # one round trip for all the close reads
    if initiative.state in STAGE_DECISIONS and permissions.is_recused_closer(flow, actor):
        _deny_recused_closer(flow, actor, "close")
    if initiative.state not in STAGE_DECISIONS or not permissions.can_close(flow, actor):
        # a chair whose session someone else closed a moment ago meets a state, not a ban
        councils = {s.council for s in CouncilSession.objects.filter(initiative=initiative).select_related("council")}
        if any(actor.has_perm("councils.close_session", c) for c in councils):
            raise ApplicationError(
                _("Phiên xét đã kết thúc; hồ sơ đang ở trạng thái «%(state)s»")
                % {"state": initiative.get_state_display()},
                code="invalid_state",
                extra={"state": initiative.state},
            )
        _deny(_("Chỉ chủ tịch hoặc thư ký hội đồng được kết thúc phiên xét"))
    if not flow.close.can_proceed():
        _wrong_state(initiative, "close")
    session = read.session if read is not None and read.session is not None else current_session(initiative)
    council = session.council
    # recusal never lowers the quorum: substitutes sit in for recused members (workflow/seating.py)
    seat = seating.session_seating(
        session, author_ids=permissions.author_ids(flow), members=read.members_for(session) if read else None
    )
    votes, present = _cast(session, votes=read.votes_for(session) if read is not None else None)
    if len(present) < session.quorum:
        raise _quorum_not_reached(session, seat, len(present))
    if votes is None:
        votes = _open_ballots(session, len(present))
    outcome, minutes = _tally(session, seat, votes, present)
    if getattr(session, "_legacy_votes", False):  # the trail says how many were never sealed
        minutes["legacy_votes"] = session.legacy_votes
    source = initiative.state
    now = timezone.now()
    next_council = None
    award = None
    if outcome == Decision.APPROVE:
        route = stage_after(organisation=initiative.organisation, state=source)
        if route is None:
            raise ApplicationError(
                _("Không có hội đồng cấp trên để chuyển hồ sơ"),
                code="no_next_council",
            )
        target, next_council = route
    elif outcome == Decision.NOMINATE:
        next_council = nearest_council(organisation=initiative.organisation, kind=CouncilKind.FEDERATION)
        if next_council is None:
            raise ApplicationError(_("Chưa có hội đồng Tổng Liên đoàn"), code="no_next_council")
        target = State.FEDERATION_REVIEW
    elif outcome == Decision.CERTIFY:
        target = State.SECTOR_CERTIFIED if source == State.SECTOR_REVIEW else State.FEDERATION_CERTIFIED
        award = "sector_certificate" if source == State.SECTOR_REVIEW else "federation_certificate"
    elif outcome == Decision.REJECT:
        target = State.REJECTED
    else:
        target = State.DRAFT
    if next_council is not None:  # before another council: its seats' co-authors must have answered
        _refuse_coauthors(flow, pending=True)
    reasons = comment.strip()
    if outcome in (Decision.RETURN, Decision.REJECT) and not reasons:
        # joined in text order, never in cast order (which the trail's vote entries give)
        reasons = "\n".join(sorted(v.comment for v in votes if v.decision == outcome and v.comment)).strip()
        if not reasons:
            with translation.override(settings.LANGUAGE_CODE):  # stored in the minutes: one language
                reasons = _("Không có quyết định nào đạt tỷ lệ biểu quyết cần thiết; hồ sơ được trả lại để hoàn thiện")
    minutes["closed_by"] = actor.username
    minutes["closed_at"] = now.isoformat()
    minutes["comment"] = reasons
    assessed, assessment = council_assessment(closer_value=closer_value, votes=votes)
    if assessment is not None:
        minutes["assessed_benefit_vnd"] = assessed
        minutes["assessment"] = {**assessment, "declared_benefit_vnd": initiative.benefit_value_vnd}
        _assess(initiative, session, assessed, now)
    if award:
        from awards.actions import certificate_issue

        certificate = certificate_issue(initiative=initiative, award=award, actor=actor, council=council)
        minutes["certificate"] = getattr(certificate, "serial", None)
    flow.close(to=target)
    if session.is_secret:
        _publish_decisions(session, votes)
    session.closed_at = now
    session.closed_by = actor
    session.outcome = outcome
    session.minutes = minutes
    sqlbatch.execute(
        *sqlbatch.update_statement(session, ["closed_at", "closed_by", "outcome", "minutes", "assessed_benefit_vnd"])
    )
    if outcome in (Decision.APPROVE, Decision.NOMINATE, Decision.CERTIFY) and initiative.recognised_at is None:
        initiative.recognised_at = now  # the first council approval recognises it
        progress_recognised(initiative)
    details = minutes
    notices = []
    if next_council is not None:
        details = {**minutes, "opened_session": _open_session(initiative, next_council, target, notices).pk}
    else:
        initiative.council = None
        initiative.due_at = None
    if target in (State.REJECTED, State.SECTOR_CERTIFIED, State.FEDERATION_CERTIFIED):
        initiative.decided_at = now
    _save(initiative)
    tasks_sync(initiative, authors=permissions.author_consents(flow).items())  # the open work, in this transaction
    _record(initiative, actor, "close", source, comment=reasons, version=session.dossier_version, details=details)
    _notify_authors(initiative, notices)
    return initiative


def _notify_authors(initiative: Initiative, notices: list | None = None) -> None:
    """The authors' notice, after the ``notices`` the action gathered: their outbox rows in one insert."""
    from notifications.outbox import outbox_enqueue_many

    from .tasks import notify_decision

    outbox_enqueue_many([*(notices or []), (notify_decision, {"initiative_id": initiative.pk})])


@transaction.atomic(durable=True)
def session_remind(*, session_id: int, now=None) -> str:
    """Send a session's deadline reminder or overdue notice, once each. Returns what was sent."""
    now = now or timezone.now()
    session = (
        CouncilSession.objects.select_for_update(skip_locked=True)
        .filter(pk=session_id, closed_at__isnull=True)
        .select_related("initiative", "council")
        .first()
    )
    if session is None:
        return ""
    from .tasks import notify_deadline

    if session.due_at <= now and session.overdue_notified_at is None:
        session.overdue_notified_at = now
        session.save(update_fields=["overdue_notified_at"])
        audit_record(
            actor=None,
            action="overdue",
            obj=session.initiative,
            from_state=session.initiative.state,
            to_state=session.initiative.state,
            details={"council": session.council.code, "due_at": session.due_at.isoformat()},
        )
        _on_commit(notify_deadline, session_id=session.pk, kind="overdue")
        return "overdue"
    if now < session.due_at <= now + timedelta(days=7) and session.reminded_at is None:
        session.reminded_at = now
        session.save(update_fields=["reminded_at"])
        _on_commit(notify_deadline, session_id=session.pk, kind="reminder")
        return "reminder"
    return ""


@transaction.atomic(durable=True)
def session_restart(*, initiative_id: int, actor, comment: str = "") -> Initiative:
    """The chair (or secretary) voids the open session's votes and opens a new round at the same
    stage, with reasons — e.g. after ``quota_exhausted``, when the council must decide otherwise.
    The deadline stays where the law put it (arrival + decision days). Audited as ``restart``."""
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if initiative.state in STAGE_DECISIONS and permissions.is_recused_closer(flow, actor):
        _deny_recused_closer(flow, actor, "restart")
    if initiative.state not in STAGE_DECISIONS or not permissions.can_close(flow, actor):
        _deny(_("Chỉ chủ tịch hoặc thư ký hội đồng được mở lại phiên biểu quyết"))
    _require_reason(comment, "restart")
    session = current_session(initiative)
    cast = session.casts.count()
    if cast == 0:
        raise ApplicationError(_("Chưa có phiếu nào để hủy"), code="invalid_state")
    now = timezone.now()
    session.closed_at = now
    session.closed_by = actor
    session.minutes = {
        "council": session.council.code,
        "stage": session.stage,
        "voided": True,
        "votes_cast": cast,
        "reason": comment,
        "closed_by": actor.username,
        "closed_at": now.isoformat(),
    }
    session.save(update_fields=["closed_at", "closed_by", "minutes"])
    if session.is_secret:  # a voided secret round keeps who voted and how many, never what
        SealedBallot.objects.filter(session=session).delete()
        Vote.objects.filter(session=session).delete()
    fresh = CouncilSession.objects.create(
        initiative=initiative,
        council=session.council,
        stage=session.stage,
        dossier_version=initiative.dossier_version,
        opened_at=now,
        due_at=session.due_at,
        **session.rules(),  # a new round of the same session: the rules it opened with
    )
    from .tasks import notify_session_opened

    _on_commit(notify_session_opened, session_id=fresh.pk)
    _record(
        initiative,
        actor,
        "restart",
        initiative.state,
        comment=comment,
        details={
            "council": session.council.code,
            "voided_votes": cast,
            "due_at": session.due_at.isoformat(),
            "opened_session": fresh.pk,
        },
    )
    return initiative


# The trail's signed checkpoints --------------------------------------------------------------


def can_oversee_trail(*, user) -> bool:
    """Auditors and admins of any organisation verify the whole trail and list and make its
    checkpoints (a checkpoint reveals no content: hashes and counts per scope)."""
    from councils.models import Role
    from councils.selectors import holds_role_anywhere

    return holds_role_anywhere(user=user, roles=(Role.AUDITOR, Role.ADMIN))


@transaction.atomic(durable=True)
def trail_checkpoint_create(*, actor=None):
    """Sign the trail's head (``audit_checkpoint_create``) and mail the new checkpoint to the
    topmost auditors on commit. ``actor`` None: the schedule or the command. Returns
    ``(checkpoint, created)``; ``created`` is False when nothing was appended since the last."""
    from django.utils.translation import gettext

    from audit.actions import audit_checkpoint_create
    from audit.signing import AuditRefused

    if actor is not None and not can_oversee_trail(user=actor):
        raise PermissionDenied(gettext("Chỉ người kiểm tra hoặc quản trị mới được tạo mốc kiểm toán"))
    try:
        checkpoint, created = audit_checkpoint_create()
    except AuditRefused as e:
        raise ApplicationError(e.detail, code=e.code) from e
    if created:
        from .tasks import mail_audit_checkpoint

        _on_commit(mail_audit_checkpoint, checkpoint_id=checkpoint.pk)
    return checkpoint, created


# --- duplicate marks (issue 11) -----------------------------------------------------------------

MARK_COMMENT_MAX = 10000


def duplicate_mark_create(*, initiative_id: int, actor, verdict: str, of, comment: str = ""):
    """Record that ``initiative`` is (``duplicate``) or is not (``not_duplicate``) the same idea as
    dossier ``of``, with a comment (required for ``duplicate``); audited on the dossier. The
    advisory team of its unit and the members of a council it is or was before
    (``selectors.may_mark_duplicates``) — 403 for anyone else. ``of`` must be another dossier the
    actor may see (400 naming ``of`` otherwise). Every mark is kept; between two dossiers the latest
    stands — a dossier standing marked a duplicate of an earlier recognised one is not certified
    (``awards.actions.certificate_issue`` answers 409 ``duplicate``)."""
    from initiatives.models import DuplicateMark, DuplicateVerdict

    from .selectors import initiative_get_visible, may_mark_duplicates

    with transaction.atomic():
        initiative = _lock(initiative_id)
        if not may_mark_duplicates(user=actor, initiative=initiative):
            _deny(_("Chỉ tổ tư vấn của đơn vị hoặc thành viên hội đồng xét hồ sơ này mới được đánh dấu trùng"))
        errors = {}
        if verdict not in DuplicateVerdict.values:
            errors["verdict"] = [_("Kết luận phải là “duplicate” (trùng) hoặc “not_duplicate” (không trùng)")]
        other = None
        raw = str(of if of is not None else "").strip()
        if not raw:
            errors["of"] = [_("Cần chọn hồ sơ bị trùng (of)")]
        elif not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**63:
            errors["of"] = [_("Mã hồ sơ (of) phải là số nguyên dương")]
        elif int(raw) == initiative.pk:
            errors["of"] = [_("Không thể đánh dấu một hồ sơ trùng với chính nó")]
        else:
            try:
                other = initiative_get_visible(user=actor, pk=int(raw))
            except Initiative.DoesNotExist:
                errors["of"] = [_("Không có hồ sơ mã %(of)s, hoặc bạn không được xem hồ sơ đó") % {"of": raw}]
        comment = (comment or "").strip()
        if len(comment) > MARK_COMMENT_MAX:
            errors["comment"] = [_("Ý kiến dài tối đa %(n)d ký tự") % {"n": MARK_COMMENT_MAX}]
        elif verdict == DuplicateVerdict.DUPLICATE and not comment:
            errors["comment"] = [_("Cần ghi ý kiến khi kết luận hồ sơ trùng")]
        if errors:
            raise ValidationError(errors)
        mark = DuplicateMark.objects.create(
            initiative=initiative, of=other, verdict=verdict, comment=comment, by=actor, at=timezone.now()
        )
        audit_record(
            actor=actor,
            action="duplicate_mark",
            obj=initiative,
            from_state=initiative.state,
            to_state=initiative.state,
            version=initiative.dossier_version,
            comment=comment,
            details={"mark": mark.pk, "verdict": verdict, "of": other.pk},
        )
    return mark

"""The lifecycle's actions: one function per step, each in one transaction that locks the
initiative row, checks permission (against this council, this organisation) and state, changes,
records the audit entry and schedules notifications on commit."""

from collections import Counter
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from audit.actions import audit_record
from councils.models import Ballot, CouncilKind, Membership
from councils.selectors import advisory_team_for, nearest_council
from initiatives.actions import dossier_freeze, refuse_if_coauthor_declined
from initiatives.counters import progress_recognised, progress_registered, progress_withdrawing
from initiatives.exceptions import ApplicationError
from initiatives.models import Initiative, State
from initiatives.routing import first_stage, stage_after

from . import permissions
from .flows import STAGE_DECISIONS, InitiativeFlow
from .models import BallotCast, CouncilSession, Decision, Vote


def _bi(vi, en):
    return f"{vi} / {en}"


def _lock(initiative_id: int) -> Initiative:
    return (
        Initiative.objects.select_for_update(of=("self",))
        .select_related("organisation", "council")
        .get(pk=initiative_id)
    )


def _deny(vi, en):
    raise PermissionDenied(_bi(vi, en))


def _wrong_state(initiative, action):
    raise ApplicationError(
        _bi(
            f"Không thể '{action}' khi hồ sơ đang ở trạng thái '{initiative.state}'",
            f"Cannot '{action}' while the initiative is in '{initiative.state}'",
        ),
        code="invalid_state",
        extra={"state": initiative.state},
    )


def _require_reason(comment, action):
    if not (comment or "").strip():
        raise ValidationError(
            {"comment": [_bi(f"'{action}' cần nêu lý do bằng văn bản", f"'{action}' needs written reasons")]}
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


def _on_commit(task, **kwargs):
    transaction.on_commit(lambda: task.delay(**kwargs))


def _open_session(initiative: Initiative, council, stage: str) -> CouncilSession:
    now = timezone.now()
    session = CouncilSession.objects.create(
        initiative=initiative,
        council=council,
        stage=stage,
        dossier_version=initiative.dossier_version,
        opened_at=now,
        due_at=now + timedelta(days=council.decision_days),
    )
    initiative.council = council
    initiative.due_at = session.due_at
    from .tasks import notify_session_opened

    _on_commit(notify_session_opened, session_id=session.pk)
    return session


def current_session(initiative: Initiative) -> CouncilSession:
    """The open session of the council the dossier is before (opened now for dossiers that
    arrived without one, e.g. imported from a register)."""
    session = CouncilSession.objects.filter(initiative=initiative, closed_at__isnull=True).first()
    if session is None:
        now = timezone.now()
        session = CouncilSession.objects.create(
            initiative=initiative,
            council=initiative.council,
            stage=initiative.state,
            dossier_version=initiative.dossier_version,
            opened_at=now,
            due_at=initiative.due_at or now + timedelta(days=initiative.council.decision_days),
        )
    return session


@transaction.atomic(durable=True)
def initiative_submit(*, initiative_id: int, actor, comment: str = "") -> Initiative:
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if not permissions.can_submit(flow, actor):
        _deny(
            "Chỉ tác giả, tổ tư vấn hoặc cán bộ công đoàn của đơn vị được nộp hồ sơ",
            "Only an author, the advisory team or an officer of the unit may submit",
        )
    if not flow.submit.can_proceed():
        _wrong_state(initiative, "submit")
    refuse_if_coauthor_declined(initiative)
    team = advisory_team_for(organisation=initiative.organisation)
    if team is None:
        raise ApplicationError(
            _bi(
                "Đơn vị và các cấp trên chưa có tổ tư vấn hỗ trợ sáng kiến",
                "Neither the unit nor any organisation above it has an advisory team",
            ),
            code="no_advisory_team",
        )
    source = initiative.state
    now = timezone.now()
    version = dossier_freeze(initiative=initiative, actor=actor, at=now)
    flow.submit()
    first = initiative.submitted_at is None
    initiative.submitted_at = initiative.submitted_at or now  # registered at its first submission
    initiative.council = team
    initiative.due_at = None
    initiative.save()
    if first:
        progress_registered(initiative)
    _record(
        initiative,
        actor,
        "submit",
        source,
        comment=comment,
        details={"advisory_team": team.code, "dossier_digest": version.digest},
    )
    from .tasks import notify_advisory_team

    _on_commit(notify_advisory_team, initiative_id=initiative.pk)
    return initiative


@transaction.atomic(durable=True)
def initiative_forward(*, initiative_id: int, actor, comment: str = "") -> Initiative:
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if not permissions.can_advise(flow, actor):
        _deny("Chỉ tổ tư vấn của đơn vị được chuyển hồ sơ", "Only the unit's advisory team may forward")
    if not flow.forward.can_proceed():
        _wrong_state(initiative, "forward")
    refuse_if_coauthor_declined(initiative)
    route = first_stage(organisation=initiative.organisation)
    if route is None:
        raise ApplicationError(
            _bi("Không có hội đồng nào để xét hồ sơ này", "No council is set up to judge this initiative"),
            code="no_council",
        )
    stage, council = route
    source = initiative.state
    flow.forward(to=stage)
    _open_session(initiative, council, stage)
    initiative.save()
    _record(
        initiative,
        actor,
        "forward",
        source,
        comment=comment,
        details={"council": council.code, "due_at": initiative.due_at.isoformat()},
    )
    _notify_authors(initiative)
    return initiative


@transaction.atomic(durable=True)
def initiative_return(*, initiative_id: int, actor, comment: str = "") -> Initiative:
    """The advisory team sends the dossier back to its authors, with reasons."""
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if not permissions.can_advise(flow, actor):
        _deny("Chỉ tổ tư vấn của đơn vị được trả hồ sơ", "Only the unit's advisory team may return a dossier")
    if not flow.send_back.can_proceed():
        if initiative.state in STAGE_DECISIONS:
            raise ApplicationError(
                _bi(
                    "Hồ sơ đang trước hội đồng: hội đồng quyết định trả lại bằng biểu quyết",
                    "The dossier is before a council: the council returns it by its vote",
                ),
                code="invalid_state",
            )
        _wrong_state(initiative, "return")
    _require_reason(comment, "return")
    source = initiative.state
    flow.send_back()
    initiative.council = None
    initiative.due_at = None
    initiative.save()
    _record(initiative, actor, "return", source, comment=comment)
    _notify_authors(initiative)
    return initiative


@transaction.atomic(durable=True)
def initiative_withdraw(*, initiative_id: int, actor, comment: str = "") -> Initiative:
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if not permissions.can_withdraw(flow, actor):
        _deny("Chỉ tác giả được rút sáng kiến", "Only an author may withdraw the initiative")
    if not flow.withdraw.can_proceed():
        _wrong_state(initiative, "withdraw")
    source = initiative.state
    if initiative.submitted_at is not None:  # it was registered: it no longer is
        progress_withdrawing(initiative)
    flow.withdraw()
    initiative.council = None
    initiative.due_at = None
    initiative.decided_at = timezone.now()
    initiative.save()
    _record(initiative, actor, "withdraw", source, comment=comment)
    return initiative


@transaction.atomic(durable=True)
def vote_cast(*, initiative_id: int, actor, decision: str, score: int | None = None, comment: str = "") -> dict:
    """A council member's vote on the stage the initiative is in."""
    initiative = _lock(initiative_id)
    if initiative.state not in STAGE_DECISIONS:
        raise ApplicationError(
            _bi(
                f"Hồ sơ không ở trước hội đồng nào (trạng thái '{initiative.state}')",
                f"The initiative is not before a council (state '{initiative.state}')",
            ),
            code="invalid_state",
        )
    council = initiative.council
    if not permissions.is_member(user=actor, initiative=initiative):
        _deny(
            f"Bạn không phải thành viên hội đồng {council.code}", f"You are not a member of the council {council.code}"
        )
    if permissions.is_recused(user=actor, initiative=initiative):
        _deny(
            "Bạn là tác giả của sáng kiến này nên không được biểu quyết",
            "You are an author of this initiative, so you are recused from voting",
        )
    allowed = STAGE_DECISIONS[initiative.state]
    if decision not in allowed:
        raise ValidationError(
            {
                "decision": [
                    _bi(
                        f"'{decision}' không hợp lệ ở bước này (chọn: {', '.join(allowed)})",
                        f"'{decision}' is not a decision at this stage (one of: {', '.join(allowed)})",
                    )
                ]
            }
        )
    if decision in (Decision.RETURN, Decision.REJECT):
        _require_reason(comment, decision)
    session = current_session(initiative)
    if BallotCast.objects.filter(session=session, voter=actor).exists():
        raise ApplicationError(_bi("Bạn đã biểu quyết rồi", "You have already voted"), code="already_voted")
    now = timezone.now()
    secret = council.ballot == Ballot.SECRET
    try:
        with transaction.atomic():
            BallotCast.objects.create(session=session, voter=actor, cast_at=now)
            Vote.objects.create(
                session=session,
                voter=None if secret else actor,
                decision=decision,
                score=score,
                comment=comment,
                cast_at=None if secret else now,
            )
    except IntegrityError:
        raise ApplicationError(_bi("Bạn đã biểu quyết rồi", "You have already voted"), code="already_voted") from None
    details = {"council": council.code, "ballot": council.ballot, "session": session.pk}
    if not secret:
        details.update(decision=decision, score=score)
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
    receipt = {"initiative": initiative.pk, "council": council.code, "ballot": council.ballot, "recorded": True}
    if not secret:
        receipt.update(voter=actor.username, decision=decision, score=score, comment=comment)
    return receipt


def _tally(session: CouncilSession, initiative: Initiative):
    council = session.council
    votes = list(session.votes.all())
    members = list(Membership.objects.filter(council=council).select_related("user").order_by("user__username"))
    author_ids = set(initiative.authors.exclude(user=None).values_list("user_id", flat=True))
    recused = [m for m in members if m.user_id in author_ids]
    eligible = len(members) - len(recused)
    counts = Counter(v.decision for v in votes)
    num, den = council.threshold_numerator, council.threshold_denominator
    carried = [d for d, c in counts.items() if eligible and c * den >= num * eligible]
    if len(carried) == 1:
        outcome = carried[0]
    elif carried:
        best = max(counts[d] for d in carried)
        top = [d for d in carried if counts[d] == best]
        outcome = top[0] if len(top) == 1 else Decision.RETURN
    else:
        outcome = Decision.RETURN
    secret = council.ballot == Ballot.SECRET
    if secret:
        listed = sorted(votes, key=lambda v: (v.decision, v.score if v.score is not None else -1, v.comment))
        vote_rows = [{"decision": v.decision, "score": v.score, "comment": v.comment} for v in listed]
        present = sorted(session.casts.values_list("voter__username", flat=True))
    else:
        by_user = {m.user_id: m.user for m in members}
        listed = sorted(votes, key=lambda v: v.cast_at)
        vote_rows = [
            {
                "voter": v.voter.username if v.voter_id else None,
                "voter_name": (by_user.get(v.voter_id) or v.voter).display_name if v.voter_id else None,
                "decision": v.decision,
                "score": v.score,
                "comment": v.comment,
            }
            for v in listed
        ]
        present = [row["voter"] for row in vote_rows]
    scores = [v.score for v in votes if v.score is not None]
    minutes = {
        "council": council.code,
        "stage": session.stage,
        "ballot": council.ballot,
        "dossier_version": session.dossier_version,
        "members": len(members),
        "recused": [m.user.username for m in recused],
        "eligible": eligible,
        "quorum": council.quorum,
        "threshold": council.threshold_display,
        "votes_cast": len(votes),
        "members_present": present,
        "tally": dict(sorted(counts.items())),
        "votes": vote_rows,
        "average_score": round(sum(scores) / len(scores), 1) if scores else None,
        "carried": sorted(carried),
        "outcome": outcome,
    }
    return outcome, minutes, votes


@transaction.atomic(durable=True)
def initiative_close(*, initiative_id: int, actor, comment: str = "") -> Initiative:
    """The chair (or secretary) closes the session: quorum, threshold, outcome, minutes."""
    initiative = _lock(initiative_id)
    flow = InitiativeFlow(initiative)
    if initiative.state not in STAGE_DECISIONS or not permissions.can_close(flow, actor):
        # a chair whose session someone else closed a moment ago meets a state, not a ban
        councils = {s.council for s in CouncilSession.objects.filter(initiative=initiative).select_related("council")}
        if any(actor.has_perm("councils.close_session", c) for c in councils):
            raise ApplicationError(
                _bi(
                    f"Phiên xét đã kết thúc; hồ sơ đang ở trạng thái '{initiative.state}'",
                    f"The session is already closed; the initiative is now in '{initiative.state}'",
                ),
                code="invalid_state",
                extra={"state": initiative.state},
            )
        _deny(
            "Chỉ chủ tịch hoặc thư ký hội đồng được kết thúc phiên xét",
            "Only the council's chair or secretary may close",
        )
    if not flow.close.can_proceed():
        _wrong_state(initiative, "close")
    session = current_session(initiative)
    council = session.council
    outcome, minutes, votes = _tally(session, initiative)
    # recused members cannot vote, so they cannot be needed for the quorum either
    quorum = max(1, min(council.quorum, minutes["eligible"]))
    if len(votes) < quorum:
        raise ApplicationError(
            _bi(
                f"Chưa đủ số phiếu tối thiểu: {len(votes)}/{quorum}",
                f"Quorum not reached: {len(votes)} of {quorum} votes cast",
            ),
            code="quorum_not_reached",
            extra={"votes_cast": len(votes), "quorum": quorum},
        )
    minutes["quorum"] = quorum
    source = initiative.state
    now = timezone.now()
    next_council = None
    award = None
    if outcome == Decision.APPROVE:
        route = stage_after(organisation=initiative.organisation, state=source)
        if route is None:
            raise ApplicationError(
                _bi("Không có hội đồng cấp trên để chuyển hồ sơ", "There is no council above to send the dossier to"),
                code="no_next_council",
            )
        target, next_council = route
    elif outcome == Decision.NOMINATE:
        next_council = nearest_council(organisation=initiative.organisation, kind=CouncilKind.FEDERATION)
        if next_council is None:
            raise ApplicationError(
                _bi("Chưa có hội đồng Tổng Liên đoàn", "No federation council is set up"), code="no_next_council"
            )
        target = State.FEDERATION_REVIEW
    elif outcome == Decision.CERTIFY:
        target = State.SECTOR_CERTIFIED if source == State.SECTOR_REVIEW else State.FEDERATION_CERTIFIED
        award = "sector_certificate" if source == State.SECTOR_REVIEW else "federation_certificate"
    elif outcome == Decision.REJECT:
        target = State.REJECTED
    else:
        target = State.DRAFT
    reasons = comment.strip()
    if outcome in (Decision.RETURN, Decision.REJECT) and not reasons:
        reasons = "\n".join(v.comment for v in votes if v.decision == outcome and v.comment).strip()
        if not reasons:
            reasons = _bi(
                "Không có quyết định nào đạt tỷ lệ biểu quyết cần thiết; hồ sơ được trả lại để hoàn thiện",
                "No decision reached the council's threshold; the dossier is returned for revision",
            )
    minutes["closed_by"] = actor.username
    minutes["closed_at"] = now.isoformat()
    minutes["comment"] = reasons
    if award:
        from awards.actions import certificate_issue

        certificate = certificate_issue(initiative=initiative, award=award, actor=actor, council=council)
        minutes["certificate"] = getattr(certificate, "serial", None)
    flow.close(to=target)
    session.closed_at = now
    session.closed_by = actor
    session.outcome = outcome
    session.minutes = minutes
    session.save(update_fields=["closed_at", "closed_by", "outcome", "minutes"])
    if outcome in (Decision.APPROVE, Decision.NOMINATE, Decision.CERTIFY) and initiative.recognised_at is None:
        initiative.recognised_at = now  # the first council approval recognises it
        progress_recognised(initiative)
    if next_council is not None:
        _open_session(initiative, next_council, target)
    else:
        initiative.council = None
        initiative.due_at = None
    if target in (State.REJECTED, State.SECTOR_CERTIFIED, State.FEDERATION_CERTIFIED):
        initiative.decided_at = now
    initiative.save()
    _record(initiative, actor, "close", source, comment=reasons, version=session.dossier_version, details=minutes)
    _notify_authors(initiative)
    return initiative


def _notify_authors(initiative: Initiative) -> None:
    from .tasks import notify_decision

    _on_commit(notify_decision, initiative_id=initiative.pk)


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
    if initiative.state not in STAGE_DECISIONS or not permissions.can_close(flow, actor):
        _deny(
            "Chỉ chủ tịch hoặc thư ký hội đồng được mở lại phiên biểu quyết",
            "Only the council's chair or secretary may restart the vote",
        )
    _require_reason(comment, "restart")
    session = current_session(initiative)
    cast = session.casts.count()
    if cast == 0:
        raise ApplicationError(_bi("Chưa có phiếu nào để hủy", "There are no votes to void yet"), code="invalid_state")
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
    fresh = CouncilSession.objects.create(
        initiative=initiative,
        council=session.council,
        stage=session.stage,
        dossier_version=initiative.dossier_version,
        opened_at=now,
        due_at=session.due_at,
    )
    from .tasks import notify_session_opened

    _on_commit(notify_session_opened, session_id=fresh.pk)
    _record(
        initiative,
        actor,
        "restart",
        initiative.state,
        comment=comment,
        details={"council": session.council.code, "voided_votes": cast, "due_at": session.due_at.isoformat()},
    )
    return initiative

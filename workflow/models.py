"""Council sessions and votes.

A session opens when a dossier reaches a council stage and closes with the minutes. On an open
ballot each ``Vote`` names its voter and is written when it is cast. On a secret ballot a vote
writes only ``BallotCast`` (who voted: the double-vote guard and the quorum) and a
``SealedBallot`` (the decision encrypted, see ``workflow/sealing.py``); the close opens the sealed
ballots and writes the decisions as ``Vote`` rows with no voter and no time, in a random order,
in its own transaction, then deletes the sealed ones. So no row, key, order, time or transaction
id links a person to a decision.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from councils.models import Ballot, Council
from initiatives.models import Initiative


class Decision(models.TextChoices):
    APPROVE = "approve", _("Công nhận, chuyển cấp trên")
    RETURN = "return", _("Trả lại để bổ sung")
    REJECT = "reject", _("Không công nhận")
    CERTIFY = "certify", _("Cấp chứng nhận hoặc bằng")
    NOMINATE = "nominate", _("Đề nghị Tổng Liên đoàn xét")


class CouncilSession(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="sessions")
    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="sessions")
    stage = models.CharField(max_length=30)
    dossier_version = models.PositiveIntegerField(default=0)
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField(db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    outcome = models.CharField(max_length=20, blank=True, choices=Decision.choices)
    minutes = models.JSONField(default=dict, blank=True)
    # the council's assessment of the yearly benefit given at this close (the closer's, or the
    # median of the members' estimates); also on the initiative and in the minutes
    assessed_benefit_vnd = models.BigIntegerField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    overdue_notified_at = models.DateTimeField(null=True, blank=True)
    # The council's rules as they stood when the session opened: votes, tally and close follow
    # these, so a change to the council only touches sessions opened afterwards.
    ballot = models.CharField(max_length=10, choices=Ballot.choices)
    quorum = models.PositiveIntegerField()
    threshold_numerator = models.PositiveIntegerField()
    threshold_denominator = models.PositiveIntegerField()
    decision_days = models.PositiveIntegerField()
    # How many anonymous decision rows this secret session held when ballots began to be sealed
    # (set by migration 0004 for the sessions then open, and never by the application): only
    # those are counted at the close. Any other decision row in an open secret session is a
    # forgery (409 ``ballot_integrity``). The chained entry of the step that opens a session
    # names it (``opened_session``), so a session opened since cannot pass for one of these.
    legacy_votes = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("phiên xét của hội đồng")
        verbose_name_plural = _("phiên xét của hội đồng")
        constraints = [
            models.UniqueConstraint(
                fields=["initiative"], condition=Q(closed_at__isnull=True), name="one_open_session_per_initiative"
            ),
            models.CheckConstraint(
                condition=Q(threshold_numerator__gt=0) & Q(threshold_numerator__lte=models.F("threshold_denominator")),
                name="session_threshold_in_0_1",
            ),
        ]
        indexes = [models.Index(fields=["council", "closed_at"])]

    def __str__(self):
        return f"{self.council.code} — {self.initiative_id} ({self.stage})"

    @property
    def is_open(self):
        return self.closed_at is None

    @property
    def is_secret(self) -> bool:
        return self.ballot == Ballot.SECRET

    @property
    def threshold_display(self) -> str:
        return f"{self.threshold_numerator}/{self.threshold_denominator}"

    @staticmethod
    def rules_of(council: Council) -> dict:
        """The rules a session opening now before ``council`` keeps until it closes."""
        return {
            "ballot": council.ballot,
            "quorum": council.quorum,
            "threshold_numerator": council.threshold_numerator,
            "threshold_denominator": council.threshold_denominator,
            "decision_days": council.decision_days,
        }

    def rules(self) -> dict:
        """This session's own rules (a restarted round keeps them)."""
        return {field: getattr(self, field) for field in RULE_FIELDS}


RULE_FIELDS = ("ballot", "quorum", "threshold_numerator", "threshold_denominator", "decision_days")


class Vote(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(CouncilSession, on_delete=models.CASCADE, related_name="votes")
    # null on a secret ballot: the decision is never linked to a person
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision = models.CharField(max_length=20, choices=Decision.choices)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)
    # the member's estimate of the yearly benefit, if they gave one (on a secret ballot sealed with
    # the decision and published with it at the close, anonymously)
    assessed_benefit_vnd = models.BigIntegerField(null=True, blank=True)
    cast_at = models.DateTimeField(null=True, blank=True)  # null on a secret ballot

    class Meta:
        verbose_name = _("phiếu biểu quyết")
        verbose_name_plural = _("phiếu biểu quyết")
        constraints = [
            models.UniqueConstraint(
                fields=["session", "voter"], condition=Q(voter__isnull=False), name="one_vote_per_member"
            )
        ]

    def __str__(self):
        return f"{self.session_id}: {self.decision}"


class SealedBallot(models.Model):
    """A secret ballot between the vote and the close: the decision, score and comment sealed
    with the ballot key (AES-256-GCM, fixed length), bound to the session. No voter, no time, a
    random key. The close deletes it; so does a restart that voids the round."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    session = models.ForeignKey(CouncilSession, on_delete=models.CASCADE, related_name="sealed_ballots")
    key_id = models.CharField(max_length=16)
    sealed = models.BinaryField()

    def __str__(self):
        return f"{self.session_id}: sealed"


class BallotCast(models.Model):
    """Who has voted in a session (secret and open ballots alike), never what."""

    session = models.ForeignKey(CouncilSession, on_delete=models.CASCADE, related_name="casts")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "voter"], name="one_ballot_per_member")]

    def __str__(self):
        return f"{self.session_id}: {self.voter_id}"


# --- council meetings: one sitting that decides several dossiers, with one set of minutes ---------


class MeetingItemStatus(models.TextChoices):
    PENDING = "pending", _("Chờ hội đồng quyết định")
    DECIDED = "decided", _("Đã quyết định tại cuộc họp")
    DECIDED_BEFORE = "decided_before", _("Đã quyết định trước khi kết thúc cuộc họp")
    STAYED_OPEN = "stayed_open", _("Chưa quyết định được, phiên xét vẫn mở")


class CouncilMeeting(models.Model):
    """A sitting of a council (date, place) with an agenda of the dossiers before it. Its close
    closes every item that can be closed, each as the dossier's own close would; the minutes of the
    meeting (``minutes``) are written then and never change."""

    council = models.ForeignKey(Council, on_delete=models.PROTECT, related_name="meetings")
    held_on = models.DateField(_("ngày họp"))
    place = models.CharField(_("địa điểm"), max_length=255)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scheduled_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("cuộc họp hội đồng")
        verbose_name_plural = _("cuộc họp hội đồng")
        indexes = [models.Index(fields=["council", "held_on"])]

    def __str__(self):
        return f"{self.council.code} — {self.held_on:%d/%m/%Y}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def audit_scope_path(self):
        return self.council.organisation.path


class CouncilMeetingItem(models.Model):
    """One dossier on a meeting's agenda: the council session it is decided in (the one open when
    the meeting was scheduled, or the round that replaced it), and, after the meeting's close, what
    became of it — decided (``outcome``) or left open with the reason (``reason_code`` and the
    reason in each language of the site, ``reason``)."""

    meeting = models.ForeignKey(CouncilMeeting, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField()
    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="meeting_items")
    session = models.ForeignKey(CouncilSession, on_delete=models.PROTECT, related_name="meeting_items")
    status = models.CharField(max_length=20, choices=MeetingItemStatus.choices, default=MeetingItemStatus.PENDING)
    outcome = models.CharField(max_length=20, blank=True, choices=Decision.choices)
    reason_code = models.CharField(max_length=60, blank=True)
    reason = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("mục trong chương trình họp")
        verbose_name_plural = _("mục trong chương trình họp")
        ordering = ["meeting", "position"]
        constraints = [
            models.UniqueConstraint(fields=["meeting", "initiative"], name="one_item_per_dossier_per_meeting"),
            models.UniqueConstraint(fields=["meeting", "position"], name="one_item_per_position"),
        ]

    def __str__(self):
        return f"{self.meeting_id} #{self.position}: {self.initiative_id}"


class AttendanceSource(models.TextChoices):
    MARKED = "marked", _("Chủ tịch hoặc thư ký ghi nhận có mặt")
    VOTED = "voted", _("Đã biểu quyết một mục của cuộc họp")


class CouncilMeetingAttendance(models.Model):
    """A member (or a substitute sitting in) present at a meeting: marked by the chair or the
    secretary, or counted because they voted on an item of the agenda."""

    meeting = models.ForeignKey(CouncilMeeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    source = models.CharField(max_length=10, choices=AttendanceSource.choices, default=AttendanceSource.MARKED)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("người dự họp")
        verbose_name_plural = _("người dự họp")
        constraints = [models.UniqueConstraint(fields=["meeting", "user"], name="one_attendance_per_person")]

    def __str__(self):
        return f"{self.meeting_id}: {self.user_id}"

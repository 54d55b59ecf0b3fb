"""The organisation tree, people and their roles, councils and their members.

The tree is a materialised path (django-treebeard ``MP_Node``): a subtree is one indexed
``path LIKE 'prefix%'`` range scan, ancestors are the path's prefixes, so neither needs a
recursive query, and both stay fast at tens of thousands of organisations. Moves rewrite the
paths of the moved subtree only.

Roles and memberships are stored as rows (the source of truth, loaded from the structure file)
and granted as django-guardian object permissions through direct foreign-key tables, so
``user.has_perm("councils.vote", council)`` is the one question every check asks.
"""

from fractions import Fraction

from django.contrib.auth.models import AbstractUser
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase
from treebeard.mp_tree import MP_Node


class Level(models.TextChoices):
    FEDERATION = "federation", _("Tổng Liên đoàn")
    SECTOR = "sector", _("Công đoàn ngành")
    CORPORATION = "corporation", _("Tổng công ty")
    UNIT = "unit", _("Công đoàn cơ sở")


class Organisation(MP_Node):
    steplen = 4
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # 36^4 = 1.6 million children per node

    code = models.CharField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    level = models.CharField(_("cấp"), max_length=20, choices=Level.choices)
    headcount = models.PositiveIntegerField(_("số đoàn viên"), default=0)

    node_order_by = None

    class Meta:
        verbose_name = _("tổ chức công đoàn")
        verbose_name_plural = _("tổ chức công đoàn")
        permissions = [
            ("author_in", _("Là tác giả trong tổ chức")),
            ("act_as_officer", _("Là cán bộ công đoàn của tổ chức")),
            ("audit_in", _("Kiểm tra (chỉ đọc) trong tổ chức")),
            ("administer", _("Quản trị tổ chức")),
        ]

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def audit_scope_path(self):
        return self.path

    def ancestor_paths(self, include_self=True):
        """Paths of every ancestor (and of this node), computed from the path itself."""
        n = len(self.path) // self.steplen
        stop = n + 1 if include_self else n
        return [self.path[: i * self.steplen] for i in range(1, stop)]


class RolePermission(UserObjectPermissionBase):
    """guardian's direct foreign-key table for roles granted on organisations."""

    content_object = models.ForeignKey(Organisation, on_delete=models.CASCADE)


class Role(models.TextChoices):
    AUTHOR = "author", _("Tác giả")
    OFFICER = "officer", _("Cán bộ công đoàn")
    AUDITOR = "auditor", _("Kiểm tra")
    ADMIN = "admin", _("Quản trị")


ROLE_PERMS = {
    Role.AUTHOR: ["author_in"],
    Role.OFFICER: ["act_as_officer"],
    Role.AUDITOR: ["audit_in"],
    Role.ADMIN: ["administer", "act_as_officer", "audit_in"],
}


class User(AbstractUser):
    full_name = models.CharField(_("họ và tên"), max_length=200, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("tổ chức"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    position = models.CharField(_("chức vụ"), max_length=200, blank=True)
    qualification = models.CharField(_("trình độ"), max_length=100, blank=True)
    date_of_birth = models.DateField(_("ngày sinh"), null=True, blank=True)
    # Who chose the current password (a union's admin), if not the person or the system. Such a
    # password stays usable only while that admin could still set it: once the person reaches
    # beyond what the admin manages (a higher role or seat) or the admin loses the role, it is
    # disabled — otherwise an admin could set a password and have the person promoted.
    password_set_by = models.ForeignKey(
        "self",
        verbose_name=_("mật khẩu do ai đặt"),
        null=True,
        blank=True,
        editable=False,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("người dùng")
        verbose_name_plural = _("người dùng")

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self):
        return self.full_name or self.get_full_name() or self.username

    @property
    def audit_scope_path(self):
        """A person's entries in the trail belong to their organisation's subtree."""
        return self.organisation.path if self.organisation_id else ""


class RoleAssignment(models.Model):
    """A role a person holds on an organisation and its whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(_("vai trò"), max_length=20, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "organisation", "role"], name="unique_role_assignment")]
        verbose_name = _("vai trò")
        verbose_name_plural = _("vai trò")

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} @ {self.organisation.code}"


class CouncilKind(models.TextChoices):
    ADVISORY = "advisory", _("Tổ tư vấn hỗ trợ sáng kiến")
    UNIT = "unit", _("Hội đồng cấp đơn vị")
    CORPORATION = "corporation", _("Hội đồng cấp tổng công ty")
    SECTOR = "sector", _("Hội đồng cấp ngành")
    FEDERATION = "federation", _("Hội đồng Tổng Liên đoàn")


class Ballot(models.TextChoices):
    OPEN = "open", _("Biểu quyết công khai")
    SECRET = "secret", _("Bỏ phiếu kín")


class Council(models.Model):
    code = models.CharField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255, blank=True)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("tổ chức"), on_delete=models.PROTECT, related_name="councils"
    )
    kind = models.CharField(_("loại"), max_length=20, choices=CouncilKind.choices)
    quorum = models.PositiveIntegerField(_("số phiếu tối thiểu"), default=1, validators=[MinValueValidator(1)])
    threshold_numerator = models.PositiveIntegerField(default=2)
    threshold_denominator = models.PositiveIntegerField(default=3)
    ballot = models.CharField(_("hình thức biểu quyết"), max_length=10, choices=Ballot.choices, default=Ballot.OPEN)
    decision_days = models.PositiveIntegerField(_("thời hạn xét (ngày)"), default=90)
    members = models.ManyToManyField(User, through="Membership", related_name="councils")

    class Meta:
        verbose_name = _("hội đồng")
        verbose_name_plural = _("hội đồng")
        permissions = [
            ("vote", _("Bỏ phiếu trong hội đồng")),
            ("close_session", _("Kết thúc phiên xét của hội đồng")),
            ("advise", _("Tư vấn, chuyển hoặc trả hồ sơ")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(threshold_numerator__gt=0)
                & models.Q(threshold_numerator__lte=models.F("threshold_denominator")),
                name="council_threshold_in_0_1",
            )
        ]

    def __str__(self):
        return self.name or f"{self.get_kind_display()} — {self.organisation.name}"

    @property
    def threshold(self) -> Fraction:
        return Fraction(self.threshold_numerator, self.threshold_denominator)

    @property
    def threshold_display(self):
        return f"{self.threshold_numerator}/{self.threshold_denominator}"

    @property
    def audit_scope_path(self):
        return self.organisation.path


class CouncilPermission(UserObjectPermissionBase):
    """guardian's direct foreign-key table for council memberships."""

    content_object = models.ForeignKey(Council, on_delete=models.CASCADE)


class MemberRole(models.TextChoices):
    CHAIR = "chair", _("Chủ tịch")
    SECRETARY = "secretary", _("Thư ký")
    MEMBER = "member", _("Thành viên")


class Membership(models.Model):
    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("vai trò"), max_length=20, choices=MemberRole.choices, default=MemberRole.MEMBER)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["council", "user"], name="unique_membership")]
        verbose_name = _("thành viên hội đồng")
        verbose_name_plural = _("thành viên hội đồng")

    def __str__(self):
        return f"{self.user} — {self.get_role_display()} @ {self.council.code}"


class CouncilSubstitute(models.Model):
    """A person who sits in on a council's dossier when recusals leave fewer eligible members than
    the quorum (structure file: council ``substitutes``). They hold no council permission: they
    may vote only on a dossier they sit in on (``workflow.seating``), in ``position`` order, only
    as many as the quorum needs, never on a dossier they author."""

    council = models.ForeignKey(Council, on_delete=models.CASCADE, related_name="substitutes")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="substitute_for")
    position = models.PositiveIntegerField(_("thứ tự"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["council", "user"], name="unique_council_substitute")]
        ordering = ["council", "position"]
        verbose_name = _("người dự khuyết của hội đồng")
        verbose_name_plural = _("người dự khuyết của hội đồng")

    def __str__(self):
        return f"{self.user} — #{self.position} @ {self.council.code}"


def membership_perms(kind: str, role: str) -> list[str]:
    """Which council permissions a membership grants."""
    if kind == CouncilKind.ADVISORY:
        return ["advise"]
    perms = ["vote"]
    if role in (MemberRole.CHAIR, MemberRole.SECRETARY):
        perms.append("close_session")
    return perms


class OrganisationMove(models.Model):
    """A change of parent, effective from a date. The tree itself only knows the current parent;
    reports for a past period replay these rows to count units under the parent they had then
    (``reports.selectors``)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="moves")
    old_parent = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("cha cũ")
    )
    new_parent = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("cha mới")
    )
    effective = models.DateField(_("có hiệu lực từ"))
    recorded_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["effective", "id"]
        indexes = [models.Index(fields=["effective"])]
        verbose_name = _("chuyển tổ chức")
        verbose_name_plural = _("chuyển tổ chức")

    def __str__(self):
        return f"{self.organisation_id}: {self.old_parent_id} → {self.new_parent_id} @ {self.effective}"


class Bloc(models.Model):
    """Khối thi đua: sibling organisations ranked together; ``organisation`` is their common parent."""

    code = models.CharField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("tổ chức cha"), on_delete=models.CASCADE, related_name="blocs"
    )
    members = models.ManyToManyField(Organisation, through="BlocMember", related_name="member_of_blocs")

    class Meta:
        verbose_name = _("khối thi đua")
        verbose_name_plural = _("khối thi đua")
        ordering = ["code"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class BlocMember(models.Model):
    bloc = models.ForeignKey(Bloc, on_delete=models.CASCADE, related_name="memberships")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="bloc_memberships")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["bloc", "organisation"], name="unique_bloc_member")]
        verbose_name = _("thành viên khối thi đua")
        verbose_name_plural = _("thành viên khối thi đua")

    def __str__(self):
        return f"{self.bloc_id}: {self.organisation_id}"

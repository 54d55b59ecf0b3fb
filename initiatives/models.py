"""Programmes, phases and targets; the initiative (dossier), its authors and frozen versions."""

import secrets

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.utils.translation import gettext_lazy as _

from councils.models import Council, Organisation


class Programme(models.Model):
    code = models.CharField(_("mã"), max_length=40, unique=True)
    name = models.CharField(_("tên"), max_length=255)
    starts = models.DateField(_("bắt đầu"))
    ends = models.DateField(_("kết thúc"))
    participation_target_percent = models.DecimalField(
        _("chỉ tiêu tham gia (%)"), max_digits=5, decimal_places=2, default=10
    )

    class Meta:
        verbose_name = _("chương trình")
        verbose_name_plural = _("chương trình")
        ordering = ["-starts"]

    def __str__(self):
        return f"{self.name} ({self.code})"


class Phase(models.Model):
    programme = models.ForeignKey(Programme, on_delete=models.CASCADE, related_name="phases")
    code = models.CharField(_("mã"), max_length=40)
    starts = models.DateField(_("bắt đầu"))
    ends = models.DateField(_("kết thúc"))
    target = models.PositiveIntegerField(_("chỉ tiêu"), default=0)

    class Meta:
        verbose_name = _("giai đoạn")
        verbose_name_plural = _("giai đoạn")
        ordering = ["programme", "starts"]
        constraints = [models.UniqueConstraint(fields=["programme", "code"], name="unique_phase_code")]

    def __str__(self):
        return f"{self.programme.code}/{self.code}"


class OrganisationTarget(models.Model):
    """Chỉ tiêu: how many initiatives an organisation aims for in a phase (a goal, not a cap).

    A target revised during the phase keeps its history: one row per date it took effect
    (``valid_from``; none for the target assigned from the phase's start). A report as of a day
    uses the row valid that day: the latest ``valid_from`` on or before it."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="targets")
    phase = models.ForeignKey(Phase, on_delete=models.CASCADE, related_name="organisation_targets")
    initiatives = models.PositiveIntegerField(_("chỉ tiêu sáng kiến"))
    valid_from = models.DateField(_("áp dụng từ ngày"), null=True, blank=True)

    class Meta:
        verbose_name = _("chỉ tiêu")
        verbose_name_plural = _("chỉ tiêu")
        ordering = ["organisation", "phase", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "phase"],
                condition=models.Q(valid_from__isnull=True),
                name="unique_org_phase_target",
            ),
            models.UniqueConstraint(
                fields=["organisation", "phase", "valid_from"],
                condition=models.Q(valid_from__isnull=False),
                name="unique_org_phase_target_revision",
            ),
        ]

    def __str__(self):
        since = f" (từ {self.valid_from:%d/%m/%Y})" if self.valid_from else ""
        return f"{self.organisation.code} {self.phase.code}: {self.initiatives}{since}"


class Category(models.TextChoices):
    TECHNICAL = "technical", _("Giải pháp kỹ thuật, ứng dụng công nghệ mới")
    MANAGEMENT = "management", _("Quản lý, tổ chức sản xuất")
    UNION = "union", _("Hoạt động công đoàn")
    COVID = "covid", _("Phòng, chống dịch Covid-19")


class State(models.TextChoices):
    DRAFT = "draft", _("Bản nháp")
    ADVISORY_REVIEW = "advisory_review", _("Tổ tư vấn xem xét")
    UNIT_COUNCIL = "unit_council", _("Hội đồng cấp đơn vị")
    CORPORATION_COUNCIL = "corporation_council", _("Hội đồng cấp tổng công ty")
    SECTOR_REVIEW = "sector_review", _("Hội đồng cấp ngành")
    FEDERATION_REVIEW = "federation_review", _("Hội đồng Tổng Liên đoàn")
    REJECTED = "rejected", _("Không công nhận")
    WITHDRAWN = "withdrawn", _("Đã rút")
    SECTOR_CERTIFIED = "sector_certified", _("Chứng nhận Lao động sáng tạo")
    FEDERATION_CERTIFIED = "federation_certified", _("Bằng Lao động sáng tạo")


TERMINAL_STATES = {State.REJECTED, State.WITHDRAWN, State.SECTOR_CERTIFIED, State.FEDERATION_CERTIFIED}
COUNCIL_STATES = {State.UNIT_COUNCIL, State.CORPORATION_COUNCIL, State.SECTOR_REVIEW, State.FEDERATION_REVIEW}


class Initiative(models.Model):
    reference = models.CharField(_("số hồ sơ"), max_length=40, unique=True, null=True, blank=True)
    title = models.CharField(_("tên sáng kiến"), max_length=300)
    summary = models.TextField(_("tóm tắt"), blank=True)
    problem = models.TextField(_("tình trạng trước khi áp dụng"), blank=True)
    solution = models.TextField(_("nội dung giải pháp"), blank=True)
    category = models.CharField(_("lĩnh vực"), max_length=20, choices=Category.choices)
    organisation = models.ForeignKey(
        Organisation, verbose_name=_("đơn vị"), on_delete=models.PROTECT, related_name="initiatives"
    )
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    benefit_value_vnd = models.BigIntegerField(_("giá trị làm lợi (VND/năm)"), default=0)
    # The council's own estimate of the yearly benefit (the latest council that gave one): reports
    # and the Bằng's eligibility use it once there is one; the declared value above never changes.
    assessed_benefit_vnd = models.BigIntegerField(_("giá trị làm lợi được thẩm định (VND/năm)"), null=True, blank=True)
    assessed_at = models.DateTimeField(_("ngày thẩm định giá trị làm lợi"), null=True, blank=True)
    assessed_by = models.ForeignKey(
        Council, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("hội đồng thẩm định")
    )
    applied_since = models.DateField(_("ngày áp dụng lần đầu"), null=True, blank=True)
    confidential = models.BooleanField(_("bảo mật"), default=False)
    state = models.CharField(_("trạng thái"), max_length=30, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField(_("phiên bản chỉnh sửa"), default=1)
    dossier_version = models.PositiveIntegerField(_("phiên bản hồ sơ đã nộp"), default=0)
    council = models.ForeignKey(
        Council, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("hội đồng đang xét")
    )
    due_at = models.DateTimeField(_("hạn quyết định"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(_("ngày nộp"), null=True, blank=True)
    recognised_at = models.DateTimeField(_("ngày được công nhận"), null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    # title + summary without diacritics, lower case: "sang kien" finds "sáng kiến"
    search_text = models.TextField(blank=True, editable=False)
    # the content words of title + summary, as ``initiatives.duplicates.dup_key`` reads them (unaccented,
    # compounds joined, synonyms on one form, filler dropped): the duplicate screen's retrieval key;
    # on PostgreSQL a GIN trigram index over the submitted dossiers' keys (migration 0007)
    dup_key = models.TextField(blank=True, default="", editable=False)
    # PostgreSQL only: the unaccented title (weight A) and summary (B) as a tsvector, kept by a
    # trigger and GIN-indexed (migration 0007, ``initiatives.search``); unused (NULL) on SQLite
    search_vector = SearchVectorField(null=True, editable=False)

    class Meta:
        verbose_name = _("sáng kiến")
        verbose_name_plural = _("sáng kiến")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["organisation", "state"]),
            models.Index(fields=["state", "council"]),
            models.Index(fields=["submitted_at"]),
            models.Index(fields=["recognised_at"]),
        ]

    def __str__(self):
        return f"{self.reference or self.pk} — {self.title}"

    @property
    def audit_scope_path(self):
        return self.organisation.path

    @property
    def counted_benefit_vnd(self) -> int:
        """The benefit reports and eligibility use: the council's assessment once there is one,
        else the declared value (``initiatives.rules.counted_benefit`` is the same as SQL)."""
        if self.assessed_benefit_vnd is not None:
            return self.assessed_benefit_vnd
        return self.benefit_value_vnd or 0


class Consent(models.TextChoices):
    """Whether a person named as co-author agreed to it. ``pending``: named by someone else, not yet
    answered; ``confirmed``: they said yes (or named themselves); ``declined``: they said they are
    not an author (the dossier cannot go to the advisory team or a council while so); ``not_required``:
    an author without an account, or authorship taken from a union's register by the import."""

    PENDING = "pending", _("Chờ xác nhận")
    CONFIRMED = "confirmed", _("Đã xác nhận")
    DECLINED = "declined", _("Đã từ chối")
    NOT_REQUIRED = "not_required", _("Không cần xác nhận")


class InitiativeAuthor(models.Model):
    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="authors")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="authorships"
    )
    full_name = models.CharField(_("họ và tên"), max_length=200)
    share_percent = models.DecimalField(_("tỷ lệ đóng góp (%)"), max_digits=5, decimal_places=2)
    position = models.PositiveSmallIntegerField(default=0)
    consent = models.CharField(
        _("xác nhận đồng tác giả"), max_length=12, choices=Consent.choices, default=Consent.PENDING
    )
    consent_at = models.DateTimeField(_("ngày xác nhận"), null=True, blank=True)
    consent_comment = models.TextField(_("ý kiến khi xác nhận"), blank=True)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("tác giả")
        verbose_name_plural = _("tác giả")

    def __str__(self):
        return f"{self.full_name} ({self.share_percent}%)"


class DossierVersion(models.Model):
    """What was submitted, frozen: the council judges exactly this."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="dossier_versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    digest = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["initiative", "number"]
        constraints = [models.UniqueConstraint(fields=["initiative", "number"], name="unique_dossier_version")]
        verbose_name = _("phiên bản hồ sơ")
        verbose_name_plural = _("phiên bản hồ sơ")

    def __str__(self):
        return f"{self.initiative_id} v{self.number}"


class AttachmentKind(models.TextChoices):
    APPLICATION = "application", _("Đơn yêu cầu công nhận sáng kiến")
    DRAWING = "drawing", _("Bản vẽ, sơ đồ")
    PHOTO = "photo", _("Hình ảnh")
    EVIDENCE = "evidence", _("Tài liệu chứng minh")
    OTHER = "other", _("Tài liệu khác")


def attachment_storage_name(instance, filename) -> str:
    """A random, non-guessable name that says nothing of the dossier or the file (the original name
    lives in ``Attachment.name``): ``attachments/ab/<32 hex>``."""
    token = secrets.token_hex(16)
    return f"attachments/{token[:2]}/{token}"


class Attachment(models.Model):
    """A file of the dossier (đơn, bản vẽ, hình ảnh, tài liệu chứng minh). Added and removed only
    in a draft, through ``attachment_add`` / ``attachment_remove``. Once a submitted version holds
    it (``first_version``) the row and the file stay for good: removing it from a later draft only
    sets ``removed_at``, and the frozen versions keep listing it, downloadable."""

    initiative = models.ForeignKey(Initiative, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("tệp"), upload_to=attachment_storage_name, max_length=200)
    name = models.CharField(_("tên tệp"), max_length=200)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"))
    sha256 = models.CharField(max_length=64)
    content_type = models.CharField(_("loại tệp"), max_length=100)
    kind = models.CharField(_("loại tài liệu"), max_length=20, choices=AttachmentKind.choices)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("ngày tải lên"))
    first_version = models.PositiveIntegerField(_("có trong phiên bản hồ sơ"), null=True, blank=True)
    removed_at = models.DateTimeField(_("ngày gỡ khỏi hồ sơ"), null=True, blank=True)

    class Meta:
        ordering = ["initiative", "id"]
        verbose_name = _("tệp đính kèm")
        verbose_name_plural = _("tệp đính kèm")

    def __str__(self):
        return f"{self.initiative_id}: {self.name}"


# --- progress counters (``initiatives.counters``): kept in the transactions that change what they count


class CounterState(models.Model):
    """One row. ``ready``: the counters equal what the initiatives say (true on a fresh database,
    and after ``rebuild_progress_counters``). ``moves_seen``: the last ``OrganisationMove`` the
    per-ancestor author counters were built for; a later move makes reports count authors live
    until the next rebuild."""

    ready = models.BooleanField(default=False)
    moves_seen = models.PositiveIntegerField(default=0)
    rebuilt_at = models.DateTimeField(null=True, blank=True)
    # ``AuthorSeen.first_day`` and ``AuthorFirstCount`` were built by a rebuild and kept since (a
    # database whose author rows predate them counts a cut period's authors live until a rebuild)
    first_days = models.BooleanField(default=False)

    def __str__(self):
        return f"counters ready={self.ready} moves_seen={self.moves_seen}"


class CounterPeriod(models.Model):
    """A period (a programme, or one of its phases) whose distinct authors are kept counted."""

    starts = models.DateField()
    ends = models.DateField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["starts", "ends"], name="unique_counter_period")]

    def __str__(self):
        return f"{self.starts}..{self.ends}"


class ProgressCount(models.Model):
    """Registered and recognised initiatives of one organisation (their own, not their subtree's)
    per local calendar month and category. Additive: a report sums the months and the subtree."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the 1st of the month
    category = models.CharField(max_length=20)
    registered = models.IntegerField(default=0)
    recognised = models.IntegerField(default=0)
    benefit_registered = models.BigIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "month", "category"], name="unique_progress_count")
        ]

    def __str__(self):
        return f"{self.organisation_id} {self.month:%Y-%m} {self.category}: {self.registered}/{self.recognised}"


class AuthorSeen(models.Model):
    """A person (``u<user id>`` or ``n<full name>``) among the authors of ``initiatives`` registered
    initiatives of ``ancestor``'s subtree in ``period``. The row exists while that number is > 0."""

    ancestor = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    period = models.ForeignKey(
        CounterPeriod, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    person = models.CharField(max_length=210)
    initiatives = models.IntegerField(default=0)
    # the local day of the person's first registered initiative of the period under ``ancestor``
    first_day = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ancestor", "period", "person"], name="unique_author_seen")]

    def __str__(self):
        return f"{self.ancestor_id} {self.period_id} {self.person}: {self.initiatives}"


class AuthorCount(models.Model):
    """Distinct authors of the registered initiatives of ``ancestor``'s subtree in ``period``."""

    ancestor = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    period = models.ForeignKey(
        CounterPeriod, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    authors = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ancestor", "period"], name="unique_author_count")]

    def __str__(self):
        return f"{self.ancestor_id} {self.period_id}: {self.authors}"


class AuthorFirstCount(models.Model):
    """The people whose first registered initiative of ``period`` under ``ancestor``'s subtree was
    on ``day`` (``AuthorSeen.first_day``): the distinct authors of the period cut at any day are the
    sum over the days up to it (additive, unlike the distinct authors themselves)."""

    ancestor = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    period = models.ForeignKey(
        CounterPeriod, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    day = models.DateField()
    authors = models.IntegerField(default=0)

    class Meta:
        constraints = [  # in the cut's order: a period's days up to a day, every organisation
            models.UniqueConstraint(fields=["period", "day", "ancestor"], name="unique_author_first_count")
        ]

    def __str__(self):
        return f"{self.ancestor_id} {self.period_id} {self.day}: {self.authors}"


class AuthorFirstMonth(models.Model):
    """``AuthorFirstCount`` summed by month (``month``: its 1st day): a cut reads its whole months
    here and only the days of its last month there."""

    ancestor = models.ForeignKey(
        Organisation, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    period = models.ForeignKey(
        CounterPeriod, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    month = models.DateField()
    authors = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["period", "month", "ancestor"], name="unique_author_first_month")
        ]

    def __str__(self):
        return f"{self.ancestor_id} {self.period_id} {self.month:%Y-%m}: {self.authors}"


# --- register imports (sổ sáng kiến nhập từ Excel; issue 11, item 5) -------------------------------


def register_import_storage_name(instance, filename) -> str:
    """A random name that says nothing of the union or the file: ``imports/ab/<32 hex>.xlsx``."""
    token = secrets.token_hex(16)
    return f"imports/{token[:2]}/{token}.xlsx"


class ImportState(models.TextChoices):
    CHECKING = "checking", _("Đang kiểm tra")
    CHECKED = "checked", _("Đã kiểm tra")
    IMPORTING = "importing", _("Đang nhập")
    DONE = "done", _("Đã nhập xong")
    FAILED = "failed", _("Lỗi")


class RegisterImport(models.Model):
    """One upload of a union's register workbook: checked whole without writing (``checking`` →
    ``checked``, every refused row with its row, column and reason), then imported in batches
    (``importing`` → ``done``, or ``failed``) — all rows, or with ``partial`` only the good ones."""

    organisation = models.ForeignKey(
        Organisation, verbose_name=_("tổ chức"), on_delete=models.PROTECT, related_name="register_imports"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("người nhập"), on_delete=models.PROTECT, related_name="+"
    )
    file = models.FileField(_("tệp"), upload_to=register_import_storage_name, max_length=200)
    name = models.CharField(_("tên tệp"), max_length=200)
    size = models.PositiveBigIntegerField(_("dung lượng (byte)"), default=0)
    sha256 = models.CharField(max_length=64)
    partial = models.BooleanField(_("chỉ nhập các dòng hợp lệ"), default=False)
    language = models.CharField(max_length=10, blank=True)  # of the upload: the report's reasons speak it
    state = models.CharField(_("trạng thái"), max_length=12, choices=ImportState.choices, default=ImportState.CHECKING)
    rows = models.PositiveIntegerField(_("số dòng"), default=0)
    imported = models.PositiveIntegerField(_("đã nhập"), default=0)
    refused = models.JSONField(_("dòng bị từ chối"), default=list, blank=True)
    duplicates = models.JSONField(_("dòng có thể trùng"), default=list, blank=True)
    duplicates_count = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(_("đã xử lý"), default=0)
    total = models.PositiveIntegerField(_("cần nhập"), default=0)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(_("ngày tải lên"))
    finished_at = models.DateTimeField(_("xong lúc"), null=True, blank=True)

    class Meta:
        verbose_name = _("lần nhập sổ sáng kiến")
        verbose_name_plural = _("lần nhập sổ sáng kiến")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["organisation", "sha256"], name="register_import_sha256")]

    def __str__(self):
        return f"{self.organisation_id}: {self.name} ({self.state})"

    @property
    def audit_scope_path(self):
        return self.organisation.path


class RegisterImportBatch(models.Model):
    """The good rows of a checked register, one batch per task (``REGISTER_IMPORT_BATCH`` rows): the
    cells as read (JSON), so a worker never reads the workbook again. A run claims the batch
    (``pending`` → ``running``) before it writes, so a repeated task imports nothing twice."""

    register_import = models.ForeignKey(RegisterImport, on_delete=models.CASCADE, related_name="batches")
    number = models.PositiveIntegerField()
    rows = models.JSONField(default=list)  # [[row number, {column: value}], …]
    state = models.CharField(max_length=10, default="pending")
    imported = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["register_import", "number"]
        constraints = [
            models.UniqueConstraint(fields=["register_import", "number"], name="unique_register_import_batch")
        ]

    def __str__(self):
        return f"{self.register_import_id}#{self.number} ({self.state})"


class DuplicateVerdict(models.TextChoices):
    DUPLICATE = "duplicate", _("Trùng")
    NOT_DUPLICATE = "not_duplicate", _("Không trùng")


class DuplicateMark(models.Model):
    """The advisory team's (or a council's) verdict that ``initiative`` is, or is not, the same
    idea as ``of``. Every mark is kept; between two dossiers the latest mark (in either
    direction) is the one that stands (``initiatives.selectors.standing_duplicate_of``)."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="duplicate_marks")
    of = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="duplicate_marks_against")
    verdict = models.CharField(_("kết luận"), max_length=20, choices=DuplicateVerdict.choices)
    comment = models.TextField(_("ý kiến"), blank=True)
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("thời điểm"))

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("đánh dấu trùng")
        verbose_name_plural = _("đánh dấu trùng")
        indexes = [models.Index(fields=["initiative", "of"]), models.Index(fields=["of", "initiative"])]

    def __str__(self):
        return f"{self.initiative_id} {self.verdict} {self.of_id}"


from .opentask_model import OpenTask, TaskKind  # noqa: E402, F401  (the open-work table, a module of its own)

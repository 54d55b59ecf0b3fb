"""Writes on dossiers: creating and editing drafts. Lifecycle transitions live in ``workflow``."""

import datetime
import hashlib
import json
import logging

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from unidecode import unidecode

from audit.actions import audit_record
from councils.models import Organisation
from councils.selectors import administers_above
from notifications.outbox import outbox_enqueue

from .counters import progress_counters_apply, progress_share
from .duplicates import dup_key
from .exceptions import ApplicationError, RefusedInput
from .files import ALLOWED_LABELS, clean_name, sniff, with_extension
from .models import (
    TERMINAL_STATES,
    Attachment,
    AttachmentKind,
    Consent,
    DossierVersion,
    Initiative,
    InitiativeAuthor,
    OrganisationTarget,
    Phase,
    Programme,
    State,
)
from .rules import initiative_rules
from .selectors import can_edit, pending_route_coauthors

logger = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "title",
    "summary",
    "problem",
    "solution",
    "category",
    "benefit_value_vnd",
    "applied_since",
    "confidential",
)


def search_text_for(title: str, summary: str) -> str:
    return unidecode(f"{title} {summary}").lower()


def _programme_for(day: datetime.date) -> Programme | None:
    return Programme.objects.filter(starts__lte=day, ends__gte=day).order_by("-starts").first()


def programme_running(day: datetime.date) -> Programme | None:
    """The programme running on ``day`` (the latest started, when two overlap), or None."""
    return _programme_for(day)


def _set_authors(initiative: Initiative, authors: list[dict], *, actor) -> list[int]:
    """Write the authors (already checked by the rules) and return the ids of the people newly
    asked to confirm. Consent follows the person: someone kept with the same share keeps their
    answer; a changed share asks again (they agreed to a share) — except a refusal, which stands
    while they stay listed; the actor naming themselves confirms; authors without an account need
    no confirmation."""
    before = {a.user_id: a for a in initiative.authors.all() if a.user_id}
    initiative.authors.all().delete()
    now = timezone.now()
    rows, asked = [], []
    for i, a in enumerate(authors):
        user = a.get("user")
        old = before.get(user.pk) if user else None
        consent, at, comment = Consent.PENDING, None, ""
        if user is None:
            consent = Consent.NOT_REQUIRED
        elif user.pk == actor.pk:
            consent, at = Consent.CONFIRMED, now
        elif old is not None and (old.consent == Consent.DECLINED or old.share_percent == a["share_percent"]):
            consent, at, comment = old.consent, old.consent_at, old.consent_comment
        else:
            asked.append(user.pk)
        rows.append(
            InitiativeAuthor(
                initiative=initiative,
                user=user,
                full_name=a.get("full_name") or (user.display_name if user else ""),
                share_percent=a["share_percent"],
                position=i,
                consent=consent,
                consent_at=at,
                consent_comment=comment,
            )
        )
    InitiativeAuthor.objects.bulk_create(rows)
    from .opentasks import tasks_sync

    tasks_sync(initiative)  # who must submit or confirm follows the authors, in this transaction
    return asked


def _ask_coauthors(initiative: Initiative, user_ids: list[int]) -> None:
    if user_ids:
        from .tasks import notify_coauthors

        outbox_enqueue(notify_coauthors, initiative_id=initiative.pk, user_ids=user_ids)


def _authors_snapshot(authors: list[dict]) -> list[dict]:
    return [
        {
            "username": a["user"].username if a.get("user") else None,
            "full_name": a.get("full_name") or (a["user"].display_name if a.get("user") else ""),
            "share_percent": str(a["share_percent"]),
        }
        for a in authors
    ]


def _current(initiative: Initiative) -> dict:
    """The dossier's fields as the rules take them (authors as they stand)."""
    data = {k: getattr(initiative, k) for k in EDITABLE_FIELDS}
    data["organisation"] = initiative.organisation  # fixed: the rules read it, never change it
    data["authors"] = [
        {"user": a.user, "full_name": a.full_name, "share_percent": a.share_percent, "existing": True}
        for a in initiative.authors.select_related("user")
    ]
    return data


@transaction.atomic(durable=True)
def initiative_create(*, actor, organisation=None, authors=None, **fields) -> Initiative:
    """Create a draft in ``organisation`` (a unit the actor belongs to or advises; an
    ``Organisation`` or its code). Every rule of ``initiatives.rules`` is checked here, whoever
    calls: ``ValidationError`` {field: [messages]} when any fails, and nothing is written."""
    programme = _programme_for(timezone.localdate())
    data = {k: fields[k] for k in EDITABLE_FIELDS if k in fields}
    if organisation is not None:
        data["organisation"] = organisation
    if authors is not None:
        data["authors"] = authors
    clean, errors = initiative_rules(actor=actor, data=data, programme=programme)
    if errors:
        raise ValidationError(errors)
    authors = clean.pop("authors")
    organisation = clean.pop("organisation")
    initiative = Initiative.objects.create(
        organisation=organisation,
        created_by=actor,
        state=State.DRAFT,
        programme=programme,
        search_text=search_text_for(clean["title"], clean["summary"]),
        dup_key=dup_key(clean["title"], clean["summary"]),
        **clean,
    )
    initiative.reference = f"SK-{initiative.created_at:%Y}-{initiative.pk:07d}"
    initiative.save(update_fields=["reference"])
    _ask_coauthors(initiative, _set_authors(initiative, authors, actor=actor))
    audit_record(
        actor=actor,
        action="create",
        obj=initiative,
        to_state=initiative.state,
        version=initiative.version,
        details={"reference": initiative.reference, "title": initiative.title, "authors": _authors_snapshot(authors)},
    )
    return initiative


@transaction.atomic(durable=True)
def initiative_update(*, actor, initiative_id: int, version: int | None = None, authors=None, **fields) -> Initiative:
    """Edit a draft: only in ``draft``, only by an author or the unit's advisory team.
    ``version`` guards against lost updates. The rules judge the dossier as it would stand after
    the edit (the merged result), so an edit can never leave a draft that breaks them."""
    initiative = Initiative.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=initiative_id)
    if not can_edit(user=actor, initiative=initiative):
        raise PermissionDenied(_("Chỉ tác giả hoặc tổ tư vấn của đơn vị được sửa hồ sơ"))
    if initiative.state != State.DRAFT:
        raise ApplicationError(
            _("Chỉ sửa được bản nháp; hồ sơ đang ở trạng thái «%(state)s»") % {"state": initiative.get_state_display()},
            code="invalid_state",
        )
    if version is not None and version != initiative.version:
        raise ApplicationError(
            _("Hồ sơ đã được người khác sửa (phiên bản %(current)d, bạn gửi %(sent)d); hãy tải lại")
            % {"current": initiative.version, "sent": version},
            code="stale_version",
            extra={"current_version": initiative.version},
        )
    before = _current(initiative)
    merged = {**before, **{k: fields[k] for k in EDITABLE_FIELDS if k in fields}}
    if authors is not None:
        merged["authors"] = authors
    clean, errors = initiative_rules(actor=actor, data=merged, programme=initiative.programme, check_organisation=False)
    if errors:
        raise ValidationError(errors)
    # a draft returned after its first submission stays registered: its edits move the counters
    counted = progress_share(initiative) if initiative.submitted_at is not None else None
    changed = {}
    for key in EDITABLE_FIELDS:
        if key in fields and getattr(initiative, key) != clean[key]:
            changed[key] = [str(getattr(initiative, key)), str(clean[key])]
            setattr(initiative, key, clean[key])
    if authors is not None and _authors_snapshot(clean["authors"]) != _authors_snapshot(before["authors"]):
        _ask_coauthors(initiative, _set_authors(initiative, clean["authors"], actor=actor))
        changed["authors"] = _authors_snapshot(clean["authors"])
    if changed:
        initiative.version += 1
        initiative.search_text = search_text_for(initiative.title, initiative.summary)
        initiative.dup_key = dup_key(initiative.title, initiative.summary)
        initiative.save()
        audit_record(
            actor=actor,
            action="update",
            obj=initiative,
            from_state=initiative.state,
            to_state=initiative.state,
            version=initiative.version,
            details={"changed": sorted(changed)},
        )
        if counted is not None:
            progress_counters_apply(before=counted, after=progress_share(initiative))
    return initiative


AUTHORSHIP_DECISIONS = {"confirm": Consent.CONFIRMED, "decline": Consent.DECLINED}
CONSENT_COMMENT_MAX = 2000


@transaction.atomic(durable=True)
def authorship_decide(*, initiative_id: int, actor, decision: str, comment: str = "") -> Initiative:
    """A person named as an author says yes (``confirm``) or no (``decline``) to it. Only they
    may answer for themselves, at any time before the dossier is finished; the answer is audited.
    While a named author has declined, the dossier cannot be submitted or forwarded (409
    ``coauthor_declined``); removing them from the authors in a draft edit lifts it."""
    errors = {}
    if not isinstance(decision, str) or decision not in AUTHORSHIP_DECISIONS:
        errors["decision"] = [_("Quyết định phải là 'confirm' (xác nhận) hoặc 'decline' (từ chối)")]
    comment = "" if comment is None else comment
    if not isinstance(comment, str):
        errors["comment"] = [_("Ý kiến phải là văn bản")]
    elif len(comment) > CONSENT_COMMENT_MAX:
        errors["comment"] = [_("Ý kiến không quá %(max)d ký tự") % {"max": CONSENT_COMMENT_MAX}]
    if errors:
        raise ValidationError(errors)
    initiative = Initiative.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=initiative_id)
    row = initiative.authors.filter(user_id=actor.pk).first()
    if row is None:
        raise PermissionDenied(_("Chỉ người được ghi tên là tác giả mới xác nhận hoặc từ chối việc ghi tên"))
    if initiative.state in TERMINAL_STATES:
        raise ApplicationError(
            _("Hồ sơ đã kết thúc (%(state)s): không còn xác nhận hay từ chối ghi tên được")
            % {"state": initiative.get_state_display()},
            code="invalid_state",
            extra={"state": initiative.state},
        )
    consent = AUTHORSHIP_DECISIONS[decision]
    if row.consent == consent:
        return initiative
    row.consent, row.consent_at, row.consent_comment = consent, timezone.now(), comment.strip()
    row.save(update_fields=["consent", "consent_at", "consent_comment"])
    from .opentasks import tasks_sync

    tasks_sync(initiative)
    audit_record(
        actor=actor,
        action=f"authorship_{decision}",
        obj=initiative,
        from_state=initiative.state,
        to_state=initiative.state,
        version=initiative.version,
        comment=comment.strip(),
        details={"author": actor.username, "share_percent": str(row.share_percent), "consent": consent},
    )
    if consent == Consent.DECLINED:
        from .tasks import notify_authorship_declined

        outbox_enqueue(notify_authorship_declined, initiative_id=initiative.pk, user_id=actor.pk)
    return initiative


def declined_authors(initiative: Initiative) -> list[InitiativeAuthor]:
    return list(initiative.authors.filter(consent=Consent.DECLINED).select_related("user"))


def refuse_if_coauthor_declined(initiative: Initiative) -> None:
    """The lifecycle asks this before a dossier goes on (submit, forward): 409 while a named
    author has declined."""
    declined = declined_authors(initiative)
    if declined:
        raise ApplicationError(
            _(
                "Đồng tác giả %(names)s đã từ chối ghi tên: hồ sơ chỉ đi tiếp khi người đó được bỏ khỏi danh "
                "sách tác giả (sửa bản nháp)"
            )
            % {"names": ", ".join(a.full_name for a in declined)},
            code="coauthor_declined",
            extra={"declined": [a.user.username for a in declined]},
        )


def refuse_if_coauthor_pending(initiative: Initiative) -> None:
    """The lifecycle asks this before a dossier comes before a council (forward, and a close that
    sends it on): 409 while a co-author who sits on a council of its route has not answered.
    Naming council members co-authors without asking them would otherwise push them out of the
    vote (recusal counts every listed author) and seat substitutes in their place. A pending
    co-author who sits on no such council does not hold the dossier back."""
    pending = pending_route_coauthors(initiative)
    if pending:
        raise ApplicationError(
            _(
                "Đồng tác giả %(names)s là thành viên hoặc người dự khuyết của một hội đồng sẽ xét hồ sơ này "
                "nhưng chưa xác nhận hay từ chối việc ghi tên: hồ sơ chỉ được đưa lên hội đồng khi người đó trả "
                "lời. Xác nhận thì họ là tác giả và không biểu quyết hồ sơ này; từ chối thì cần bỏ tên họ khỏi "
                "danh sách tác giả (sửa bản nháp)."
            )
            % {"names": ", ".join(f"{a.full_name} ({a.user.username})" for a in pending)},
            code="coauthor_pending",
            extra={"pending": [a.user.username for a in pending]},
        )


def _site_link(initiative: Initiative) -> str:
    return f"{settings.SITE_URL.rstrip('/')}/initiatives/{initiative.pk}/"


def coauthors_notify(*, initiative_id: int, user_ids: list[int]) -> int:
    """E-mail the people still asked to confirm that they are co-authors (in the site's language:
    nobody has chosen another). Returns the number of messages sent."""
    initiative = Initiative.objects.select_related("created_by").get(pk=initiative_id)
    from notifications.actions import notify

    rows = initiative.authors.filter(user_id__in=user_ids, consent=Consent.PENDING).select_related("user")
    sent = 0
    with translation.override(settings.LANGUAGE_CODE):
        for row in rows:
            if not row.user.is_active:
                continue
            subject = _("[Sáng kiến] Bạn được ghi tên là đồng tác giả: %(reference)s") % {
                "reference": initiative.reference
            }
            body = _(
                "%(creator)s đã ghi tên bạn là đồng tác giả của sáng kiến %(reference)s «%(title)s» với tỷ lệ "
                "đóng góp %(share)s%%.\n\nNếu đúng, hãy xác nhận. Nếu bạn không phải tác giả, hãy từ chối: hồ sơ "
                "không thể nộp khi có người được ghi tên đã từ chối.\n%(link)s"
            ) % {
                "creator": initiative.created_by.display_name,
                "reference": initiative.reference,
                "title": initiative.title,
                "share": f"{row.share_percent.normalize():f}",
                "link": _site_link(initiative),
            }
            sent += notify(users=[row.user], subject=subject, body=body, url=f"/initiatives/{initiative.pk}/")
    return sent


def authorship_declined_notify(*, initiative_id: int, user_id: int) -> int:
    """Tell the dossier's creator and its other authors that someone declined to be named."""
    initiative = Initiative.objects.select_related("created_by").get(pk=initiative_id)
    row = initiative.authors.filter(user_id=user_id, consent=Consent.DECLINED).select_related("user").first()
    if row is None:
        return 0
    from notifications.actions import notify

    to = {initiative.created_by} if initiative.created_by.is_active else set()
    to |= {
        a.user
        for a in initiative.authors.exclude(user_id=user_id)
        .exclude(consent=Consent.DECLINED)
        .filter(user__is_active=True)
        .select_related("user")
    }
    to = [u for u in to if u.pk != row.user_id and (not row.user.email or u.email != row.user.email)]
    if not to:
        return 0
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("[Sáng kiến] Đồng tác giả từ chối ghi tên: %(reference)s") % {"reference": initiative.reference}
        body = _(
            "%(person)s đã từ chối là đồng tác giả của sáng kiến %(reference)s «%(title)s».\nHồ sơ không thể "
            "nộp hay chuyển tiếp cho đến khi người này được bỏ khỏi danh sách tác giả.\n%(link)s"
        ) % {
            "person": row.full_name,
            "reference": initiative.reference,
            "title": initiative.title,
            "link": _site_link(initiative),
        }
    return notify(users=to, subject=subject, body=body, url=f"/initiatives/{initiative.pk}/")


def dossier_snapshot(initiative: Initiative, *, authors=None, attachments=None) -> dict:
    """The dossier as it stands: what a council will judge. ``authors`` and ``attachments``: rows not
    read back from the database (the register import builds them in bulk)."""
    return {
        "reference": initiative.reference,
        "title": initiative.title,
        "summary": initiative.summary,
        "problem": initiative.problem,
        "solution": initiative.solution,
        "category": initiative.category,
        "organisation": initiative.organisation.code,
        "benefit_value_vnd": initiative.benefit_value_vnd,
        "applied_since": initiative.applied_since.isoformat() if initiative.applied_since else None,
        "confidential": initiative.confidential,
        "authors": [
            {
                "username": a.user.username if a.user else None,
                "full_name": a.full_name,
                "share_percent": str(a.share_percent),
            }
            for a in (initiative.authors.select_related("user") if authors is None else authors)
        ],
        "attachments": [
            attachment_summary(a) for a in (current_attachments(initiative) if attachments is None else attachments)
        ],
    }


def dossier_freeze(*, initiative: Initiative, actor, at, extra: dict | None = None) -> DossierVersion:
    """Freeze the next immutable dossier version (inside the caller's transaction; the caller
    saves ``initiative.dossier_version``)."""
    assert transaction.get_connection().in_atomic_block
    content = {**dossier_snapshot(initiative), **(extra or {})}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    initiative.dossier_version += 1
    version = DossierVersion.objects.create(
        initiative=initiative,
        number=initiative.dossier_version,
        content=content,
        digest=digest,
        submitted_by=actor,
        submitted_at=at,
    )
    # from now on these files belong to a frozen version: removing them from a later draft keeps them
    current_attachments(initiative).filter(first_version=None).update(first_version=version.number)
    return version


# --- attachments (tệp đính kèm) -------------------------------------------------------------------


def current_attachments(initiative: Initiative):
    """The files of the dossier as it stands (those removed from the draft are not among them)."""
    return Attachment.objects.filter(initiative=initiative, removed_at=None).order_by("id")


def attachment_summary(a: Attachment) -> dict:
    """An attachment as the API answers it and a frozen version lists it."""
    return {
        "id": a.pk,
        "name": a.name,
        "size": a.size,
        "sha256": a.sha256,
        "content_type": a.content_type,
        "kind": a.kind,
    }


def attachment_max_bytes() -> int:
    return int(float(settings.ATTACHMENT_MAX_MB) * 1024 * 1024)


def _megabytes(n: int) -> str:
    """Bytes as megabytes for a message, in the reader's number format ("20", "20,5", "0,001")."""
    mb = round(n / (1024 * 1024), 1 if n >= 1024 * 1024 / 10 else 3)
    return str(int(mb)) if mb == int(mb) else number_format(mb)


def _refuse_unless_editable(initiative: Initiative, actor) -> None:
    """The edit's own checks (``initiative_update``): an author or the unit's advisory team, in draft."""
    if not can_edit(user=actor, initiative=initiative):
        raise PermissionDenied(_("Chỉ tác giả hoặc tổ tư vấn của đơn vị được thêm hay gỡ tệp đính kèm"))
    if initiative.state != State.DRAFT:
        raise ApplicationError(
            _("Chỉ thêm hay gỡ tệp đính kèm khi hồ sơ là bản nháp; hồ sơ đang ở trạng thái “%(state)s”")
            % {"state": initiative.get_state_display()},
            code="invalid_state",
            extra={"state": initiative.state},
        )


def _attachment_kind(kind) -> str:
    if kind is None or kind == "":
        return AttachmentKind.OTHER
    if not isinstance(kind, str) or kind not in AttachmentKind.values:
        raise ValidationError(
            {"kind": [_("Loại tài liệu phải là một trong: %(kinds)s") % {"kinds": ", ".join(AttachmentKind.values)}]}
        )
    return kind


def _delete_stored(names) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except Exception:  # noqa: BLE001 - the row is gone either way; say which file stays behind
            logger.exception("could not delete the stored attachment file %s", name)


def attachment_add(*, initiative_id: int, actor, upload, kind=None) -> Attachment:
    """Add a file to a draft: only by those who may edit it (an author or the unit's advisory
    team), only in ``draft``. The file must be PDF, PNG, JPEG, DOCX, XLSX, ODT or ODS by its content
    (``initiatives.files.sniff``; 400 ``file_type``), at most ``ATTACHMENT_MAX_MB`` (400
    ``file_too_large``), and the dossier holds at most ``ATTACHMENT_MAX_FILES`` files (400
    ``too_many_files``). It is stored under a random name; its original name (made safe) and its
    sha256 are kept on the row. Audited. If anything fails after the file was stored, the file is
    deleted again: no row without its file, no file without its row."""
    kind = _attachment_kind(kind)
    if upload is None:
        raise ValidationError({"file": [_("Hãy chọn một tệp để tải lên (trường “file”)")]})
    stored = []
    try:
        with transaction.atomic(durable=True):
            initiative = (
                Initiative.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=initiative_id)
            )
            _refuse_unless_editable(initiative, actor)
            name = clean_name(getattr(upload, "name", ""))
            size = upload.size or 0
            limit = attachment_max_bytes()
            if size > limit:
                raise RefusedInput(
                    "file",
                    _("Tệp “%(name)s” nặng %(size)s MB, vượt giới hạn %(max)s MB cho mỗi tệp")
                    % {"name": name, "size": _megabytes(size), "max": _megabytes(limit)},
                    code="file_too_large",
                )
            content_type = sniff(upload) if size else None
            if content_type is None:
                raise RefusedInput(
                    "file",
                    _(
                        "Tệp “%(name)s” không phải là %(allowed)s: loại tệp được xét theo nội dung tệp, không theo "
                        "tên hay phần mở rộng"
                    )
                    % {"name": name, "allowed": ALLOWED_LABELS},
                    code="file_type",
                )
            if current_attachments(initiative).count() >= settings.ATTACHMENT_MAX_FILES:
                raise RefusedInput(
                    "file",
                    _("Hồ sơ đã có %(max)d tệp đính kèm, không thêm được tệp “%(name)s”; hãy gỡ bớt tệp không cần")
                    % {"max": settings.ATTACHMENT_MAX_FILES, "name": name},
                    code="too_many_files",
                )
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            attachment = Attachment(
                initiative=initiative,
                name=with_extension(name, content_type),
                size=size,
                sha256=digest.hexdigest(),
                content_type=content_type,
                kind=kind,
                uploaded_by=actor,
                uploaded_at=timezone.now(),
            )
            attachment.file.save("upload", upload, save=False)  # the name comes from ``attachment_storage_name``
            stored.append(attachment.file.name)
            attachment.save()
            audit_record(
                actor=actor,
                action="attachment_add",
                obj=initiative,
                from_state=initiative.state,
                to_state=initiative.state,
                version=initiative.version,
                details={"attachment": attachment_summary(attachment)},
            )
        return attachment
    except BaseException:
        _delete_stored(stored)
        raise


@transaction.atomic(durable=True)
def attachment_remove(*, initiative_id: int, attachment_id: int, actor) -> None:
    """Take a file out of a draft (those who may edit it, in ``draft``). A file no submitted version
    holds is deleted, row and stored file (the file once the transaction has committed); one a
    version holds stays — row and file — for that version, and only leaves the dossier as it stands
    (``removed_at``). ``Attachment.DoesNotExist`` (→ 404) for a file not in the dossier. Audited."""
    initiative = Initiative.objects.select_for_update(of=("self",)).select_related("organisation").get(pk=initiative_id)
    _refuse_unless_editable(initiative, actor)
    attachment = current_attachments(initiative).get(pk=attachment_id)
    summary = attachment_summary(attachment)
    kept = attachment.first_version is not None
    if kept:
        attachment.removed_at = timezone.now()
        attachment.save(update_fields=["removed_at"])
    else:
        name = attachment.file.name
        attachment.delete()
        transaction.on_commit(lambda: _delete_stored([name]))
    audit_record(
        actor=actor,
        action="attachment_remove",
        obj=initiative,
        from_state=initiative.state,
        to_state=initiative.state,
        version=initiative.version,
        details={"attachment": summary, "kept_for_version": attachment.first_version},
    )


def attachment_orphans(
    *, delete: bool = False, older_than: datetime.timedelta = datetime.timedelta(hours=1)
) -> list[str]:
    """Stored files under ``attachments/`` that no row names — left by a process killed between
    storing a file and committing its row, or by a storage that failed to delete after a removal —
    and older than ``older_than`` (an upload in flight has its file before its row). Deleted when
    ``delete``. Rows are never touched; a file a row names is never listed."""
    known = set(Attachment.objects.values_list("file", flat=True))
    found = []
    try:
        folders, _files = default_storage.listdir("attachments")
    except FileNotFoundError:
        return []
    now = timezone.now()
    for folder in sorted(folders):
        for file in sorted(default_storage.listdir(f"attachments/{folder}")[1]):
            name = f"attachments/{folder}/{file}"
            if name in known:
                continue
            try:
                if now - default_storage.get_modified_time(name) < older_than:
                    continue
            except (NotImplementedError, OSError):
                pass
            found.append(name)
    if delete:
        _delete_stored(found)
    return found


# --- targets (chỉ tiêu) ---------------------------------------------------------------------------


def target_rules(*, initiatives) -> dict:
    if not isinstance(initiatives, int) or isinstance(initiatives, bool) or initiatives < 0:
        return {"initiatives": [_("Chỉ tiêu phải là số nguyên không âm.")]}
    return {}


@transaction.atomic
def target_set(
    *, actor, organisation: Organisation, phase: Phase, initiatives: int, valid_from=None
) -> OrganisationTarget:
    """Set ``organisation``'s target for ``phase`` — from the phase's start (``valid_from`` None),
    or a revision taking effect on ``valid_from`` (a row of its own, so the history stays and a
    report as of an earlier day still uses the target valid then). Targets are assigned from
    above: the admin of a union above the organisation (or a superuser, or the system) sets them,
    never the organisation's own admin. Audited with the value before and after. Targets are
    goals shown beside the counts; they change no counter."""
    if not administers_above(actor=actor, organisation=organisation):
        raise PermissionDenied(
            _("Chỉ tiêu của %(org)s do quản trị viên của tổ chức cấp trên giao.") % {"org": organisation.code}
        )
    errors = target_rules(initiatives=initiatives)
    if errors:
        raise ValidationError(errors)
    target = (
        OrganisationTarget.objects.select_for_update()
        .filter(organisation=organisation, phase=phase, valid_from=valid_from)
        .first()
    )
    before = target.initiatives if target else None
    if before == initiatives:
        return target
    if target is None:
        target = OrganisationTarget.objects.create(
            organisation=organisation, phase=phase, initiatives=initiatives, valid_from=valid_from
        )
    else:
        target.initiatives = initiatives
        target.save(update_fields=["initiatives"])
    audit_record(
        actor=actor,
        action="set_target",
        obj=target,
        scope_path=organisation.path,
        details={
            "organisation": organisation.code,
            "phase": str(phase),
            "before": before,
            "after": initiatives,
            **({"valid_from": valid_from.isoformat()} if valid_from else {}),
        },
    )
    return target

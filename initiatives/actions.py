"""Writes on dossiers: creating and editing drafts. Lifecycle transitions live in ``workflow``."""

import datetime
import hashlib
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from unidecode import unidecode

from audit.actions import audit_record

from .counters import progress_counters_apply, progress_share
from .exceptions import ApplicationError
from .models import DossierVersion, Initiative, InitiativeAuthor, Programme, State
from .rules import initiative_rules
from .selectors import can_edit

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


def _set_authors(initiative: Initiative, authors: list[dict]) -> None:
    initiative.authors.all().delete()
    InitiativeAuthor.objects.bulk_create(
        InitiativeAuthor(
            initiative=initiative,
            user=a.get("user"),
            full_name=a.get("full_name") or (a["user"].display_name if a.get("user") else ""),
            share_percent=a["share_percent"],
            position=i,
        )
        for i, a in enumerate(authors)
    )


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
        **clean,
    )
    initiative.reference = f"SK-{initiative.created_at:%Y}-{initiative.pk:07d}"
    initiative.save(update_fields=["reference"])
    _set_authors(initiative, authors)
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
        raise PermissionDenied(
            "Chỉ tác giả hoặc tổ tư vấn của đơn vị được sửa hồ sơ / "
            "Only an author or the unit's advisory team may edit this dossier."
        )
    if initiative.state != State.DRAFT:
        raise ApplicationError(
            f"Chỉ sửa được bản nháp; hồ sơ đang ở trạng thái '{initiative.state}' / "
            f"Only drafts can be edited; this one is in '{initiative.state}'.",
            code="invalid_state",
        )
    if version is not None and version != initiative.version:
        raise ApplicationError(
            f"Hồ sơ đã được người khác sửa (phiên bản {initiative.version}, bạn gửi {version}); hãy tải lại / "
            f"The dossier was changed by someone else (version {initiative.version}, you sent {version}); reload it.",
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
        _set_authors(initiative, clean["authors"])
        changed["authors"] = _authors_snapshot(clean["authors"])
    if changed:
        initiative.version += 1
        initiative.search_text = search_text_for(initiative.title, initiative.summary)
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


def dossier_snapshot(initiative: Initiative) -> dict:
    """The dossier as it stands: what a council will judge."""
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
            for a in initiative.authors.select_related("user")
        ],
    }


def dossier_freeze(*, initiative: Initiative, actor, at, extra: dict | None = None) -> DossierVersion:
    """Freeze the next immutable dossier version (inside the caller's transaction; the caller
    saves ``initiative.dossier_version``)."""
    assert transaction.get_connection().in_atomic_block
    content = {**dossier_snapshot(initiative), **(extra or {})}
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    initiative.dossier_version += 1
    return DossierVersion.objects.create(
        initiative=initiative,
        number=initiative.dossier_version,
        content=content,
        digest=digest,
        submitted_by=actor,
        submitted_at=at,
    )

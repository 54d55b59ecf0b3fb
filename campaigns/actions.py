"""Writes of campaigns: create one (its recipients fixed then, audited) and send one batch of it.

Nobody is mailed twice by one campaign: one recipient row per person (unique), and a batch first
claims its pending rows in one UPDATE (``pending`` → ``sending``) and mails only the rows it
claimed; a retried, repeated or concurrent run of the same batch finds nothing left to claim. A row
left ``sending`` by a worker that died after its claim is not mailed again: the next run of that
batch, after ``STALE_AFTER``, counts it as failed (at most once, never twice)."""

import datetime
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from audit.actions import audit_record
from councils.models import Organisation, User
from notifications.models import Notification

from .models import Audience, Campaign, CampaignRecipient, CampaignState, RecipientState
from .selectors import audience_users, current_programme, may_send_campaign

SUBJECT_MAX = 200
MESSAGE_MAX = 10000
STALE_AFTER = datetime.timedelta(minutes=15)
SUBJECT_PREFIX = "[Sáng kiến] "


def batch_size() -> int:
    return max(1, int(getattr(settings, "CAMPAIGN_BATCH_SIZE", 100)))


def campaign_create(*, actor: User, organisation: Organisation, subject, message, audience) -> Campaign:
    """An officer of ``organisation`` (``councils.act_as_officer`` on it: 403 otherwise) writes to
    the ``audience`` of its subtree. 400 naming the field for an empty or too long subject or
    message, or an unknown audience. The recipients are fixed now, one row each; the batches are
    sent by Celery after the commit. Audited (``create_campaign``)."""
    if not may_send_campaign(user=actor, organisation=organisation):
        raise PermissionDenied(
            _("Chỉ cán bộ công đoàn của %(organisation)s mới được gửi thư vận động cho tổ chức này.")
            % {"organisation": organisation.name}
        )
    errors = {}
    subject = subject.strip() if isinstance(subject, str) else ""
    message = message.strip() if isinstance(message, str) else ""
    if not subject:
        errors["subject"] = [_("cần tiêu đề thư")]
    elif len(subject) > SUBJECT_MAX or "\n" in subject or "\r" in subject:
        errors["subject"] = [_("tiêu đề thư là một dòng, dài tối đa %(n)d ký tự") % {"n": SUBJECT_MAX}]
    if not message:
        errors["message"] = [_("cần nội dung thư")]
    elif len(message) > MESSAGE_MAX:
        errors["message"] = [_("nội dung thư dài tối đa %(n)d ký tự") % {"n": MESSAGE_MAX}]
    if audience not in Audience.values:
        errors["audience"] = [
            _("không có đối tượng '%(value)s' (%(choices)s)")
            % {"value": str(audience)[:40], "choices": ", ".join(Audience.values)}
        ]
    if errors:
        raise ValidationError(errors)
    programme = current_programme()
    now = timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.create(
            organisation=organisation,
            programme=programme,
            subject=subject,
            message=message,
            audience=audience,
            created_by=actor,
            created_at=now,
        )
        people = audience_users(organisation=organisation, programme=programme).values_list("pk", "email")
        total, chunk = 0, []
        for pk, email in people.iterator(chunk_size=2000):
            chunk.append(CampaignRecipient(campaign=campaign, user_id=pk, email=email))
            if len(chunk) >= 2000:
                CampaignRecipient.objects.bulk_create(chunk)
                total, chunk = total + len(chunk), []
        if chunk:
            CampaignRecipient.objects.bulk_create(chunk)
            total += len(chunk)
        if total == 0:
            campaign.state, campaign.finished_at = CampaignState.DONE, now
            campaign.save(update_fields=["state", "finished_at"])
        audit_record(
            actor=actor,
            action="create_campaign",
            obj=campaign,
            comment=subject,
            details={
                "organisation": organisation.code,
                "audience": audience,
                "programme": programme.code if programme else None,
                "recipients": total,
            },
        )
        transaction.on_commit(lambda: campaign_schedule(campaign_id=campaign.pk))
    return campaign


def campaign_batches(*, campaign_id: int) -> list[tuple[int, int]]:
    """The campaign's recipients as ranges of row ids, ``batch_size()`` rows each."""
    ids = list(CampaignRecipient.objects.filter(campaign_id=campaign_id).order_by("pk").values_list("pk", flat=True))
    size = batch_size()
    return [(ids[i], ids[min(i + size, len(ids)) - 1]) for i in range(0, len(ids), size)]


def campaign_schedule(*, campaign_id: int) -> int:
    """Queue one task per batch (run in-process when Celery is eager); returns how many."""
    from .tasks import send_campaign_batch

    batches = campaign_batches(campaign_id=campaign_id)
    for first, last in batches:
        send_campaign_batch.delay(campaign_id, first, last)
    return len(batches)


def _mail(campaign: Campaign, sender_name: str) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        subject = SUBJECT_PREFIX + campaign.subject
        footer = _(
            "Thư này do %(sender)s (%(organisation)s) gửi tới đoàn viên chưa có sáng kiến nào trong "
            "chương trình. Đăng ký sáng kiến của bạn tại: %(link)s"
        ) % {
            "sender": sender_name,
            "organisation": campaign.organisation.name,
            "link": settings.SITE_URL.rstrip("/") + "/initiatives/new/",
        }
    return subject, f"{campaign.message}\n\n—\n{footer}"


def campaign_send_batch(*, campaign_id: int, first_id: int, last_id: int) -> dict:
    """Mail the pending recipients of one batch, each in a message of their own; count each as sent
    or failed. Idempotent: only rows this run claims are mailed. Returns ``{"sent", "failed"}``."""
    campaign = Campaign.objects.select_related("organisation", "created_by").get(pk=campaign_id)
    rows = CampaignRecipient.objects.filter(campaign_id=campaign_id, pk__gte=first_id, pk__lte=last_id)
    now = timezone.now()
    # rows a dead run claimed long ago: they may have been mailed, so they are not mailed again
    rows.filter(state=RecipientState.SENDING, claimed_at__lt=now - STALE_AFTER).update(
        state=RecipientState.FAILED, error="interrupted"
    )
    token = uuid.uuid4().hex
    claimed = rows.filter(state=RecipientState.PENDING).update(
        state=RecipientState.SENDING, claimed_at=now, claim=token
    )
    result = {"sent": 0, "failed": 0}
    if claimed:
        mine = list(rows.filter(state=RecipientState.SENDING, claim=token).order_by("pk"))
        subject, body = _mail(campaign, campaign.created_by.display_name)
        # each person reads the campaign in the application too, mail or not
        Notification.objects.bulk_create(
            [
                Notification(
                    recipient_id=r.user_id,
                    subject=subject.removeprefix(SUBJECT_PREFIX)[:300],
                    body=body,
                    url="/initiatives/new/",
                    created_at=now,
                )
                for r in mine
            ]
        )
        connection = get_connection(fail_silently=False)
        sent_ids, failed = [], []
        for r in mine:
            try:
                message = EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [r.email], connection=connection)
                ok = connection.send_messages([message]) == 1
                error = "" if ok else "not sent"
            except Exception as e:  # noqa: BLE001 — any refusal of the mail server is this person's failure
                ok, error = False, f"{type(e).__name__}: {e}"[:300]
            if ok:
                sent_ids.append(r.pk)
            else:
                failed.append((r.pk, error))
        try:
            connection.close()
        except Exception:  # noqa: BLE001, S110 — closing a broken connection changes nothing sent
            pass
        done_at = timezone.now()
        CampaignRecipient.objects.filter(pk__in=sent_ids).update(state=RecipientState.SENT, sent_at=done_at, error="")
        for pk, error in failed:
            CampaignRecipient.objects.filter(pk=pk).update(state=RecipientState.FAILED, error=error or "failed")
        result = {"sent": len(sent_ids), "failed": len(failed)}
    campaign_finish_if_done(campaign_id=campaign_id)
    return result


def campaign_finish_if_done(*, campaign_id: int) -> bool:
    """Mark the campaign done once no recipient is pending or being sent."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.state == CampaignState.DONE:
            return True
        waiting = CampaignRecipient.objects.filter(
            campaign_id=campaign_id, state__in=[RecipientState.PENDING, RecipientState.SENDING]
        ).exists()
        if waiting:
            return False
        campaign.state, campaign.finished_at = CampaignState.DONE, timezone.now()
        campaign.save(update_fields=["state", "finished_at"])
    return True

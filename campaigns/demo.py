"""The demo's campaign (issue 10, build 8): EVNSPC's officer ``canbo_spc`` writes to everyone of the
corporation with an account who has no initiative yet; two of them then draft their first one, so
the campaign's page and the dashboard show who joined. Through the same actions as the API and the
pages; idempotent (a second run adds nothing). ``seed_demo`` calls ``demo_campaigns()``."""

from django.test.utils import override_settings
from django.utils import timezone

from councils.models import Organisation, User
from initiatives.actions import initiative_create

from .actions import campaign_batches, campaign_create, campaign_send_batch
from .models import Audience, Campaign

SUBJECT = "Mời đoàn viên tham gia Chương trình 01 triệu sáng kiến"
MESSAGE = (
    "Kính gửi các đồng chí đoàn viên,\n\n"
    "Công đoàn Tổng công ty Điện lực miền Nam đề nghị mỗi đoàn viên tham gia ít nhất một sáng kiến "
    "trong chương trình. Tổ tư vấn hỗ trợ sáng kiến ở mỗi đơn vị sẵn sàng giúp các đồng chí hoàn thiện "
    "hồ sơ.\n\nTrân trọng."
)
# recipients who then draft their first initiative: (username, unit, title, category, benefit)
JOINERS = [
    ("tuvan2", "PCBD", "Bảng kiểm điện tử khi nghiệm thu công tơ cho khách hàng mới", "management", 30_000_000),
    ("hdit2", "SPCIT", "Công cụ tự động nhắc lịch gia hạn chứng thư số của đơn vị", "technical", 45_000_000),
]


def demo_campaigns() -> Campaign | None:
    """Send the demo's campaign (once) and let two of its recipients join; returns the campaign."""
    officer = User.objects.filter(username="canbo_spc").first()
    spc = Organisation.objects.filter(code="EVNSPC").first()
    if officer is None or spc is None:
        return None
    campaign = Campaign.objects.filter(organisation=spc, subject=SUBJECT).first()
    if campaign is not None:
        return campaign
    # the demo's addresses are examples: no mail leaves the machine
    with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
        campaign = campaign_create(
            actor=officer, organisation=spc, subject=SUBJECT, message=MESSAGE, audience=Audience.WITHOUT_INITIATIVE
        )
        for first, last in campaign_batches(campaign_id=campaign.pk):  # sent already when Celery is eager
            campaign_send_batch(campaign_id=campaign.pk, first_id=first, last_id=last)
        for username, unit, title, category, benefit in JOINERS:
            person = User.objects.filter(username=username).first()
            if person is None or not campaign.recipients.filter(user=person).exists():
                continue
            initiative_create(
                actor=person,
                organisation=Organisation.objects.get(code=unit),
                authors=[{"user": person, "share_percent": 100}],
                title=title,
                summary=f"{title}: tiết kiệm thời gian và tránh sai sót.",
                problem="Trước đây việc này làm thủ công, dễ bỏ sót.",
                solution="Công cụ mới được áp dụng thử tại đơn vị sau khi nhận thư vận động.",
                category=category,
                benefit_value_vnd=benefit,
                applied_since=timezone.localdate(),
            )
    campaign.refresh_from_db()
    return campaign

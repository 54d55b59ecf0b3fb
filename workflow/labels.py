"""Words for the codes people would otherwise read on the pages."""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "create": _("Tạo bản nháp"),
    "update": _("Sửa hồ sơ"),
    "import": _("Nhập từ sổ đăng ký"),
    "submit": _("Nộp hồ sơ"),
    "forward": _("Chuyển hội đồng"),
    "return": _("Trả lại"),
    "withdraw": _("Rút sáng kiến"),
    "vote": _("Biểu quyết"),
    "close": _("Kết thúc phiên xét"),
    "restart": _("Mở lại phiên biểu quyết"),
    "award": _("Khen thưởng"),
    "award_revoke": _("Thu hồi khen thưởng"),
    "overdue": _("Quá hạn quyết định"),
    "edit": _("Sửa hồ sơ"),
    "authorship_confirm": _("Xác nhận là đồng tác giả"),
    "authorship_decline": _("Từ chối là đồng tác giả"),
    "confirm_authorship": _("Xác nhận là đồng tác giả"),
    "decline_authorship": _("Từ chối là đồng tác giả"),
}

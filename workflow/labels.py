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

# the other entries of the audit trail: files, awards' rules, accounts, the structure, sign-in
RECORD_LABELS = {
    "attachment_add": _("Thêm tệp đính kèm"),
    "attachment_remove": _("Bỏ tệp đính kèm khỏi hồ sơ"),
    "set_target": _("Đặt chỉ tiêu"),
    "create_programme": _("Tạo chương trình"),
    "update_programme": _("Sửa chương trình"),
    "create_phase": _("Tạo giai đoạn"),
    "update_phase": _("Sửa giai đoạn"),
    "create_quota": _("Tạo hạn mức khen thưởng"),
    "update_quota": _("Sửa hạn mức khen thưởng"),
    "create_eligibility_rule": _("Tạo tiêu chí khen thưởng"),
    "update_eligibility_rule": _("Sửa tiêu chí khen thưởng"),
    "create_organisation": _("Tạo tổ chức"),
    "update_organisation": _("Sửa tổ chức"),
    "move_organisation": _("Chuyển tổ chức"),
    "create_council": _("Tạo hội đồng"),
    "update_council": _("Sửa hội đồng"),
    "set_membership": _("Bổ nhiệm thành viên hội đồng"),
    "remove_membership": _("Bỏ thành viên hội đồng"),
    "set_substitute": _("Đặt người dự khuyết"),
    "remove_substitute": _("Bỏ người dự khuyết"),
    "create_bloc": _("Tạo khối thi đua"),
    "update_bloc": _("Sửa khối thi đua"),
    "create_user": _("Tạo người dùng"),
    "update_user": _("Sửa người dùng"),
    "grant_role": _("Cấp vai trò"),
    "revoke_role": _("Thu hồi vai trò"),
    "set_password": _("Đặt mật khẩu"),
    "disable_password": _("Vô hiệu hóa mật khẩu"),
    "account_changed_outside": _("Tài khoản bị sửa ngoài ứng dụng"),
    "login_locked_out": _("Khóa đăng nhập sau nhiều lần sai mật khẩu"),
    "adopt": _("Ghi nhận đơn vị áp dụng sáng kiến"),
    "create_campaign": _("Gửi thư vận động"),
}

# every action the trail records, in the order the auditor's filter lists them: the dossier's steps,
# then the rest (a test checks that each action the code writes is here)
_DOSSIER_ACTIONS = [
    "create",
    "update",
    "import",
    "attachment_add",
    "attachment_remove",
    "authorship_confirm",
    "authorship_decline",
    "submit",
    "forward",
    "return",
    "withdraw",
    "vote",
    "close",
    "restart",
    "overdue",
    "award",
    "award_revoke",
]
TRAIL_ACTIONS = list(dict.fromkeys([*_DOSSIER_ACTIONS, *RECORD_LABELS]))
TRAIL_ACTION_LABELS = {code: {**ACTION_LABELS, **RECORD_LABELS}[code] for code in TRAIL_ACTIONS}

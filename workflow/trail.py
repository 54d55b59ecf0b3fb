"""The filters of the trail across dossiers, read in one place for the API (``/api/v1/audit/entries/``
and its CSV) and the auditor's page (``/audit/``): the same names, the same checks, the same
messages."""

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext

from config.params import parse_day, parse_search
from councils.models import Organisation

# the filters both doors read; the page adds its own (order, before, after)
TRAIL_FILTER_NAMES = ("organisation", "initiative", "actor", "action", "since", "until", "q")


def trail_filters(params, *, user) -> dict:
    """``params`` (a query dict) → keyword arguments of ``workflow.selectors.trail_entries``.

    Raises ``PermissionDenied`` when ``user`` reads no trail or names an organisation outside
    their reach, and ``ValidationError({field: [messages]})`` naming every bad filter at once."""
    from .selectors import trail_scope_paths

    errors, out = {}, {}
    paths = trail_scope_paths(user=user)
    if paths == []:
        raise PermissionDenied(gettext("Chỉ người kiểm tra hoặc quản trị mới được xem nhật ký kiểm toán"))
    code = params.get("organisation")
    if code:
        org = Organisation.objects.filter(code=code[:40]).first()
        if org is None:
            errors["organisation"] = [gettext("Không có tổ chức mã “%(code)s”") % {"code": code[:40]}]
        elif paths is not None and not any(org.path.startswith(p) for p in paths):
            raise PermissionDenied(
                gettext("Bạn không kiểm tra hay quản trị %(org)s nên không xem được nhật ký của đơn vị này")
                % {"org": org.code}
            )
        else:
            out["organisation"] = org
    raw = params.get("initiative")
    if raw:
        if not raw.isascii() or not raw.isdigit() or not 0 < int(raw) < 2**63:
            errors["initiative"] = [gettext("Mã sáng kiến phải là số nguyên dương")]
        else:
            out["initiative_id"] = int(raw)
    for name, longest in (("actor", 150), ("action", 40)):
        value = params.get(name)
        if value and len(value) > longest:
            errors[name] = [gettext("Dài tối đa %(n)d ký tự") % {"n": longest}]
        elif value:
            out[name] = value
    if params.get("q"):  # words of the comment or the actor's name, accents optional
        try:
            out["words"] = parse_search(params["q"], "q")
        except ValidationError as e:
            errors.update(e.message_dict)
    tz = timezone.get_current_timezone()
    days = {}
    for name in ("since", "until"):
        if params.get(name):
            try:
                days[name] = parse_day(params[name], name)
            except ValidationError as e:
                errors.update(e.message_dict)
    if "since" in days and "until" in days and days["since"] > days["until"]:
        errors["until"] = [gettext("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu")]
    if errors:
        raise ValidationError(errors)
    if "since" in days:
        out["since"] = datetime.datetime.combine(days["since"], datetime.time.min, tzinfo=tz)
    if "until" in days:
        after = days["until"] + datetime.timedelta(days=1)
        out["until"] = datetime.datetime.combine(after, datetime.time.min, tzinfo=tz)
    return out

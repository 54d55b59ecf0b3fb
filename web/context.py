"""Template context for the base layout's navigation."""

from councils.models import Role


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    if "_nav_reports" not in request.__dict__:
        from councils.selectors import user_roles

        roles = {role for role, _path in user_roles(user=user)} & {Role.OFFICER, Role.AUDITOR, Role.ADMIN}
        request._nav_reports = bool(roles)
        request._nav_campaigns = bool(roles & {Role.OFFICER, Role.ADMIN})
    if "_nav_audit" not in request.__dict__:
        from workflow.selectors import trail_scope_paths

        request._nav_audit = trail_scope_paths(user=user) != []
    if "_nav_unread" not in request.__dict__:
        from notifications.selectors import unread_count

        request._nav_unread = unread_count(user=user)
    return {
        "nav_reports": request._nav_reports,
        "nav_campaigns": request.__dict__.get("_nav_campaigns", False),
        "nav_audit": request._nav_audit,
        "nav_unread": request._nav_unread,
    }

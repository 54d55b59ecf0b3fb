"""Template context for the base layout's navigation."""

from councils.models import Role, RoleAssignment


def navigation(request):
    user = getattr(request, "user", None)
    if not user or not user.is_authenticated:
        return {}
    if "_nav_reports" not in request.__dict__:
        request._nav_reports = RoleAssignment.objects.filter(
            user=user, role__in=[Role.OFFICER, Role.AUDITOR, Role.ADMIN]
        ).exists()
    if "_nav_audit" not in request.__dict__:
        from workflow.selectors import trail_scope_paths

        request._nav_audit = trail_scope_paths(user=user) != []
    if "_nav_unread" not in request.__dict__:
        from notifications.selectors import unread_count

        request._nav_unread = unread_count(user=user)
    return {"nav_reports": request._nav_reports, "nav_audit": request._nav_audit, "nav_unread": request._nav_unread}

"""Roles granted on an organisation hold on its whole subtree.

guardian answers ``has_perm(perm, obj)`` for the object itself; this backend extends the same
question to the object's ancestors, reading guardian's own ``RolePermission`` rows. The ancestors
come from the materialised path, so the answer is one indexed query (cached per user object).
"""

from guardian.backends import ObjectPermissionBackend

from .models import Organisation, RolePermission


class SubtreeRoleBackend:
    def authenticate(self, request, **credentials):
        return None

    def has_perm(self, user_obj, perm, obj=None):
        if obj is None or not isinstance(obj, Organisation):
            return False
        if not user_obj.is_active or not user_obj.is_authenticated:
            return False
        app_label, _, codename = perm.rpartition(".")
        if app_label and app_label != "councils":
            return False
        cache = user_obj.__dict__.setdefault("_subtree_perm_cache", {})
        key = (codename, obj.path)
        if key not in cache:
            cache[key] = RolePermission.objects.filter(
                user=user_obj,
                permission__codename=codename,
                content_object__path__in=obj.ancestor_paths(),
            ).exists()
        return cache[key]


class RequestObjectPermissionBackend(ObjectPermissionBackend):
    """guardian's object permissions, with one ``ObjectPermissionChecker`` per person and request:
    guardian makes a checker (and so asks the database) at every ``has_perm``, so a page that asks
    "may vote?" and "may close?" of one council asked twice. Within a request the checker keeps
    what it read per object (``councils.selectors._per_request``); outside one (actions, commands,
    tasks) every question is asked afresh, as guardian does."""

    def has_perm(self, user_obj, perm, obj=None):
        from guardian.backends import check_support
        from guardian.core import ObjectPermissionChecker

        from .selectors import _per_request

        if "." in perm and obj is not None and perm.split(".", 1)[0] != obj._meta.app_label:
            return super().has_perm(user_obj, perm, obj)  # guardian's own checks of the app label
        support, user_obj = check_support(user_obj, obj)
        if not support:
            return False
        checker = _per_request(user_obj, "guardian_checker", lambda: ObjectPermissionChecker(user_obj))
        return checker.has_perm(perm, obj)

"""Roles granted on an organisation hold on its whole subtree.

guardian answers ``has_perm(perm, obj)`` for the object itself; this backend extends the same
question to the object's ancestors, reading guardian's own ``RolePermission`` rows. The ancestors
come from the materialised path, so the answer is one indexed query (cached per user object).
"""

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

"""A safety net under the trail: privileged changes to accounts made *outside* the actions.

Every door of the application (the pages, the API, the admin, the structure loader) changes
accounts through ``councils.actions``, which audit each change themselves. Django's own
``createsuperuser`` and ``changepassword`` commands, and anyone with a shell, write ``User`` rows
directly. This module notices such writes to what grants power over the system — superuser,
staff, groups, model permissions, the password, whether the account is active — and appends a
``account_changed_outside`` entry to the trail (never the password or its hash).

It is security logging, not business logic: it decides nothing and changes nothing, which is
why it may hang on model signals (STYLE.md keeps business rules out of signals). Writes that
bypass ``save()`` altogether (``QuerySet.update``, raw SQL) are not seen; ``verify_audit``
cannot see them either — the database's own log is the last line there.
"""

from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_save

WATCHED = ("is_superuser", "is_staff", "is_active", "password")


def _inside_action() -> bool:
    from .actions import account_write_in_progress

    return account_write_in_progress()


def _record(user, fields: dict, *, created: bool = False) -> None:
    from audit.actions import audit_record

    with transaction.atomic():
        audit_record(
            actor=None,
            action="account_changed_outside",
            obj=user,
            details={
                "user": user.username,
                "created": created,
                "changed": fields,
                "how": "outside the application's actions (a shell, createsuperuser, changepassword …)",
            },
        )


def _before_save(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or _inside_action():
        return
    instance._safety_net_before = None
    if instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(WATCHED):
        return
    instance._safety_net_before = sender.objects.filter(pk=instance.pk).values(*WATCHED).first()


def _after_save(sender, instance, created=False, raw=False, update_fields=None, **kwargs):
    if raw or _inside_action():
        return
    if created:
        if instance.is_superuser or instance.is_staff:
            _record(
                instance,
                {"is_superuser": [False, instance.is_superuser], "is_staff": [False, instance.is_staff]},
                created=True,
            )
        return
    before = getattr(instance, "_safety_net_before", None)
    instance._safety_net_before = None
    if not before:
        return
    changed = {}
    for name in WATCHED:
        old, new = before[name], getattr(instance, name)
        if old != new:
            changed[name] = ["…", "…"] if name == "password" else [old, new]
    if changed:
        _record(instance, changed)


def _groups_or_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if action not in ("post_add", "post_remove", "post_clear") or _inside_action():
        return
    from .models import User

    if reverse:  # group.user_set.add(user): the instance is the group, the users are in pk_set
        users = User.objects.filter(pk__in=pk_set or [])
        what = str(instance)
    else:
        users = [instance]
        what = sorted(str(o) for o in model.objects.filter(pk__in=pk_set or []))
    relation = "groups" if sender is User.groups.through else "user_permissions"
    for user in users:
        _record(user, {relation: {action.removeprefix("post_"): what}})


def connect() -> None:
    from .models import User

    pre_save.connect(_before_save, sender=User, dispatch_uid="councils.safety_net.pre_save")
    post_save.connect(_after_save, sender=User, dispatch_uid="councils.safety_net.post_save")
    for through in (User.groups.through, User.user_permissions.through):
        m2m_changed.connect(
            _groups_or_permissions_changed, sender=through, dispatch_uid=f"councils.safety_net.{through.__name__}"
        )

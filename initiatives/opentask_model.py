"""The open work of the programme, one row per piece (as Camunda's ``ACT_RU_TASK`` and viewflow's
``Task``): which dossier, what is expected, and who may take it — one person (``user``: an author
to complete and submit a draft, or to confirm a naming) or a group (``council``: the advisory team
that forwards or returns, the council whose members vote, the chair and secretary who close).

Kept in the same transaction as the change that makes or ends the work, in one place
(``initiatives.opentasks.tasks_sync``). The inbox reads it through its indexes ("my open tasks,
soonest due first") instead of searching the whole table of dossiers. Who sits on a council is
read at query time, so a member who joins or leaves changes nobody's rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TaskKind(models.TextChoices):
    SUBMIT = "submit", _("Hoàn thiện và nộp hồ sơ")
    CONFIRM = "confirm", _("Xác nhận việc ghi tên tác giả")
    ADVISE = "advise", _("Chuyển hoặc trả hồ sơ")
    VOTE = "vote", _("Biểu quyết")
    CLOSE = "close", _("Kết thúc phiên xét")


class OpenTask(models.Model):
    initiative = models.ForeignKey("initiatives.Initiative", on_delete=models.CASCADE, related_name="open_tasks")
    kind = models.CharField(max_length=10, choices=TaskKind.choices)
    # exactly one of the two: the person, or the group (a council) whose members may take it
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    council = models.ForeignKey(
        "councils.Council", null=True, blank=True, on_delete=models.CASCADE, related_name="open_tasks"
    )
    organisation = models.ForeignKey("councils.Organisation", on_delete=models.CASCADE, related_name="+")
    due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("việc đang chờ")
        verbose_name_plural = _("việc đang chờ")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=True, council__isnull=False)
                | models.Q(user__isnull=False, council__isnull=True),
                name="open_task_user_or_council",
            )
        ]
        indexes = [
            models.Index(fields=["user", "due_at", "initiative"], name="open_task_user_due"),
            models.Index(fields=["council", "kind", "due_at", "initiative"], name="open_task_council_due"),
        ]

    def __str__(self):
        return f"{self.kind} {self.initiative_id} → {self.user_id or self.council_id}"

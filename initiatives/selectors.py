"""Questions actions ask about a person and a dossier. Visibility lives in ``workflow.selectors``
(it depends on council sessions)."""

from councils.models import Organisation
from councils.selectors import advisory_team_for, is_unit

from .models import Consent, Initiative


def is_author(*, user, initiative: Initiative) -> bool:
    """Listed among the authors (whatever they answered): what recusal asks."""
    return initiative.authors.filter(user_id=user.pk).exists()


def is_acting_author(*, user, initiative: Initiative) -> bool:
    """Listed and not declined: the author's powers (edit, submit, withdraw, the confidential
    content) belong to those who did not say they are no author."""
    return initiative.authors.filter(user_id=user.pk).exclude(consent=Consent.DECLINED).exists()


def is_adviser(*, user, organisation: Organisation) -> bool:
    team = advisory_team_for(organisation=organisation)
    return bool(team) and user.has_perm("councils.advise", team)


def can_create_in(*, user, organisation: Organisation) -> bool:
    """A draft may be created in a unit the user belongs to (or holds a role on) or advises."""
    if not is_unit(organisation):
        return False
    if user.organisation_id == organisation.pk:
        return True
    for perm in ("author_in", "act_as_officer", "administer"):
        if user.has_perm(f"councils.{perm}", organisation):
            return True
    return is_adviser(user=user, organisation=organisation)


def can_edit(*, user, initiative: Initiative) -> bool:
    return is_acting_author(user=user, initiative=initiative) or is_adviser(
        user=user, organisation=initiative.organisation
    )

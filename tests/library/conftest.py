import datetime

import pytest

from initiatives.models import Initiative, State

RECOGNISED_AT = datetime.datetime(2025, 1, 15, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def recognised(make_draft):
    """recognised(user=…, **draft fields) → an initiative made through the API, then put into a
    recognised state (its council's approval is the workflow's business, tested there)."""

    def make(*, user="author1", state=State.UNIT_COUNCIL, recognised_at=RECOGNISED_AT, **overrides):
        data = make_draft(user=user, **overrides)
        Initiative.objects.filter(pk=data["id"]).update(state=state, recognised_at=recognised_at)
        return Initiative.objects.get(pk=data["id"])

    return make

import datetime

import pytest

from councils.models import Council
from initiatives.models import Initiative, State

# a fixed past date, so that commendations for months of 2025 may pick them
RECOGNISED_AT = datetime.datetime(2025, 1, 15, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture
def recognised(make_draft):
    """recognised(n, ...) → n initiatives made through the API, then put into a recognised state
    (test setup only: the lifecycle actions are not written yet)."""

    def make(n=1, *, user="author1", state=State.SECTOR_REVIEW, recognised_at=None, **overrides):
        out = []
        for k in range(n):
            overrides.setdefault("title", "Sáng kiến cải tiến quy trình vận hành")
            data = make_draft(user=user, **{**overrides, "title": f"{overrides['title']} số {k + 1:03d}"})
            Initiative.objects.filter(pk=data["id"]).update(state=state, recognised_at=recognised_at or RECOGNISED_AT)
            out.append(Initiative.objects.get(pk=data["id"]))
        return out

    return make


@pytest.fixture
def sector_council(structure):
    return Council.objects.get(code="NGANH-HD")


@pytest.fixture
def federation_council(structure):
    return Council.objects.get(code="TLD-HD")


@pytest.fixture(autouse=True)
def _seeded_rules(request):
    """The eligibility rules come from data migration 0004. A transactional test (the PostgreSQL
    concurrency test) flushes the tables afterwards, and a reused test database keeps them
    empty: so seed them again for every test here (``eligibility_rules``, tests/conftest.py)."""
    if "django_db" not in request.keywords and "db" not in request.fixturenames:
        return
    request.getfixturevalue("eligibility_rules")

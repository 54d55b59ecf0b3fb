"""The data migrations of issue 8: sessions that existed before them get their rules from their
council."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from councils.models import Council
from workflow.models import CouncilSession

pytestmark = pytest.mark.django_db(transaction=True)


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


def _latest_workflow():
    executor = MigrationExecutor(connection)
    return [node for node in executor.loader.graph.leaf_nodes() if node[0] == "workflow"]


def test_sessions_opened_before_the_migration_take_their_councils_rules(flow):
    iid = flow.to_unit_council(
        organisation="XN2", adviser="a_adv", user="author2", authors=[{"username": "author2", "share_percent": 100}]
    )
    open_id = CouncilSession.objects.get(initiative_id=iid).pk
    latest = _latest_workflow()
    _migrate([("workflow", "0001_initial")])
    try:
        Council.objects.filter(code="XN2-HD").update(quorum=3, threshold_numerator=1, threshold_denominator=2)
    finally:
        _migrate(latest)
    session = CouncilSession.objects.get(pk=open_id)
    assert (session.ballot, session.quorum, session.threshold_display, session.decision_days) == (
        "secret",
        3,
        "1/2",
        90,
    )

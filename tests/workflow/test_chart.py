import pytest

from web.chart import flow_edges, state_chart_svg
from workflow.flows import InitiativeFlow

pytestmark = pytest.mark.django_db


def test_the_chart_draws_every_transition_of_the_flow():
    svg = state_chart_svg()
    declared = {
        (str(t.source), str(target), t.label)
        for transitions in InitiativeFlow.state.get_transitions().values()
        for t in transitions
        for target in t.declared_targets()
    }
    assert set(flow_edges()) == declared
    for src, dst, label in declared:
        assert f'id="edge-{label}-{src}-{dst}"' in svg
    assert ("sector_review", "federation_review", "close") in declared
    assert ("unit_council", "federation_certified", "close") not in declared
    for state in ("draft", "withdrawn", "rejected", "sector_certified", "federation_certified"):
        assert f'id="state-{state}"' in svg


def test_help_page_and_svg(client):
    r = client.get("/help/")
    assert r.status_code == 200 and b"<svg" in r.content and "Vòng đời".encode() in r.content
    r = client.get("/help/lifecycle.svg")
    assert r.status_code == 200 and r["Content-Type"].startswith("image/svg+xml")


def test_close_refuses_a_target_not_declared_for_its_stage(flow):
    from viewflow.fsm import InvalidTargetState

    from initiatives.models import Initiative

    iid = flow.to_unit_council()
    f = InitiativeFlow(Initiative.objects.get(pk=iid))
    with pytest.raises(InvalidTargetState):
        f.close(to="federation_certified")


def test_the_chart_in_the_docs_is_the_one_the_code_draws():
    from web.management.commands.draw_lifecycle import DEFAULT

    assert DEFAULT.read_text(encoding="utf-8") == state_chart_svg() + "\n", (
        "docs/lifecycle.svg is out of date: run `python manage.py draw_lifecycle`"
    )

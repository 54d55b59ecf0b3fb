"""The benchmarks at a tiny scale, as CI's smoke test: every write action of ``bench/actions.py``
runs through the real actions and is counted, and the plot is written. No timing is asserted."""

import json

import pytest

from bench import actions, plot


@pytest.mark.django_db
def test_actions_bench_runs_every_action_and_counts_its_queries(tmp_path):
    rows = actions.run(6, migrate=False)
    by = {r["bench"].split(" ")[0]: r for r in rows}
    for name in (
        "initiative_create",
        "initiative_submit",
        "initiative_forward",
        "vote_cast",
        "initiative_close",
        "certificate_issue",
        "commendation_select",
        "adhoc_commend",
    ):
        assert by[name]["n"] >= 1 and by[name]["queries"] > 0, (name, by[name])
    assert by["vote_cast"]["n"] == 30  # five ballots per dossier
    from django.db import connection

    if connection.vendor == "postgresql":  # certificate_issue beside our raw-SQL issue, one dossier each
        raw = next(r for r in rows if r["bench"] == actions.RAW_CERT)
        assert raw["n"] == by["certificate_issue"]["n"] == 1 and raw["queries"] > 0
    (tmp_path / "tiny.json").write_text(json.dumps({"initiatives": 300, "generate_load_seconds": 3, "actions": rows}))
    (tmp_path / "10k.json").write_text(
        json.dumps({"initiatives": 10_000, "generate_load_seconds": 40, "actions": rows})
    )
    svg = plot.write_svg(tmp_path).read_text()
    assert svg.startswith("<svg") and "initiative_close" in svg and "10,000" in svg

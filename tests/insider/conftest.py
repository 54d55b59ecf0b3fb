"""The insider suite: tests that attack the system the way someone inside would (a DBA reading raw
tables, a unit's administrator, an auditor, a co-author) and assert that each attack fails.

Every test records what it tried and what held through the ``insider`` fixture; the run ends
with that list, so a reader sees the attacks, not only a row of dots::

    def test_x(insider):
        insider.tried("join BallotCast to Vote on xmin (PostgreSQL)")
        ...
        insider.held("no row pairs a voter with a decision")
"""

import pytest

_REPORT: list[tuple[str, str, list[str], list[str]]] = []


class InsiderLog:
    def __init__(self, nodeid):
        self.nodeid = nodeid
        self.attempts: list[str] = []
        self.guarantees: list[str] = []

    def tried(self, what: str) -> None:
        self.attempts.append(what)

    def held(self, what: str) -> None:
        self.guarantees.append(what)


@pytest.fixture
def insider(request):
    log = InsiderLog(request.node.nodeid)
    yield log
    outcome = "passed"
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        outcome = "FAILED"
    _REPORT.append((log.nodeid, outcome, log.attempts, log.guarantees))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep


def pytest_terminal_summary(terminalreporter):
    if not _REPORT:
        return
    tr = terminalreporter
    tr.section("insider attacks: what was tried and what held")
    for nodeid, outcome, attempts, guarantees in _REPORT:
        tr.write_line(f"{nodeid.split('::')[-1]} [{outcome}]")
        for a in attempts:
            tr.write_line(f"    tried: {a}")
        for g in guarantees:
            tr.write_line(f"    held:  {g}")

"""The insider suite reports its attacks (the fixture itself, checked once)."""


def test_the_report_records_attempts_and_guarantees(insider):
    insider.tried("nothing yet: the fixture records what a test tried")
    insider.held("the summary at the end of the run lists it")
    assert insider.record == {
        "tried": ["nothing yet: the fixture records what a test tried"],
        "held": ["the summary at the end of the run lists it"],
    }

"""Finding 4 (issue 8): the rules live in the actions, so every door shares them. A direct call —
as the import, the admin, a future page or a shell would make — is held to the same rules as the
API, with the same messages (one gettext message each, in the active language)."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from initiatives.actions import initiative_create, initiative_update
from initiatives.models import Initiative, Programme
from tests.conftest import draft_payload

pytestmark = pytest.mark.django_db


def _create(users, actor="author1", **overrides):
    """A direct call, as a shell or a future page would make it (authors as accounts)."""
    data = draft_payload(**{"authors": [{"user": users["author1"], "share_percent": 100}], **overrides})
    return initiative_create(actor=users[actor], **data)


def _errors(fn) -> dict:
    with pytest.raises(ValidationError) as e, translation.override("en"):
        fn()
    return e.value.message_dict


def test_the_finding_a_one_letter_title_a_7_percent_author_and_a_nonsense_category(users):
    errors = _errors(
        lambda: initiative_create(
            actor=users["author1"],
            organisation=users["author1"].organisation,
            title="X",
            category="nonsense",
            authors=[{"user": users["author1"], "share_percent": 7}],
        )
    )
    assert errors == {
        "title": ["title must be at least 10 characters"],
        "category": ["unknown category 'nonsense' (technical, management, union, covid)"],
        "authors": ["author shares must sum to 100 (they sum to 7)"],
    }
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    "overrides,field,message",
    [
        ({"title": "   "}, "title", "title may not be blank"),
        ({"title": "x" * 301}, "title", "title must be at most 300 characters"),
        ({"title": 12345678901}, "title", "title must be text"),
        ({"summary": "s" * 5001}, "summary", "must be at most 5000 characters"),
        ({"organisation": "NOPE"}, "organisation", "unknown organisation 'NOPE'"),
        ({"organisation": "TCTA"}, "organisation", "'TCTA' is not a grassroots unit"),
        ({"organisation": "XN2"}, "organisation", "you neither belong to nor advise the unit 'XN2'"),
        ({"authors": []}, "authors", "at least one author is needed"),
        ({"authors": [{"full_name": "Người Ngoài", "share_percent": Decimal("-5")}]}, "authors", "greater than 0"),
        ({"authors": [{"full_name": "Người Ngoài", "share_percent": 150}]}, "authors", "at most 100"),
        ({"authors": [{"full_name": "Người Ngoài", "share_percent": "99.999"}]}, "authors", "two decimal places"),
        ({"authors": [{"full_name": "Người Ngoài", "share_percent": "NaN"}]}, "authors", "must be a number"),
        ({"authors": [{"username": "ghost", "share_percent": 100}]}, "authors", "Author 1: unknown user 'ghost'"),
        ({"authors": [{"full_name": "N" * 201, "share_percent": 100}]}, "authors", "at most 200 characters"),
        ({"benefit_value_vnd": -1}, "benefit_value_vnd", "must be ≥ 0"),
        ({"benefit_value_vnd": 1.5}, "benefit_value_vnd", "must be an integer"),
        ({"benefit_value_vnd": True}, "benefit_value_vnd", "must be an integer"),
        ({"benefit_value_vnd": "nhiều"}, "benefit_value_vnd", "must be an integer"),
        ({"benefit_value_vnd": 10**16}, "benefit_value_vnd", "too large"),
        ({"applied_since": datetime.date(2999, 1, 1)}, "applied_since", "cannot be in the future"),
        ({"applied_since": "0000-01-01"}, "applied_since", "YYYY-MM-DD"),
        ({"applied_since": "2021-08-31"}, "applied_since", "counts initiatives applied from 01/09/2021 only"),
        ({"confidential": "yes"}, "confidential", "true or false"),
    ],
)
def test_each_rule_holds_for_a_direct_call(users, overrides, field, message):
    errors = _errors(lambda: _create(users, **overrides))
    assert field in errors, errors
    assert any(message in m for m in errors[field]), errors
    assert not Initiative.objects.exists()


def test_an_inactive_account_cannot_be_named_and_nobody_twice(users):
    users["author1b"].is_active = False
    users["author1b"].save()
    errors = _errors(
        lambda: _create(
            users,
            authors=[
                {"user": users["author1"], "share_percent": 50},
                {"user": users["author1b"], "share_percent": 50},
            ],
        )
    )
    assert errors["authors"] == ["Author 2: unknown user 'author1b'"]
    errors = _errors(
        lambda: _create(
            users,
            authors=[{"username": "author1", "share_percent": 50}, {"username": "author1", "share_percent": 50}],
        )
    )
    assert errors["authors"] == ["Author 2: author1 is listed twice"]


def test_every_problem_is_reported_at_once_in_vietnamese_by_default(users):
    with pytest.raises(ValidationError) as e:
        initiative_create(actor=users["author1"], title="X", benefit_value_vnd=-3)
    assert e.value.message_dict == {
        "title": ["Tên sáng kiến phải dài ít nhất 10 ký tự"],
        "category": ["Cần lĩnh vực"],
        "organisation": ["Cần mã đơn vị"],
        "authors": ["Cần ít nhất một tác giả"],
        "benefit_value_vnd": ["Giá trị làm lợi không được âm"],
    }


def test_the_counting_window_is_the_drafts_programme(users):
    """A draft belongs to the programme running when it was created: the programme counts
    initiatives applied between its start and its end."""
    i = _create(users)
    assert i.programme.code == "T-PROG"
    Programme.objects.filter(pk=i.programme_id).update(ends=datetime.date(2022, 12, 31))
    errors = _errors(lambda: initiative_update(actor=users["author1"], initiative_id=i.pk, applied_since="2023-01-02"))
    assert errors == {"applied_since": ["programme T-PROG counts initiatives applied until 31/12/2022 only"]}
    # no programme running: the draft belongs to none, only plausibility holds
    Programme.objects.all().delete()
    other = _create(users, applied_since="1999-05-01")
    assert other.programme is None
    errors = _errors(lambda: _create(users, applied_since="1989-12-31"))
    assert errors == {"applied_since": ["applied_since cannot be before 01/01/1990"]}


def test_an_edit_is_judged_on_the_merged_dossier(users):
    i = _create(users)
    errors = _errors(lambda: initiative_update(actor=users["author1"], initiative_id=i.pk, title="Ngắn"))
    assert errors == {"title": ["title must be at least 10 characters"]}
    errors = _errors(
        lambda: initiative_update(
            actor=users["author1"], initiative_id=i.pk, authors=[{"user": users["author1"], "share_percent": 7}]
        )
    )
    assert errors == {"authors": ["author shares must sum to 100 (they sum to 7)"]}
    # a dossier that broke the rules before (written past the actions) must be mended by the edit
    Initiative.objects.filter(pk=i.pk).update(category="nonsense")
    errors = _errors(lambda: initiative_update(actor=users["author1"], initiative_id=i.pk, summary="Tóm tắt mới"))
    assert errors == {"category": ["unknown category 'nonsense' (technical, management, union, covid)"]}
    i.refresh_from_db()
    assert i.summary != "Tóm tắt mới" and i.version == 1


def test_an_unchanged_author_whose_account_closed_does_not_block_other_edits(users):
    i = _create(
        users,
        authors=[{"username": "author1", "share_percent": 60}, {"username": "author1b", "share_percent": 40}],
    )
    users["author1b"].is_active = False
    users["author1b"].save()
    i = initiative_update(actor=users["author1"], initiative_id=i.pk, title="Một tên mới đủ dài cho sáng kiến")
    assert i.version == 2 and i.authors.count() == 2


def test_values_are_normalised_the_same_for_every_door(users):
    i = _create(
        users,
        title="   Tên có khoảng trắng ở hai đầu   ",
        benefit_value_vnd="1500000",
        applied_since="2022-03-01",
        authors=[{"username": "author1", "share_percent": "60,5"}, {"full_name": "Người Ngoài", "share_percent": 39.5}],
    )
    assert i.title == "Tên có khoảng trắng ở hai đầu"
    assert i.benefit_value_vnd == 1_500_000 and i.applied_since == datetime.date(2022, 3, 1)
    assert [a.share_percent for a in i.authors.all()] == [Decimal("60.50"), Decimal("39.50")]


def test_today_is_the_local_day(users):
    today = timezone.localdate()
    assert _create(users, applied_since=today.isoformat()).applied_since == today


def test_a_route_council_seat_named_by_full_name_costs_one_query(users):
    """The full-name rule asks one query, and none when every author is named by account."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from councils.models import Organisation
    from initiatives.rules import initiative_rules

    xn1 = Organisation.objects.get(code="XN1")

    def queries(authors):
        data = {**draft_payload(authors=authors), "organisation": xn1}
        with CaptureQueriesContext(connection) as ctx:
            _clean, errors = initiative_rules(actor=users["author1"], data=data, programme=None, check_actor=False)
        return len(ctx.captured_queries), errors

    by_account, errors = queries([{"user": users["author1"], "share_percent": 100}])
    assert not errors
    by_name, errors = queries(
        [{"user": users["author1"], "share_percent": 50}, {"full_name": "Ủy viên TLĐ một", "share_percent": 50}]
    )
    assert by_name == by_account + 1 and "authors" in errors  # a federation council member, case aside

"""The batch screen (issue 11, track i11p): ``screen_many`` — what the register import uses for a
whole batch — gives each dossier exactly what ``screen`` gives it alone (candidates, scores,
reasons, the masking of titles one may not read, the excluded ids), on SQLite and PostgreSQL, in a
number of statements that does not grow with the batch."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from unidecode import unidecode

from initiatives.duplicates import screen, screen_many
from tests.initiatives.test_duplicates import FCO, FCO_OTHER_IDEA, FCO_PARAPHRASE, SECRET, dossiers  # noqa: F401

pytestmark = pytest.mark.django_db


def _items(d):
    return [
        {**FCO_PARAPHRASE, "organisation": None, "category": "technical", "exclude_ids": ()},
        {"title": unidecode(FCO_PARAPHRASE["title"]), "summary": "", "organisation": None, "exclude_ids": ()},
        {**FCO_OTHER_IDEA, "exclude_ids": ()},
        {**FCO, "exclude_ids": (d["fco"],)},  # itself excluded: the import screens rows just written
        {**SECRET, "exclude_ids": ()},
        {"title": "giải pháp", "summary": ""},  # only filler: no key, nothing
        {"title": "Camera nhiệt giám sát trạm biến áp 110 kV", "summary": "Ảnh nhiệt đầu cốt", "exclude_ids": ()},
    ]


@pytest.mark.parametrize("who", [None, "author1", "u1_m1"])
def test_the_batch_screen_answers_what_the_single_screen_answers(dossiers, users, who):  # noqa: F811
    user = users[who] if who else None
    items = _items(dossiers)
    batch = screen_many(items, user=user, limit=5)
    single = [
        screen(
            title=it["title"],
            summary=it.get("summary", ""),
            organisation=it.get("organisation"),
            category=it.get("category"),
            exclude_ids=it.get("exclude_ids", ()),
            user=user,
            limit=5,
        )
        for it in items
    ]
    assert batch == single
    # not trivially equal: the paraphrases find the FCO dossier, the secret one is found and masked
    # for one who may not read it, the excluded one is not found, filler finds nothing
    assert [d["id"] for d in batch[0]] == [dossiers["fco"]] == [d["id"] for d in batch[1]]
    assert batch[2] == [] and batch[3] == [] and batch[5] == []
    secret = [d for d in batch[6] if d["id"] == dossiers["secret"]]
    assert secret and secret[0]["masked"] is (who == "author1")
    if who == "author1":
        assert SECRET["title"] not in str(batch)


def test_the_batch_screen_takes_a_few_statements_whatever_the_batch(dossiers, users):  # noqa: F811
    items = _items(dossiers)
    screen_many(items[:1], user=users["author1"])  # warm the words' statistics (cached)
    with CaptureQueriesContext(connection) as small:
        screen_many(items[:2], user=users["author1"])
    with CaptureQueriesContext(connection) as large:
        screen_many(items * 20, user=users["author1"])
    if connection.vendor == "postgresql":
        assert len(large) == len(small) <= 10, [q["sql"][:100] for q in large.captured_queries]
    else:  # SQLite: one LIKE query a dossier, then the rows and the visibility once
        assert len(large) - len(small) <= (len(items) * 20 - 2) and len(large) < 200

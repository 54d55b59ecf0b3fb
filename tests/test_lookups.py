"""``field__any_of``: a list of ids as one array parameter on PostgreSQL, ``IN`` elsewhere — the same
rows either way, nothing for an empty list."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from councils.models import Organisation

pytestmark = pytest.mark.django_db


def test_any_of_finds_what_in_finds(structure):
    ids = sorted(Organisation.objects.values_list("pk", flat=True))
    some = ids[::2] + [10**12]  # and an id no row has
    with CaptureQueriesContext(connection) as ctx:
        found = sorted(Organisation.objects.filter(pk__any_of=some).values_list("pk", flat=True))
    assert found == sorted(Organisation.objects.filter(pk__in=some).values_list("pk", flat=True)) == ids[::2]
    sql = ctx.captured_queries[0]["sql"]
    if connection.vendor == "postgresql":
        assert "= ANY(" in sql and " IN (" not in sql  # one array, not a placeholder per id
    assert not Organisation.objects.filter(pk__any_of=[]).exists()
    assert Organisation.objects.exclude(pk__any_of=[]).count() == len(ids)

"""The Django admin's lists take lookups from the query string (``?created_at__gte=0001-01-01``,
``?at__year=99999999999999999999``). Django turns lookups it cannot build into its own "bad
parameters" answer (``?e=1``), but a value that only fails when the query runs — a date the
database cannot shift into the time zone, a year beyond 64 bits — escaped as a 500. The mixin
gives those the same answer as any other bad lookup."""

from django.contrib.admin.options import IncorrectLookupParameters
from django.db import DataError


class BadLookupsAreBadParameters:
    def get_changelist_instance(self, request):
        try:
            return super().get_changelist_instance(request)
        except (OverflowError, ValueError, DataError) as e:
            raise IncorrectLookupParameters(e) from e

    def get_search_results(self, request, queryset, search_term):
        # each word is a scan of every search field over the whole table: the list and the
        # autocomplete look for the first words only, as the pages and the API do (config.params)
        from config.params import SEARCH_MAX_CHARS, SEARCH_MAX_WORDS

        search_term = " ".join(search_term[:SEARCH_MAX_CHARS].split()[:SEARCH_MAX_WORDS])
        return super().get_search_results(request, queryset, search_term)

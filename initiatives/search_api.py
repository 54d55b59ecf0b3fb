"""The API side of a search (``q=``): its page says whether ``count`` is exact.

A search ranks at most ``initiatives.search.candidates_max()`` matches, the newest (see
``search_filter``); when more matched, ``count`` is that cap and ``count_exact`` is false ("more
than N"). Without ``q`` the answer is the plain page, unchanged."""

from config.api import Pagination

from .search import search_capped


class SearchPagination(Pagination):
    """``Pagination`` plus ``count_exact`` on a search's page."""

    search_capped = None

    def paginate_queryset(self, queryset, request, view=None):
        self.search_capped = search_capped(queryset) if request.query_params.get("q") else None
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if self.search_capped is not None:
            response.data["count_exact"] = not self.search_capped
        return response

    def get_paginated_response_schema(self, schema):
        out = super().get_paginated_response_schema(schema)
        out["properties"]["count_exact"] = {
            "type": "boolean",
            "description": "with q only: false when more dossiers matched than a search ranks (the newest "
            "SEARCH_CANDIDATES, 1000): count is then that cap, read it as 'more than count'",
        }
        return out

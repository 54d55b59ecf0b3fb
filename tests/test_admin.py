"""The Django admin, as a union administrator uses it: every list with search and filters."""

import pytest

pytestmark = pytest.mark.django_db

PAGES = [
    "/admin/councils/organisation/",
    "/admin/councils/council/",
    "/admin/councils/user/",
    "/admin/councils/roleassignment/",
    "/admin/councils/membership/",
    "/admin/initiatives/programme/",
    "/admin/initiatives/organisationtarget/",
    "/admin/initiatives/initiative/",
    "/admin/awards/quota/",
    "/admin/audit/auditentry/",
]


@pytest.mark.parametrize("url", PAGES)
def test_the_union_administrator_opens_every_list_with_search(client, users, make_draft, url):
    make_draft()
    admin = users["admin_n"]
    admin.refresh_from_db()
    assert admin.is_staff and not admin.is_superuser
    client.force_login(admin)
    r = client.get(url)
    assert r.status_code == 200, url
    r = client.get(url, {"q": "XN1"})
    assert r.status_code == 200


def test_people_without_the_admin_role_are_kept_out(client, users):
    client.force_login(users["officer_a"])
    r = client.get("/admin/councils/organisation/")
    assert r.status_code == 302 and "/admin/login/" in r["Location"]


def test_an_organisation_and_a_council_open_for_editing(client, users):
    from councils.models import Council, Organisation

    client.force_login(users["admin_n"])
    org = Organisation.objects.get(code="XN1")
    assert client.get(f"/admin/councils/organisation/{org.pk}/change/").status_code == 200
    council = Council.objects.get(code="XN1-HD")
    r = client.get(f"/admin/councils/council/{council.pk}/change/")
    assert r.status_code == 200 and "Chủ Tịch XN1" in r.content.decode()


def test_the_audit_trail_is_read_only_in_the_admin(client, users):
    from audit.models import AuditEntry

    client.force_login(users["admin_n"])
    entry = AuditEntry.objects.first()
    r = client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"comment": "sửa"})
    assert r.status_code in (403, 200)
    entry.refresh_from_db()
    assert entry.comment != "sửa"


def test_list_headers_are_translated_and_figures_formatted(client, users):
    from councils.models import Organisation

    Organisation.objects.filter(code="XN1").update(headcount=11_000_000)
    client.force_login(users["admin_n"])
    page = client.get("/admin/councils/organisation/", {"q": "XN1"}).content.decode()
    assert "11.000.000" in page and "11000000" not in page
    page = client.get("/admin/councils/council/").content.decode()
    assert "tỷ lệ thông qua" in page.lower() and "threshold" not in page.lower()
    assert "Quản trị chương trình sáng kiến" in page and "Trang quản trị cho Django" not in page
    expected = {
        "/admin/councils/roleassignment/": ("Người dùng", "Tổ chức"),
        "/admin/councils/membership/": ("Người dùng", "Hội đồng"),
        "/admin/initiatives/organisationtarget/": ("Tổ chức", "Giai đoạn"),
        "/admin/awards/quota/": ("Tổ chức", "Chương trình"),
    }
    for url, labels in expected.items():
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="vi").content.decode()
        headers = page.split('id="result_list"')[1].split("</thead>")[0]
        for raw in (">Organisation<", ">Phase<", ">User<", ">Council<", ">Programme<"):
            assert raw not in headers, (url, raw)
        for label in labels:
            assert f">{label}<" in headers, (url, label)


@pytest.mark.parametrize("who", ["admin_n", "superuser"])
def test_every_admin_page_opens_without_an_error(client, users, make_draft, who):
    """Every list, add page and first object's page answers 200, 302 or 403 — never a 500 —
    for a union's admin and for a superuser."""
    from django.contrib import admin as django_admin

    from councils.actions import user_create

    make_draft()
    user = (
        users["admin_n"]
        if who == "admin_n"
        else user_create(actor=None, username="root", organisation=None, is_staff=True, is_superuser=True)
    )
    client.force_login(user)
    for model in django_admin.site._registry:
        base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
        assert client.get(base).status_code in (200, 403), base
        assert client.get(base + "add/").status_code in (200, 302, 403), base + "add/"
        obj = model._default_manager.first() if who == "superuser" else None
        if obj is not None:
            url = f"{base}{obj.pk}/change/"
            if model._meta.model_name == "tokenproxy":
                url = f"{base}{obj.user_id}/change/"
            assert client.get(url).status_code in (200, 302, 403), url


def test_bad_input_in_the_admin_forms_is_a_form_error(client, users):
    from councils.models import Council, Organisation
    from initiatives.models import Phase

    client.force_login(users["admin_n"])
    council = Council.objects.get(code="XN1-HD")
    r = client.post(
        f"/admin/councils/council/{council.pk}/change/",
        {"quorum": "abc", "threshold": "hai phần ba", "ballot": "kín", "decision_days": "-1"},
    )
    assert r.status_code == 200
    assert {"quorum", "threshold", "ballot", "decision_days"} <= set(r.context["adminform"].form.errors)
    nganh = Organisation.objects.get(code="NGANH")
    r = client.post(
        "/admin/councils/organisation/add/",
        {"code": "XN1", "name": "Trùng mã", "level": "unit", "headcount": "-5", "parent": nganh.pk},
    )
    assert r.status_code == 200 and {"code", "headcount"} <= set(r.context["adminform"].form.errors)
    r = client.post(
        "/admin/initiatives/organisationtarget/add/",
        {"organisation": nganh.pk, "phase": Phase.objects.first().pk, "initiatives": "5"},
    )
    assert r.status_code == 200 and "organisation" in r.context["adminform"].form.errors  # its own target: from above
    r = client.post(
        "/admin/councils/organisation/add/",
        {"code": "XN9", "name": "Công đoàn Xí nghiệp 9", "level": "unit", "headcount": "90", "parent": nganh.pk},
    )
    assert r.status_code == 302
    assert Organisation.objects.get_parent(Organisation.objects.get(code="XN9")) == nganh

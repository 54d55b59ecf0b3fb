"""The English catalogue: the interface switches language by Accept-Language or the language
switcher, and every message in locale/en/LC_MESSAGES/django.po is translated."""

import ast
import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"


def test_login_page_in_english(client):
    r = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="en")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'lang="en"' in html
    assert "Log in" in html and "Username" in html and "Password" in html
    assert "Đăng nhập" not in html


def test_login_page_in_vietnamese(client):
    r = client.get("/accounts/login/", HTTP_ACCEPT_LANGUAGE="vi")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'lang="vi"' in html
    assert "Đăng nhập" in html and "Mật khẩu" in html
    assert "Log in" not in html


def test_vietnamese_is_the_default(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'lang="vi"' in html and "Đăng nhập" in html


def test_language_switcher_sets_english(client):
    r = client.post("/i18n/setlang/", {"language": "en", "next": "/help/"})
    assert r.status_code == 302
    html = client.get("/help/").content.decode()
    assert 'lang="en"' in html
    assert "The life cycle of an initiative" in html and "All transitions" in html
    assert "Vòng đời một sáng kiến" not in html
    client.post("/i18n/setlang/", {"language": "vi", "next": "/help/"})
    assert "Vòng đời một sáng kiến" in client.get("/help/").content.decode()


def _entries(text):
    """(flags, fields) for each entry of a .po file, header first; fields maps msgctxt, msgid,
    msgid_plural, msgstr, msgstr[0]… to their unquoted, joined values."""
    entries = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line for line in block.splitlines() if line.strip() and not line.startswith("#~")]
        if not lines:
            continue
        flags, fields, current = set(), {}, None
        for line in lines:
            if line.startswith("#,"):
                flags.update(f.strip() for f in line[2:].split(","))
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                fields[current] += ast.literal_eval(line)
            else:
                current, _, value = line.partition(" ")
                fields[current] = ast.literal_eval(value)
        entries.append((flags, fields))
    return entries


def _msgstrs(fields):
    return {k: v for k, v in fields.items() if k.startswith("msgstr")}


def test_every_message_is_translated_and_not_fuzzy():
    entries = _entries(PO.read_text(encoding="utf-8"))
    (header_flags, header), messages = entries[0], entries[1:]
    assert header["msgid"] == "" and "fuzzy" not in header_flags
    assert "Plural-Forms: nplurals=2; plural=(n != 1);" in header["msgstr"]
    assert len(messages) > 250
    for flags, fields in messages:
        msgid = fields["msgid"]
        assert "fuzzy" not in flags, msgid
        msgstrs = _msgstrs(fields)
        assert set(msgstrs) == ({"msgstr[0]", "msgstr[1]"} if "msgid_plural" in fields else {"msgstr"}), msgid
        placeholders = sorted(set(re.findall(r"%\(\w+\)[sd]", msgid)))
        for key, value in msgstrs.items():
            assert value.strip(), f"{key} is empty for {msgid!r}"
            assert sorted(set(re.findall(r"%\(\w+\)[sd]", value))) == placeholders, msgid


def test_the_compiled_catalogue_matches_the_po_file():
    with PO.with_suffix(".mo").open("rb") as f:
        mo = gettext.GNUTranslations(f)
    for _flags, fields in _entries(PO.read_text(encoding="utf-8"))[1:]:
        msgid, ctx = fields["msgid"], fields.get("msgctxt")
        if "msgid_plural" in fields:
            assert mo.ngettext(msgid, fields["msgid_plural"], 1) == fields["msgstr[0]"]
            assert mo.ngettext(msgid, fields["msgid_plural"], 5) == fields["msgstr[1]"]
        elif ctx:
            assert mo.pgettext(ctx, msgid) == fields["msgstr"]
        else:
            assert mo.gettext(msgid) == fields["msgstr"], msgid

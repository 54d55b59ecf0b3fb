"""Tiny valid files of every type a dossier may hold, built in memory, and a few impostors."""

import io
import zipfile

from openpyxl import Workbook
from PIL import Image

PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def image(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (2, 2), (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


def docx(main_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{main_type}"/></Types>',
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Target="word/document.xml" Type="http://schemas.openxmlformats.org/'
            'officeDocument/2006/relationships/officeDocument"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>Đơn yêu cầu công nhận sáng kiến</w:t></w:r></w:p></w:body></w:document>",
        )
    return buf.getvalue()


def xlsx() -> bytes:
    wb = Workbook()
    wb.active["A1"] = "Giá trị làm lợi"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def odf(mimetype: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        z.writestr(
            "META-INF/manifest.xml",
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            f'<manifest:file-entry manifest:full-path="/" manifest:media-type="{mimetype}"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
            compress_type=zipfile.ZIP_DEFLATED,
        )
        z.writestr(
            "content.xml",
            '<?xml version="1.0" encoding="UTF-8"?><office:document-content '
            'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"/>',
            compress_type=zipfile.ZIP_DEFLATED,
        )
    return buf.getvalue()


# name, content, the type the server must judge it to be
ALLOWED = [
    ("de-xuat.pdf", PDF, "application/pdf"),
    ("so-do.png", image("PNG"), "image/png"),
    ("anh-thiet-bi.jpg", image("JPEG"), "image/jpeg"),
    ("don-yeu-cau.docx", docx(), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("tinh-toan.xlsx", xlsx(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("thuyet-minh.odt", odf("application/vnd.oasis.opendocument.text"), "application/vnd.oasis.opendocument.text"),
    (
        "bang-tinh.ods",
        odf("application/vnd.oasis.opendocument.spreadsheet"),
        "application/vnd.oasis.opendocument.spreadsheet",
    ),
]

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 64
HTML = b"<!doctype html><html><body><script>fetch('/api/v1/initiatives/')</script></body></html>"
# name, content: each claims an allowed type by its name and is none of them
IMPOSTORS = [
    ("ban-ve.pdf", EXE),
    ("anh.png", HTML),
    ("bao-cao.docx", docx("application/vnd.ms-word.document.macroEnabled.main+xml")),  # a .docm: macros
    ("rong.xlsx", b""),
    ("nen.xlsx", b"PK\x03\x04" + b"\x00" * 100),  # a broken zip
    ("odt-gia.odt", odf("application/x-shockwave-flash")),
    ("van-ban.pdf", b"   %PDF-1.4 preceded by something else"),
]

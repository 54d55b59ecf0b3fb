"""What a dossier's attachment may be, judged by its content and never by its name or the type the
browser claims: PDF, PNG, JPEG by their first bytes; DOCX and XLSX by the main part their
``[Content_Types].xml`` declares (macro-enabled variants are not them); ODT and ODS by their
``mimetype`` entry. A zip is only opened to read those two small entries, never unpacked."""

import re
import unicodedata
import zipfile

PDF = "application/pdf"
PNG = "image/png"
JPEG = "image/jpeg"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ODT = "application/vnd.oasis.opendocument.text"
ODS = "application/vnd.oasis.opendocument.spreadsheet"

ALLOWED_LABELS = "PDF, PNG, JPEG, DOCX, XLSX, ODT, ODS"

MAGIC = [(b"%PDF-", PDF), (b"\x89PNG\r\n\x1a\n", PNG), (b"\xff\xd8\xff", JPEG)]
OOXML_MAIN = {
    DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
    XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
}
ODF = {ODT, ODS}
ZIP_MAGIC = b"PK\x03\x04"
ENTRY_MAX = 1024 * 1024  # [Content_Types].xml and mimetype are a few kilobytes at most
CONTENT_TYPE_ATTR = re.compile(rb'ContentType\s*=\s*"([^"]{1,200})"')


def sniff(f) -> str | None:
    """The content type of the open file ``f`` (read from its start), or None when it is none of
    the allowed ones. Leaves ``f`` at its start."""
    f.seek(0)
    head = f.read(16)
    f.seek(0)
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    if head.startswith(ZIP_MAGIC):
        try:
            return _sniff_zip(f)
        except Exception:  # noqa: BLE001 - a damaged, encrypted or hostile zip is simply not one of ours
            return None
        finally:
            f.seek(0)
    return None


def _read_entry(z: zipfile.ZipFile, name: str) -> bytes | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > ENTRY_MAX or info.compress_size > ENTRY_MAX:
        return None
    with z.open(info) as entry:
        return entry.read(ENTRY_MAX + 1)[:ENTRY_MAX]


def _sniff_zip(f) -> str | None:
    with zipfile.ZipFile(f) as z:
        mimetype = _read_entry(z, "mimetype")
        if mimetype is not None:
            value = mimetype.strip().decode("ascii", "replace")
            return value if value in ODF else None
        types = _read_entry(z, "[Content_Types].xml")
        if types is None:
            return None
        declared = {m.decode("ascii", "replace").strip().lower() for m in CONTENT_TYPE_ATTR.findall(types)}
        found = [ct for ct, main in OOXML_MAIN.items() if main in declared]
        return found[0] if len(found) == 1 else None


EXTENSIONS = {
    PDF: ("pdf",),
    PNG: ("png",),
    JPEG: ("jpg", "jpeg", "jpe", "jfif"),
    DOCX: ("docx",),
    XLSX: ("xlsx",),
    ODT: ("odt",),
    ODS: ("ods",),
}
NAME_MAX = 150
UNSAFE = re.compile(r'[\\/:*?"<>|]')


def clean_name(raw, fallback: str = "tep-dinh-kem") -> str:
    """The original file name made safe to show and to send back in a ``Content-Disposition``:
    the last path component, NFC, without control or format characters (a right-to-left override
    could show "exe.pdf" for "fdp.exe"), without characters Windows refuses, at most
    ``NAME_MAX`` characters (keeping the extension)."""
    text = raw if isinstance(raw, str) else ""
    text = text.replace("\\", "/").rsplit("/", 1)[-1]
    text = unicodedata.normalize("NFC", text)
    text = "".join(
        " " if ch.isspace() else ch
        for ch in text
        if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn") or ch.isspace()
    )
    text = UNSAFE.sub("_", text)
    text = " ".join(text.split()).strip(" .")
    if len(text) > NAME_MAX:
        stem, dot, ext = text.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            text = stem[: NAME_MAX - len(ext) - 1].rstrip(" .") + "." + ext
        else:
            text = text[:NAME_MAX].rstrip(" .")
    return text or fallback


def with_extension(name: str, content_type: str) -> str:
    """``name`` ending in an extension of ``content_type`` (one is added when it ends otherwise), so a
    downloaded file opens as what it is: a PDF called "bao-cao.html" comes back as
    "bao-cao.html.pdf"."""
    allowed = EXTENSIONS[content_type]
    _stem, dot, ext = name.rpartition(".")
    if dot and ext.lower() in allowed:
        return name
    return clean_name(f"{name}.{allowed[0]}")

"""Official documents as PDF (reportlab): certificates (``awards.documents``) and council minutes
(``workflow.documents``). They are Vietnamese documents whatever the reader's interface language:
their text is written in Vietnamese here, not translated.

Fonts: Vietnamese needs a TrueType font with its precomposed letters (ứ, ậ, ỹ, đ …); reportlab's
bundled Vera has none of them. ``document_font()`` looks, in order, at the ``AWARDS_PDF_FONT``
setting / environment variable (a path to a .ttf; a "-Bold" sibling is used for headings when it
exists), then DejaVu Sans where operating systems install it (Debian/Ubuntu package
``fonts-dejavu-core``: /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; Fedora, Arch, Alpine,
macOS Homebrew paths too), then Noto Sans and Liberation Sans, then Arial on macOS and Windows.
Without any of them it raises ``DocumentFontMissing`` saying what to install.
"""

import os
from pathlib import Path

import qrcode
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext
from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

NATION = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
RED = colors.HexColor("#b3121f")


FONT_CANDIDATES = [
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/TTF/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/opt/homebrew/share/fonts/DejaVuSans.ttf", "/opt/homebrew/share/fonts/DejaVuSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
    (
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ),
    ("/Library/Fonts/Arial Unicode.ttf", None),
    ("/System/Library/Fonts/Supplemental/Arial.ttf", "/System/Library/Fonts/Supplemental/Arial Bold.ttf"),
    ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"),
]
FONT, FONT_BOLD = "CertSans", "CertSans-Bold"
# letters a font must carry to print Vietnamese
VIETNAMESE_PROBE = "ăâđêôơưạảấầẩẫậắằẳẵặẹẻẽếềểễệỉịọỏốồổỗộớờởỡợụủứừửữựỳỵỷỹĐ"


class DocumentFontMissing(ImproperlyConfigured):
    pass


def _bold_sibling(path: str) -> str | None:
    p = Path(path)
    for name in (p.stem.replace("-Regular", "") + "-Bold" + p.suffix, p.stem + "-Bold" + p.suffix):
        if (p.parent / name).exists():
            return str(p.parent / name)
    return None


def _covers_vietnamese(font: TTFont) -> bool:
    widths = font.face.charWidths
    return all(ord(ch) in widths for ch in VIETNAMESE_PROBE)


def document_font() -> tuple[str, str]:
    """Register and return (regular, bold) font names that carry Vietnamese diacritics."""
    if FONT in pdfmetrics.getRegisteredFontNames():
        return FONT, FONT_BOLD
    configured = getattr(settings, "AWARDS_PDF_FONT", None) or os.environ.get("AWARDS_PDF_FONT")
    candidates = [(configured, _bold_sibling(configured))] if configured else []
    candidates += FONT_CANDIDATES
    tried = []
    for regular, bold in candidates:
        if not regular or not os.path.exists(regular):
            tried.append(regular)
            continue
        font = TTFont(FONT, regular)
        if not _covers_vietnamese(font):
            tried.append(f"{regular} (no Vietnamese letters)")
            continue
        pdfmetrics.registerFont(font)
        bold_path = bold if bold and os.path.exists(bold) else regular
        pdfmetrics.registerFont(TTFont(FONT_BOLD, bold_path))
        return FONT, FONT_BOLD
    raise DocumentFontMissing(
        gettext(
            "Không tìm thấy phông chữ TrueType có dấu tiếng Việt để in văn bản. Hãy cài DejaVu (Debian/Ubuntu: "
            "apt-get install -y fonts-dejavu-core) hoặc đặt AWARDS_PDF_FONT=/đường/dẫn/phông.ttf. Đã thử: %(tried)s"
        )
        % {"tried": ", ".join(map(str, tried))}
    )


def draw_qr(c: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
    qr = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    qr.add_data(data)
    qr.make(fit=True)
    matrix = qr.get_matrix()
    n = len(matrix)
    cell = size / n
    c.setFillColor(colors.black)
    for row, line in enumerate(matrix):
        for col, dark in enumerate(line):
            if dark:
                c.rect(x + col * cell, y + size - (row + 1) * cell, cell, cell, stroke=0, fill=1)


def centred(c, text, font, size, y, width, max_width):
    lines = simpleSplit(text, font, size, max_width)
    for line in lines:
        c.setFont(font, size)
        c.drawCentredString(width / 2, y, line)
        y -= size * 1.3
    return y


def vietnamese_date(moment) -> str:
    """ "ngày 06 tháng 12 năm 2026", as official documents write it (local time)."""
    local = timezone.localtime(moment) if hasattr(moment, "tzinfo") and moment.tzinfo else moment
    return f"ngày {local:%d} tháng {local:%m} năm {local:%Y}"


def letterhead(c: canvas.Canvas, *, body: str, number: str, width: float, top: float, bold: str, regular: str):
    """The two columns of a Vietnamese official document: the issuing body and the document number
    on the left, the nation and its motto on the right."""
    left, right = width * 0.27, width * 0.73
    c.setFillColor(colors.black)
    y = top
    for line in simpleSplit(body.upper(), bold, 11, width * 0.42):
        c.setFont(bold, 11)
        c.drawCentredString(left, y, line)
        y -= 14
    c.setFont(bold, 11)
    c.drawCentredString(right, top, NATION)
    c.setFont(regular, 11)
    c.drawCentredString(right, top - 16, MOTTO)
    if number:
        c.setFont(regular, 11)
        c.drawCentredString(left, y - 4, number)

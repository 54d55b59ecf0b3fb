"""The certificate document: an A4 landscape PDF drawn with reportlab, with a QR code that links
to the public verification page.

Fonts: Vietnamese needs a TrueType font with its precomposed letters (ứ, ậ, ỹ, đ …); reportlab's
bundled Vera has none of them. ``certificate_font()`` looks, in order, at the ``AWARDS_PDF_FONT``
setting / environment variable (a path to a .ttf; a "-Bold" sibling is used for headings when it
exists), then DejaVu Sans where operating systems install it (Debian/Ubuntu package
``fonts-dejavu-core``: /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf; Fedora, Arch, Alpine,
macOS Homebrew paths too), then Noto Sans and Liberation Sans, then Arial on macOS and Windows.
Without any of them it raises ``CertificateFontMissing`` saying what to install.
"""

import io
import os
from pathlib import Path

import qrcode
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen import canvas

from .models import Award, Certificate

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


class CertificateFontMissing(ImproperlyConfigured):
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


def certificate_font() -> tuple[str, str]:
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
    raise CertificateFontMissing(
        "Không tìm thấy phông chữ có dấu tiếng Việt để in chứng nhận / No TrueType font with Vietnamese "
        "letters was found for certificates. Install DejaVu (Debian/Ubuntu: apt-get install -y "
        "fonts-dejavu-core) or set AWARDS_PDF_FONT=/path/to/font.ttf. Tried: " + ", ".join(map(str, tried))
    )


def _heading(award: str, certificate: Certificate) -> str:
    if award == Award.MONTHLY_COMMENDATION:
        return f"Biểu dương sáng kiến tiêu biểu tháng {certificate.period_month:%m/%Y}"
    return Certificate(award=award).get_award_display()


def _draw_qr(c: canvas.Canvas, data: str, x: float, y: float, size: float) -> None:
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


def _centred(c, text, font, size, y, width, max_width):
    lines = simpleSplit(text, font, size, max_width)
    for line in lines:
        c.setFont(font, size)
        c.drawCentredString(width / 2, y, line)
        y -= size * 1.3
    return y


def certificate_pdf(*, certificate: Certificate, verify_url: str) -> bytes:
    regular, bold = certificate_font()
    buf = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setTitle(f"{certificate.get_award_display()} {certificate.serial}")
    c.setAuthor(certificate.organisation.name)
    c.setSubject(certificate.title)
    red = colors.HexColor("#b3121f")

    c.setStrokeColor(red)
    c.setLineWidth(3)
    c.rect(20, 20, width - 40, height - 40)
    c.setLineWidth(0.8)
    c.rect(28, 28, width - 56, height - 56)

    c.setFillColor(colors.black)
    c.setFont(bold, 11)
    c.drawCentredString(width * 0.27, height - 62, certificate.organisation.name.upper())
    c.drawCentredString(width * 0.73, height - 62, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    c.setFont(regular, 11)
    c.drawCentredString(width * 0.73, height - 78, "Độc lập - Tự do - Hạnh phúc")

    c.setFillColor(red)
    y = _centred(c, _heading(certificate.award, certificate), bold, 30, height - 140, width, width - 140)
    c.setFillColor(colors.black)
    y = _centred(c, "Tặng / Awarded to", regular, 13, y - 6, width, width - 140)
    names = ", ".join(r["full_name"] for r in certificate.recipients) or "—"
    y = _centred(c, names, bold, 20, y - 4, width, width - 160)
    unit = certificate.initiative.organisation.name
    y = _centred(c, unit, regular, 13, y, width, width - 160)
    y = _centred(c, "Đã có sáng kiến / For the initiative", regular, 13, y - 8, width, width - 140)
    y = _centred(c, f"“{certificate.title}”", bold, 16, y - 2, width, width - 200)

    issued = timezone.localtime(certificate.issued_at)
    c.setFont(regular, 12)
    c.drawCentredString(
        width * 0.68, 120, f"Ngày {issued:%d} tháng {issued:%m} năm {issued:%Y} / Issued {issued:%Y-%m-%d}"
    )
    c.setFont(bold, 12)
    c.drawCentredString(width * 0.68, 102, certificate.organisation.name)
    c.setFont(regular, 11)
    c.drawString(60, 96, f"Số hiệu / Serial: {certificate.serial}")

    qr_size = 84
    _draw_qr(c, verify_url, 60, 112, qr_size)
    c.setFont(regular, 8)
    c.drawString(60, 84, f"Xác minh / Verify: {verify_url}")
    c.linkURL(verify_url, (60, 112, 60 + qr_size, 112 + qr_size), relative=0)

    if certificate.revoked:
        c.saveState()
        c.setFillColor(red)
        c.setFont(bold, 54)
        c.translate(width / 2, height / 2)
        c.rotate(20)
        c.drawCentredString(0, 0, "ĐÃ THU HỒI / REVOKED")
        c.restoreState()

    c.showPage()
    c.save()
    return buf.getvalue()

"""The certificate document: an A4 landscape PDF, an official Vietnamese document issued in the
name of the awarding body (the federation for its Bằng Lao động sáng tạo, the sector union for its
Chứng nhận and monthly commendations), with its decision number and date, the signatory block and a
QR code to the public verification page. Fonts and drawing helpers: ``config.pdf``."""

import io

from django.utils import timezone
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.pdfgen import canvas

from config.pdf import RED, centred, document_font, draw_qr, letterhead, vietnamese_date

from .models import Award, Certificate
from .selectors import awarding_body, certificate_signatory

# the document's own words (Vietnamese, whatever the reader's interface language)
HEADINGS = {
    Award.FEDERATION_CERTIFICATE: "BẰNG LAO ĐỘNG SÁNG TẠO",
    Award.SECTOR_CERTIFICATE: "CHỨNG NHẬN LAO ĐỘNG SÁNG TẠO",
}


def _heading(certificate: Certificate) -> str:
    if certificate.award == Award.MONTHLY_COMMENDATION:
        return f"BIỂU DƯƠNG SÁNG KIẾN TIÊU BIỂU THÁNG {certificate.period_month:%m/%Y}"
    return HEADINGS.get(certificate.award, str(certificate.get_award_display()).upper())


def decision_number(certificate: Certificate, body) -> str:
    """ "Số: CN-LDST-2026-0001/QĐ-NGANH": the serial, numbered in the body's register of decisions."""
    return f"Số: {certificate.serial}/QĐ-{body.code}"


def certificate_pdf(*, certificate: Certificate, verify_url: str) -> bytes:
    regular, bold = document_font()
    body = awarding_body(certificate)
    buf = io.BytesIO()
    width, height = landscape(A4)
    c = canvas.Canvas(buf, pagesize=(width, height))
    c.setTitle(f"{_heading(certificate)} {certificate.serial}")
    c.setAuthor(body.name)
    c.setSubject(certificate.title)

    c.setStrokeColor(RED)
    c.setLineWidth(3)
    c.rect(20, 20, width - 40, height - 40)
    c.setLineWidth(0.8)
    c.rect(28, 28, width - 56, height - 56)

    letterhead(
        c,
        body=body.name,
        number=decision_number(certificate, body),
        width=width,
        top=height - 62,
        bold=bold,
        regular=regular,
    )

    c.setFillColor(RED)
    y = centred(c, _heading(certificate), bold, 28, height - 150, width, width - 140)
    c.setFillColor(colors.black)
    y = centred(c, "Tặng", regular, 13, y - 4, width, width - 140)
    names = ", ".join(r["full_name"] for r in certificate.recipients) or "—"
    y = centred(c, names, bold, 20, y - 4, width, width - 160)
    y = centred(c, certificate.initiative.organisation.name, regular, 13, y, width, width - 160)
    y = centred(c, "Đã có sáng kiến", regular, 13, y - 8, width, width - 140)
    centred(c, f"“{certificate.title}”", bold, 16, y - 2, width, width - 200)

    # the signatory block: date, on behalf of the body, the office, room to sign, the name
    issued = timezone.localtime(certificate.issued_at)
    x = width * 0.70
    c.setFont(regular, 12)
    c.drawCentredString(x, 168, vietnamese_date(issued).capitalize())
    c.setFont(bold, 11)
    c.drawCentredString(x, 150, f"TM. {body.name.upper()}"[:70])
    c.drawCentredString(x, 136, "CHỦ TỊCH HỘI ĐỒNG")
    signer = certificate_signatory(certificate)
    c.setFont(bold, 12)
    c.drawCentredString(x, 64, signer or "")

    c.setFont(regular, 11)
    c.drawString(60, 210, f"Số hiệu: {certificate.serial}")
    qr_size = 84
    draw_qr(c, verify_url, 60, 112, qr_size)
    c.setFont(regular, 8)
    c.drawString(60, 100, "Quét mã hoặc mở địa chỉ sau để xác minh:")
    c.drawString(60, 88, verify_url)
    c.linkURL(verify_url, (60, 112, 60 + qr_size, 112 + qr_size), relative=0)

    if certificate.revoked:
        c.saveState()
        c.setFillColor(RED)
        c.setFont(bold, 54)
        c.translate(width / 2, height / 2)
        c.rotate(20)
        c.drawCentredString(0, 0, "ĐÃ THU HỒI")
        c.restoreState()

    c.showPage()
    c.save()
    return buf.getvalue()

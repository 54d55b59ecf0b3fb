"""A small server-side SVG line chart: no JavaScript, no library."""

import math

from django.utils.html import escape
from django.utils.translation import gettext as _

WIDTH, HEIGHT = 960, 280
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 52
SERIES = (("registered", "#b3121f"), ("recognised", "#1f7a3f"))
MIN_LABEL_GAP = 40  # SVG units between two month labels ("09/21" at 11 px is about 30 wide)


def nice_ticks(peak: int, count: int = 5) -> list[int]:
    """Round y-axis ticks from 0 covering ``peak``: steps of 1, 2 or 5 × 10^k, about ``count`` of them."""
    peak = max(1, peak)
    raw = peak / (count - 1)
    magnitude = 10 ** math.floor(math.log10(raw)) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    step = max(1, int(step))
    top = step * math.ceil(peak / step)
    return list(range(0, top + 1, step))


def label_step(months: int, plot_width: float) -> int:
    """Label every 1st, 2nd, 3rd, 6th or 12th month, the smallest that keeps the labels apart."""
    per_month = plot_width / max(1, months - 1)
    return next((s for s in (1, 2, 3, 6) if s * per_month >= MIN_LABEL_GAP), 12)


def trend_chart(points: list[dict]) -> str:
    """``points``: ``[{"month": date, "registered": n, "recognised": n}]`` → an ``<svg>`` string."""
    if not points:
        return ""
    labels = {"registered": _("Đăng ký"), "recognised": _("Công nhận")}
    ticks = nice_ticks(max(p[k] for p in points for k, _c in SERIES))
    top = ticks[-1]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(points) - 1)

    def xy(i, v):
        return LEFT + i * step, TOP + plot_h - plot_h * v / top

    parts = [
        f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(_("Xu hướng theo tháng"))}" width="100%">',
    ]
    for v in ticks:
        _x, y = xy(0, v)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
            f'stroke="{"#999" if v == 0 else "#e3e6ea"}"/>'
        )
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="12">{v}</text>')
    parts.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#999"/>')
    every = label_step(len(points), plot_w)
    for i, p in enumerate(points):
        if i % every == 0:
            x, _y = xy(i, 0)
            parts.append(f'<line x1="{x:.1f}" y1="{TOP + plot_h}" x2="{x:.1f}" y2="{TOP + plot_h + 4}" stroke="#999"/>')
            parts.append(
                f'<text class="month" x="{x:.1f}" y="{TOP + plot_h + 17}" text-anchor="middle" font-size="11">'
                f"{p['month']:%m/%y}</text>"
            )
    for key, colour in SERIES:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, p[key]) for i, p in enumerate(points)))
        parts.append(
            f'<polyline class="series-{key}" fill="none" stroke="{colour}" stroke-width="2" points="{coords}">'
            f"<title>{escape(labels[key])}</title></polyline>"
        )
    for n, (key, colour) in enumerate(SERIES):
        x = LEFT + n * 160
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18}" y="{HEIGHT - 8}" font-size="13">{escape(labels[key])}</text>')
    parts.append("</svg>")
    return "".join(parts)

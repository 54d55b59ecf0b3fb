"""A small server-side SVG line chart: no JavaScript, no library."""

from django.utils.html import escape

WIDTH, HEIGHT = 760, 260
LEFT, RIGHT, TOP, BOTTOM = 48, 16, 16, 48
SERIES = (("registered", "#b3121f", "Đăng ký / Registered"), ("recognised", "#1f7a3f", "Công nhận / Recognised"))


def trend_chart(points: list[dict]) -> str:
    """``points``: ``[{"month": date, "registered": n, "recognised": n}]`` → an ``<svg>`` string."""
    if not points:
        return ""
    top = max(1, *(p[k] for p in points for k, _, _ in SERIES))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(points) - 1)

    def xy(i, v):
        return LEFT + i * step, TOP + plot_h - plot_h * v / top

    parts = [
        f'<svg class="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="Xu hướng theo tháng / Monthly trend" width="100%">',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" stroke="#999"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + plot_h}" stroke="#999"/>',
    ]
    for frac in (0, 0.5, 1):
        v = round(top * frac)
        _, y = xy(0, v)
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{v}</text>')
    label_every = max(1, len(points) // 12)
    for i, p in enumerate(points):
        if i % label_every == 0:
            x, _ = xy(i, 0)
            parts.append(
                f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="10">'
                f"{p['month']:%m/%y}</text>"
            )
    for key, colour, label in SERIES:
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, p[key]) for i, p in enumerate(points)))
        parts.append(
            f'<polyline class="series-{key}" fill="none" stroke="{colour}" stroke-width="2" points="{coords}">'
            f"<title>{escape(label)}</title></polyline>"
        )
    for n, (_key, colour, label) in enumerate(SERIES):
        x = LEFT + n * 220
        parts.append(f'<rect x="{x}" y="{HEIGHT - 18}" width="12" height="12" fill="{colour}"/>')
        parts.append(f'<text x="{x + 18}" y="{HEIGHT - 8}" font-size="12">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)

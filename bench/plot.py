"""Cost against size, as a small SVG written by hand (no plotting library needed): for every scale
measured (``bench/results/<scale>.json``), each write action's p50 in ms and generate_load's cost
per 1,000 initiatives in seconds, against the number of initiatives (log scale)."""

import json
import math
from pathlib import Path

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf", "#7f7f7f"]


def series(results: list[dict]) -> dict:
    """{label: [(initiatives, value), …]}"""
    out = {}
    for r in sorted(results, key=lambda r: r["initiatives"]):
        n = r["initiatives"]
        if r.get("generate_load_seconds"):
            out.setdefault("generate_load, s per 1,000", []).append((n, r["generate_load_seconds"] * 1000 / n))
        for a in r.get("actions", []):
            if a.get("p50_ms") is not None:
                out.setdefault(f"{a['bench']}, p50 ms", []).append((n, a["p50_ms"]))
    return out


def svg(data: dict, width=760, height=420) -> str:
    left, right, top, bottom = 60, 300, 30, 50
    points = [p for s in data.values() for p in s]
    xs = [math.log10(x) for x, _ in points]
    ys = [y for _, y in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y1 = max(ys) * 1.1 or 1

    def px(x):
        return left + (math.log10(x) - x0) / (x1 - x0) * (width - left - right)

    def py(y):
        return height - bottom - y / y1 * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
        'font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="{left}" y="18" font-size="13">Cost against size (initiatives, log scale)</text>',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="black"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{height - bottom}" stroke="black"/>',
    ]
    for x in sorted({x for x, _ in points}):
        parts.append(f'<text x="{px(x):.0f}" y="{height - bottom + 15}" text-anchor="middle">{x:,}</text>')
    for k in range(5):
        y = y1 * k / 4
        parts.append(f'<text x="{left - 5}" y="{py(y) + 4:.0f}" text-anchor="end">{y:.0f}</text>')
    for i, (label, pts) in enumerate(sorted(data.items())):
        colour = COLOURS[i % len(COLOURS)]
        path = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in pts)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, y in pts:
            parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}"/>')
        ly = top + 14 * i
        parts.append(f'<rect x="{width - right + 10}" y="{ly}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{width - right + 25}" y="{ly + 9}">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


def write_svg(results_dir) -> Path | None:
    results_dir = Path(results_dir)
    results = [json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"))]
    data = series(results)
    if not data:
        return None
    target = results_dir / "cost.svg"
    target.write_text(svg(data))
    return target


if __name__ == "__main__":
    import sys

    print(write_svg(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent / "results"))

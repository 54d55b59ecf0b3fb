"""The state chart, drawn from the flow's own transitions (so it cannot drift from the code).

Pure Python → SVG: states are ranked by their distance from ``draft`` along forward edges,
edges back to ``draft`` are drawn as arcs below. No viewflow chart module is used (it carries
a commercial licence header)."""

from html import escape

from django.utils.translation import gettext

from initiatives.models import State
from workflow.flows import InitiativeFlow
from workflow.labels import ACTION_LABELS

BOX_W, BOX_H, COL_W, ROW_H, MARGIN = 170, 46, 215, 84, 30
TERMINAL = {State.REJECTED, State.WITHDRAWN, State.SECTOR_CERTIFIED, State.FEDERATION_CERTIFIED}


def flow_edges() -> list[tuple[str, str, str]]:
    """(source, target, label) for every declared transition."""
    edges = []
    for transitions in InitiativeFlow.state.get_transitions().values():
        for t in transitions:
            for target in t.declared_targets():
                edges.append((str(t.source), str(target), t.label))
    return sorted(set(edges))


def _layout(edges):
    """Rank states by their distance from draft along forward edges; the path states take the top
    row, the terminal states the row below, each under the column of its rank."""
    ranks = {State.DRAFT.value: 0}
    changed = True
    while changed:
        changed = False
        for src, dst, _ in edges:
            if dst == State.DRAFT or src not in ranks or src in TERMINAL:
                continue
            r = ranks[src] + 1
            if dst not in ranks or (ranks[dst] < r and r < 20):
                ranks[dst] = r
                changed = True
    taken = set()
    for state in sorted(TERMINAL, key=lambda s: -len([e for e in edges if e[1] == s])):
        # under the middle of the stages that lead to it, never on top of another box
        sources = [ranks[src] for src, dst, _ in edges if dst == state and src in ranks]
        if sources:
            mid = int(sum(sources) / len(sources))
            col = next(c for c in (mid, mid + 1, mid - 1, mid + 2, mid - 2, mid + 3) if c >= 0 and c not in taken)
            ranks[state] = col
            taken.add(col)
    top = MARGIN + 110
    pos = {}
    for state in State.values:
        r = ranks.get(state, max(ranks.values()) + 1)
        pos[state] = (MARGIN + r * COL_W, top + (ROW_H + 40 if state in TERMINAL else 0))
    return pos


def state_chart_svg() -> str:
    edges = flow_edges()
    pos = _layout(edges)
    width = max(x for x, _ in pos.values()) + BOX_W + MARGIN
    height = max(y for _, y in pos.values()) + BOX_H + MARGIN
    labels = dict(State.choices)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        'role="img" aria-labelledby="chart-title" font-family="system-ui, sans-serif" font-size="13">',
        f'<title id="chart-title">{escape(gettext("Vòng đời sáng kiến"))}</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="context-stroke"/></marker></defs>',
    ]
    back = skip = 0
    for src, dst, label in sorted(edges, key=lambda e: (pos[e[0]][0], pos[e[1]][0])):
        x1, y1 = pos[src]
        x2, y2 = pos[dst]
        eid = f"edge-{label}-{src}-{dst}"
        dash = ""
        if dst == State.DRAFT:  # back to the authors: arcs above the row
            back += 1
            sx, sy = x1 + BOX_W / 2 + 10, y1
            ex, ey = x2 + BOX_W / 2 + back * 9 - 30, y2
            lift = 28 + back * 16
            d = f"M {sx} {sy} C {sx} {sy - lift}, {ex} {ey - lift}, {ex} {ey}"
            lx, ly = sx - 22, sy - lift * 0.75 + 3
            colour = "#b3121f"
        elif y2 > y1:  # down to a terminal state
            sx, sy = x1 + BOX_W / 2 + (20 if x2 > x1 else -20 if x2 < x1 else 0), y1 + BOX_H
            ex, ey = x2 + BOX_W / 2, y2
            d = f"M {sx} {sy} C {sx} {(sy + ey) / 2}, {ex} {(sy + ey) / 2}, {ex} {ey}"
            lx, ly = (sx + ex) / 2 + 14, (sy + ey) / 2 - 2
            colour = "#556"
        elif x2 - x1 > COL_W:  # skipping a stage that has no council: dashed arc under the row
            skip += 1
            sx, sy = x1 + BOX_W - 30, y1 + BOX_H
            ex, ey = x2 + 30, y2 + BOX_H
            drop = 22 + skip * 9
            d = f"M {sx} {sy} C {sx} {sy + drop}, {ex} {ey + drop}, {ex} {ey}"
            lx, ly = (sx + ex) / 2, sy + drop * 0.75 + 10
            colour, dash = "#778", ' stroke-dasharray="5 4"'
        else:
            sx, sy = x1 + BOX_W, y1 + BOX_H / 2
            ex, ey = x2, y2 + BOX_H / 2
            d = f"M {sx} {sy} L {ex} {ey}"
            lx, ly = (sx + ex) / 2, sy - 5
            colour = "#223"
        out.append(
            f'<g id="{escape(eid)}" class="edge"><path d="{d}" fill="none" stroke="{colour}" stroke-width="1.4"{dash} '
            f'marker-end="url(#arrow)"/><text x="{lx:.0f}" y="{ly:.0f}" text-anchor="middle" fill="{colour}" '
            f'font-size="11.5">{escape(str(ACTION_LABELS.get(label, label)))}</text></g>'
        )
    for state, (x, y) in pos.items():
        fill = (
            "#e8f4ec"
            if state in (State.SECTOR_CERTIFIED, State.FEDERATION_CERTIFIED)
            else ("#f6e6e6" if state in (State.REJECTED, State.WITHDRAWN) else "#eef2f8")
        )
        out.append(
            f'<g id="state-{state}" class="state"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" '
            f'fill="{fill}" stroke="#334"/><text x="{x + BOX_W / 2}" y="{y + 19}" text-anchor="middle" '
            f'font-weight="600">{escape(state)}</text><text x="{x + BOX_W / 2}" y="{y + 35}" text-anchor="middle" '
            f'fill="#556" font-size="11.5">{escape(str(labels[state]))}</text></g>'
        )
    out.append("</svg>")
    return "\n".join(out)

"""Emulation blocs (khối thi đua): sibling organisations ranked together."""

from councils.models import Bloc

from .selectors import Period, progress_report


def _rank(members, key):
    """Competition ranking (1, 2, 2, 4) by ``key`` descending; members without a figure last."""
    ordered = sorted(members, key=lambda m: (m[key] is None, -(m[key] or 0), m["organisation"]))
    ranks, previous, rank = {}, object(), 0
    for i, m in enumerate(ordered, start=1):
        if m[key] != previous:
            rank, previous = i, m[key]
        ranks[m["organisation"]] = rank if m[key] is not None else None
    return ranks


def subtree_rows(rows: list[dict], code: str) -> list[dict] | None:
    """The rows of ``code``'s subtree within a progress report (its rows are in tree order, each
    with its depth): the same rows a report rooted at ``code`` gives for that period. None when
    ``code`` is not in the report."""
    for i, row in enumerate(rows):
        if row["organisation"] == code:
            out = [{**row, "parent": None}]  # the root of its own report
            for other in rows[i + 1 :]:
                if other["depth"] <= row["depth"]:
                    break
                out.append(other)
            return out
    return None


def bloc_rankings(*, roots, period: Period, reports: dict | None = None) -> list[dict]:
    """Blocs whose parent lies within ``roots``' subtrees. One progress report per bloc parent,
    except where a report already made for the same period covers the parent (``reports``:
    ``{organisation code: rows}``, e.g. the dashboard's, and the reports made here for other
    blocs): its subtree's rows are the same figures."""
    blocs = []
    for root in roots:
        blocs += list(
            Bloc.objects.filter(organisation__path__startswith=root.path)
            .select_related("organisation")
            .prefetch_related("members")
            .order_by("code")
        )
    made = dict(reports or {})
    out = []
    for bloc in blocs:
        parent = bloc.organisation
        if parent.code not in made:
            for rows in list(made.values()):
                sub = subtree_rows(rows, parent.code)
                if sub is not None:
                    made[parent.code] = sub
                    break
            else:
                made[parent.code] = progress_report(root=parent, period=period)
        rows = {r["organisation"]: r for r in made[parent.code]}
        members = [
            {
                k: rows[m.code][k]
                for k in (
                    "organisation",
                    "name",
                    "registered",
                    "target",
                    "percent_of_target",
                    "authors",
                    "headcount",
                    "participation_percent",
                )
            }
            for m in bloc.members.all()
            if m.code in rows
        ]
        by_participation = _rank(members, "participation_percent")
        by_target = _rank(members, "percent_of_target")
        for m in members:
            m["rank_participation"] = by_participation[m["organisation"]]
            m["rank_target"] = by_target[m["organisation"]]
        members.sort(key=lambda m: (m["rank_participation"] is None, m["rank_participation"] or 0))
        out.append({"code": bloc.code, "name": bloc.name, "organisation": parent.code, "members": members})
    return out

"""Turn the hand-written idea blocks of ``duplicate_ideas.txt`` into labelled pairs
(``duplicate_pairs.jsonl``). Run: python bench/data/make_pairs.py

Per idea: the earlier dossier A against its rephrasing (or reordering), its shortened form and
the rephrasing typed without accents (label 1); A and the rephrasing against another idea on
the same equipment (label 0). Then each A against the A of another idea sharing the most
syllables (label 0, ``distinct_same_words``; chosen by plain syllable overlap, not the engine).
"""

import json
import pathlib
import re

from unidecode import unidecode

HERE = pathlib.Path(__file__).parent


def parse():
    ideas, cur = [], {}
    for line in (HERE / "duplicate_ideas.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        tag, rest = line.split(":", 1)
        title, summary = (s.strip() for s in rest.split("|", 1))
        if tag == "A" and cur:
            ideas.append(cur)
            cur = {}
        cur[tag] = {"title": title, "summary": summary}
    ideas.append(cur)
    return ideas


def plain(d):
    return {"title": unidecode(d["title"]), "summary": unidecode(d["summary"])}


def syl(d):
    return set(re.findall(r"[a-z0-9]+", unidecode(d["title"] + " " + d["summary"]).lower()))


def main():
    ideas = parse()
    pairs = []
    for idea in ideas:
        a = idea["A"]
        kind, p = ("reordered", idea["R"]) if "R" in idea else ("rephrased", idea["P"])
        pairs.append({"a": a, "b": p, "label": 1, "kind": kind})
        pairs.append({"a": a, "b": idea["S"], "label": 1, "kind": "shortened"})
        pairs.append({"a": plain(p), "b": a, "label": 1, "kind": "no_accents"})
        pairs.append({"a": a, "b": idea["D"], "label": 0, "kind": "distinct_same_equipment"})
        pairs.append({"a": idea["D"], "b": p, "label": 0, "kind": "distinct_same_equipment"})
    for i, idea in enumerate(ideas):
        best = max((j for j in range(len(ideas)) if j != i), key=lambda j: len(syl(idea["A"]) & syl(ideas[j]["A"])))
        pairs.append({"a": idea["A"], "b": ideas[best]["A"], "label": 0, "kind": "distinct_same_words"})
    with open(HERE / "duplicate_pairs.jsonl", "w", encoding="utf-8") as f:
        for p in pairs:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(len(pairs), "pairs")


if __name__ == "__main__":
    main()

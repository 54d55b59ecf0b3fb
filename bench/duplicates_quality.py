"""Quality of the duplicate screen on the labelled pairs (bench/data/duplicate_pairs.jsonl):
precision, recall and F1 of ``similarity`` at ``DEFAULT_THRESHOLD``, and the threshold curve.

Run: .venv/bin/python bench/duplicates_quality.py [--errors]
Pure Python: no database, no Django settings needed."""

import json
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))

from initiatives.duplicates import DEFAULT_THRESHOLD, similarity  # noqa: E402

DATA = pathlib.Path(__file__).parent / "data" / "duplicate_pairs.jsonl"


def measure(scored, threshold):
    tp = sum(1 for s, y, _ in scored if s >= threshold and y)
    fp = sum(1 for s, y, _ in scored if s >= threshold and not y)
    fn = sum(1 for s, y, _ in scored if s < threshold and y)
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f1


def main():
    pairs = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    scored = [(similarity(p["a"], p["b"])[0], p["label"], p) for p in pairs]
    pos = sum(1 for _, y, _ in scored if y)
    print(f"{len(pairs)} pairs ({pos} duplicates, {len(pairs) - pos} distinct)")
    p, r, f1 = measure(scored, DEFAULT_THRESHOLD)
    print(f"at DEFAULT_THRESHOLD {DEFAULT_THRESHOLD:.2f}: precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}")
    kinds = sorted({x["kind"] for _, _, x in scored})
    for k in kinds:
        rows = [(s, y) for s, y, x in scored if x["kind"] == k]
        ok = sum(1 for s, y in rows if (s >= DEFAULT_THRESHOLD) == bool(y))
        print(f"  {k:26s} {ok}/{len(rows)} right")
    print("threshold  precision  recall  F1")
    for t in [x / 100 for x in range(30, 91, 5)]:
        p, r, f1 = measure(scored, t)
        print(f"   {t:.2f}      {p:.3f}    {r:.3f}  {f1:.3f}")
    if "--errors" in sys.argv:
        for s, y, x in sorted(scored, key=lambda z: z[0]):
            if (s >= DEFAULT_THRESHOLD) != bool(y):
                print(f"{s:.3f} {y} {x['kind']}: {x['a']['title']}  ||  {x['b']['title']}")


if __name__ == "__main__":
    main()

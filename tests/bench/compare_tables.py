"""Compares two tables.json files (tables_common.py describes them) figure by figure,
for `make bench`: the union of their keys (a missing figure is 0), the number of
answers counted and the number skipped. Prints, and with --out writes, the outcome:
{"a": .., "b": .., "figures_compared": .., "differences": [the first 20], "agree": bool}.

Exits 0 even when they differ (BENCHMARKS.md shows the outcome); a difference is
printed on stderr as DISAGREE.

Usage: compare_tables.py A.json B.json [--out RESULT.json]
"""

import argparse
import json
import sys


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--out")
    args = parser.parse_args()
    with open(args.a, encoding="utf-8") as f:
        a = json.load(f)
    with open(args.b, encoding="utf-8") as f:
        b = json.load(f)

    differences = []
    for field in ("answers", "skipped"):
        if a.get(field) != b.get(field):
            differences.append({"key": field, "a": a.get(field), "b": b.get(field)})
    fa, fb = a["figures"], b["figures"]
    keys = sorted(fa.keys() | fb.keys())
    for key in keys:
        if fa.get(key, 0) != fb.get(key, 0):
            differences.append({"key": key, "a": fa.get(key, 0), "b": fb.get(key, 0)})

    result = {"a": args.a, "b": args.b, "answers": a.get("answers"), "figures_compared": len(keys),
              "differing": len(differences), "differences": differences[:20], "agree": not differences}
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=2)
    print(json.dumps({k: v for k, v in result.items() if k != "differences"}))
    if differences:
        print(f"DISAGREE: {len(differences)} of {len(keys)} figures differ between {args.a} and {args.b}; first:",
              file=sys.stderr)
        for d in differences[:20]:
            print(f"  {d['key']}: {d['a']} != {d['b']}", file=sys.stderr)


if __name__ == "__main__":
    main()

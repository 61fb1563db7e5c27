"""What aggregate_polars.py and aggregate_pandas.py share: the layout, the names of
the tables' populations, the command line and the output files. Nothing here is timed.

The tables (the Rust accumulator counts the same; `count_tables` writes them):
- a record's category is "all" without a grouping question; otherwise its answer to
  the grouping question must be one value among `categories`, or the record is skipped;
- a question's chosen options are the answer's values, in order, that are among its
  options; with any, the question is answered (answered += 1) and each chosen option
  is counted;
- a band question's band is the first chosen option, or "-" without one;
- an index keeps, for each item with a chosen option, the first chosen option's
  position p if p < points; with kept values and at least `quorum` of them, it adds
  sum(kept) * index_scale // len(kept) to index_sum and 1 to index_n;
- populations: the scopes unit/<u>, county/<c>, size_band/<s>, kostra_group/<k> (these
  two when the unit has one) and nation/NO, each for `all` and `group:<id>` (records
  whose category is in the group); the nation also by band, `band:<question>:<value>`.

tables.json: {"answers": counted, "skipped": n, "figures": {KEY: n}}, non-zero figures
only, KEY = <scope>/<code>/<breakdown>/<figure>, figure one of respondents,
answered/<q>, count/<q>/<option>, index_sum/<index>, index_n/<index>.
"""

import argparse
import json
import os
import resource

# The breakdowns' and scopes' names, in the order the tools number them.
SCOPE_KINDS = ("unit", "county", "size_band", "kostra_group")
NATION = ("nation", "NO")
# In JSON lines, the attributes of an item that are not answers (a question may not be called so).
ITEM_ATTRIBUTES = ("answer_id", "survey_id", "unit", "language", "date", "answers")


class Layout:
    """layout.json, with the numbering both tools use: questions and their options
    by position, scopes and breakdowns by their index in `scopes` and `breakdowns`."""

    def __init__(self, path):
        with open(path, encoding="utf-8") as f:
            raw = json.load(f)
        self.questions = [q["id"] for q in raw["questions"]]
        self.options = {q["id"]: list(q["options"]) for q in raw["questions"]}
        self.qindex = {q: i for i, q in enumerate(self.questions)}
        clash = set(self.questions) & set(ITEM_ATTRIBUTES)
        if clash:
            raise SystemExit(f"question ids clash with item attributes: {sorted(clash)}")
        self.grouping = raw.get("grouping")
        self.categories = list(raw["categories"]) if self.grouping else ["all"]
        self.groups = raw.get("groups") or []
        self.bands = list(raw.get("bands") or [])
        self.indices = list(raw.get("indices") or [])
        self.index_scale = int(raw.get("index_scale", 1))
        self.units = [u["unit"] for u in raw["units"]]
        self.unit_index = {u: i for i, u in enumerate(self.units)}

        # Scopes: each unit's own, then every county, size band and KOSTRA group, then the nation.
        self.scopes = []  # (kind, code)
        scope_id = {}
        for u in raw["units"]:
            for kind in SCOPE_KINDS:
                code = u["unit"] if kind == "unit" else u.get(kind)
                if code is not None and (kind, code) not in scope_id:
                    scope_id[(kind, code)] = len(self.scopes)
                    self.scopes.append((kind, code))
        self.nation = len(self.scopes)
        self.scopes.append(NATION)
        # (unit index, scope id) for every scope a unit's records count in.
        self.unit_scopes = []
        for i, u in enumerate(raw["units"]):
            for kind in SCOPE_KINDS:
                code = u["unit"] if kind == "unit" else u.get(kind)
                if code is not None:
                    self.unit_scopes.append((i, scope_id[(kind, code)]))
            self.unit_scopes.append((i, self.nation))

        # Breakdowns: all, each group, then each band question's values and "-".
        self.breakdowns = ["all"] + [f"group:{g['id']}" for g in self.groups]
        # (category index, breakdown id) for every breakdown a category's records count in.
        self.category_breakdowns = [(c, 0) for c in range(len(self.categories))]
        for gi, g in enumerate(self.groups, start=1):
            for c, name in enumerate(self.categories):
                if name in g["categories"]:
                    self.category_breakdowns.append((c, gi))
        # A band value's number in its question: the option's position, or len(options) for "-".
        # (band number, value number, breakdown id)
        self.band_breakdowns = []
        for b, q in enumerate(self.bands):
            for v, value in enumerate(self.options[q] + ["-"]):
                self.band_breakdowns.append((b, v, len(self.breakdowns)))
                self.breakdowns.append(f"band:{q}:{value}")

    def chosen(self, q, values):
        """The positions of `values` among q's options, in the answer's order."""
        options = self.options[q]
        return [options.index(v) for v in values if v in options]

    def category(self, values):
        """A grouping answer's category number, or None when the record is skipped."""
        if len(values) == 1 and values[0] in self.categories:
            return self.categories.index(values[0])
        return None


def arguments(tool):
    parser = argparse.ArgumentParser(description=f"The aggregation's tables with {tool}.")
    parser.add_argument("--layout", required=True, help="layout.json")
    parser.add_argument("--input", required=True, help="answers.csv or answers.jsonl")
    parser.add_argument("--tables", required=True, help="where the tables go (tables.json)")
    parser.add_argument("--result", required=True, help="where the timings go")
    args = parser.parse_args()
    args.kind = "jsonl" if args.input.endswith((".jsonl", ".json")) else "csv"
    return args


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def write_tables(path, layout, answers, skipped, respondents, answered, counts, index):
    """Writes tables.json from the tools' tidy tables, each an iterable of tuples of ints:
    respondents (scope, breakdown, n), answered (scope, breakdown, question, n),
    counts (scope, breakdown, question, option, n), index (scope, breakdown, index, sum, n)."""
    names = [f"{kind}/{code}" for kind, code in layout.scopes]
    bd = layout.breakdowns
    qs = layout.questions
    opts = [layout.options[q] for q in qs]
    ids = [i["id"] for i in layout.indices]
    figures = {}
    for s, b, n in respondents:
        figures[f"{names[s]}/{bd[b]}/respondents"] = int(n)
    for s, b, q, n in answered:
        figures[f"{names[s]}/{bd[b]}/answered/{qs[q]}"] = int(n)
    for s, b, q, o, n in counts:
        figures[f"{names[s]}/{bd[b]}/count/{qs[q]}/{opts[q][o]}"] = int(n)
    for s, b, i, total, n in index:
        figures[f"{names[s]}/{bd[b]}/index_sum/{ids[i]}"] = int(total)
        figures[f"{names[s]}/{bd[b]}/index_n/{ids[i]}"] = int(n)
    figures = {k: v for k, v in figures.items() if v != 0}
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"answers": int(answers), "skipped": int(skipped), "figures": dict(sorted(figures.items()))}, f)
    return len(figures)


def write_result(path, result):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result), flush=True)


def file_mb(path):
    return os.path.getsize(path) / 1e6

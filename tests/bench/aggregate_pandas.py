"""The aggregation's tables with pandas, for `make bench`: the same figures as the
Rust accumulator and aggregate_polars.py (tables_common.py has the rules), from the
same CSV, as a straightforward pandas script would count them.

Timed (`seconds`): reading the CSV and computing every table into memory (one
thread, as pandas runs). `read_seconds` is the reading part of it. Not timed:
writing tables.json (making the figures' names) and the result.

The question columns are read as text and made categoricals, so each distinct cell is decoded
once (split on `|` into values, matched with the options); the records are then
counted with a groupby per question on integer codes, and those counts are summed
into every scope and breakdown. JSON lines are not read here: pandas' `read_json`
builds a Python object per attribute, some 40 million for a million answers.

Usage: aggregate_pandas.py --layout layout.json --input answers.csv
       --tables tables.json --result result.json
"""

import sys
import time

import numpy as np
import pandas as pd

sys.dont_write_bytecode = True  # no __pycache__ in tests/bench for the helper below
import tables_common as common  # noqa: E402


def read_csv(layout, path):
    """The answers (unit and one categorical column per question) and the cell table:
    per question and category code, the chosen option positions, the first and the category."""
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\r\n").split(",")
    present = [q for q in layout.questions if q in header]
    # As text, then categorical: read as "category" directly, a column of digits gets numbers as categories.
    frame = pd.read_csv(path, usecols=["unit", *present], dtype=str, keep_default_na=False, na_values=[""])
    frame[present] = frame[present].astype("category")
    rows = []
    for q in present:
        for code, text in enumerate(frame[q].cat.categories):
            values = text.split("|")
            chosen = layout.chosen(q, values)
            category = layout.category(values) if q == layout.grouping else None
            rows.append((layout.qindex[q], code, chosen, chosen[0] if chosen else None, category))
    cells = pd.DataFrame(rows, columns=["q", "code", "chosen", "first", "category"])
    return frame, present, cells


def tally(layout, frame, present, cells):
    """Every table, as four frames of integer codes (see tables_common.write_tables)."""
    ncat = len(layout.categories)

    def per_record(q, field):
        """Question q's cell codes mapped to a field of the cell table (NaN where none)."""
        part = cells[cells["q"] == layout.qindex[q]]
        lookup = np.full(len(part) + 1, np.nan)  # code -1 (unanswered) is the last slot
        lookup[part["code"].to_numpy()] = part[field].to_numpy(dtype=float)
        return pd.Series(lookup[frame[q].cat.codes.to_numpy()], index=frame.index) if q in present \
            else pd.Series(np.nan, index=frame.index)

    unit = frame["unit"].map(layout.unit_index)
    if unit.isna().any():
        raise SystemExit(f"units not in the layout: {sorted(frame['unit'][unit.isna()].unique())[:5]}")
    category = per_record(layout.grouping, "category") if layout.grouping else pd.Series(0.0, index=frame.index)
    kept_rows = category.notna().to_numpy()
    records = pd.DataFrame({"key": (unit * ncat + category)[kept_rows].astype(np.int64)})
    # A record's band profile: its band values (option position, or len(options) for "-") in mixed radix.
    records["profile"], stride, strides = 0, 1, []
    for q in layout.bands:
        radix = len(layout.options[q]) + 1
        records["profile"] += per_record(q, "first")[kept_rows].fillna(radix - 1).astype(np.int64) * stride
        strides.append((stride, radix))
        stride *= radix
    index_names = [f"i{i}" for i in range(len(layout.indices))]
    for name, index in zip(index_names, layout.indices):
        kept = pd.concat([per_record(q, "first")[kept_rows] for q in index["items"]], axis=1)
        kept = kept.where(kept < index["points"])
        n, total = kept.notna().sum(axis=1), kept.sum(axis=1)
        value = (total * layout.index_scale // n.where(n > 0)).where(n >= max(index["quorum"], 1))
        records[name] = value
    for q in present:
        records[q] = frame[q].cat.codes[kept_rows].to_numpy()

    # Counted per (unit and category, question, cell) and per (band profile, question, cell).
    def counted(by):
        parts = []
        for q in present:
            answered_rows = records[q] >= 0
            size = records[answered_rows].groupby([by, q]).size()
            parts.append(pd.DataFrame({by: size.index.get_level_values(0), "q": layout.qindex[q],
                                       "code": size.index.get_level_values(1), "n": size.to_numpy()}))
        return pd.concat(parts, ignore_index=True)

    def per_records(by):
        aggs = {"n": (by, "size")}
        for c in index_names:
            aggs[f"{c}_sum"] = (c, "sum")
            aggs[f"{c}_n"] = (c, "count")
        return records.groupby(by).agg(**aggs).reset_index()

    options = cells[["q", "code", "chosen"]].explode("chosen").dropna().rename(columns={"chosen": "o"})
    options["o"] = options["o"].astype(np.int64)
    answering = cells[cells["chosen"].map(len) > 0][["q", "code"]]
    scopes = pd.DataFrame(layout.unit_scopes, columns=["unit", "scope"])
    breakdowns = pd.DataFrame(layout.category_breakdowns, columns=["category", "bd"])
    first_bd = {b: bd for b, v, bd in layout.band_breakdowns if v == 0}

    def populations(fine, by):
        summed = [c for c in fine.columns if c not in ("key", *by)]
        fine = fine.assign(unit=fine["key"] // ncat, category=fine["key"] % ncat)
        fine = fine.merge(scopes, on="unit").merge(breakdowns, on="category")
        return fine.groupby(["scope", "bd", *by], as_index=False)[summed].sum()

    def bands(fine, by):
        summed = [c for c in fine.columns if c not in ("profile", *by)]
        parts = []
        for b, (s, radix) in enumerate(strides):
            part = fine.assign(bd=first_bd[b] + fine["profile"] // s % radix)
            parts.append(part.groupby(["bd", *by], as_index=False)[summed].sum())
        return pd.concat(parts, ignore_index=True).assign(scope=layout.nation)

    by_key = counted("key")
    results = [populations(per_records("key"), []),
               populations(by_key.merge(answering, on=["q", "code"])[["key", "q", "n"]], ["q"]),
               populations(by_key.merge(options, on=["q", "code"])[["key", "q", "o", "n"]], ["q", "o"])]
    if layout.bands:
        by_profile = counted("profile")
        results += [bands(per_records("profile"), []),
                    bands(by_profile.merge(answering, on=["q", "code"])[["profile", "q", "n"]], ["q"]),
                    bands(by_profile.merge(options, on=["q", "code"])[["profile", "q", "o", "n"]], ["q", "o"])]
    columns = [["scope", "bd", "n", *[f"{c}_{f}" for c in index_names for f in ("sum", "n")]],
               ["scope", "bd", "q", "n"], ["scope", "bd", "q", "o", "n"]]
    per_rec, answered, counts = [pd.concat([d[columns[k]] for d in results[k::3]], ignore_index=True)
                                 for k in range(3)]
    respondents = per_rec[["scope", "bd", "n"]]
    index = pd.concat([per_rec[["scope", "bd"]].assign(i=i, total=per_rec[f"{c}_sum"], n=per_rec[f"{c}_n"])
                       for i, c in enumerate(index_names)], ignore_index=True) if index_names else None
    answers = int(kept_rows.sum())
    return answers, respondents, answered, counts, index


def main():
    args = common.arguments("pandas")
    if args.kind != "csv":
        sys.exit("aggregate_pandas.py reads the CSV only")
    layout = common.Layout(args.layout)
    started = time.perf_counter()
    frame, present, cells = read_csv(layout, args.input)
    read = time.perf_counter() - started
    answers, respondents, answered, counts, index = tally(layout, frame, present, cells)
    seconds = time.perf_counter() - started
    peak = common.peak_rss_mb()

    rows = lambda d: d.itertuples(index=False, name=None)  # noqa: E731
    figures = common.write_tables(args.tables, layout, answers, len(frame) - answers, rows(respondents),
                                  rows(answered), rows(counts), rows(index) if index is not None else [])
    common.write_result(args.result, {
        "tool": "pandas", "version": pd.__version__, "input": args.kind, "answers": answers,
        "skipped": len(frame) - answers, "figures": figures, "seconds": seconds, "read_seconds": read,
        "peak_rss_mb": peak, "threads": 1, "file_mb": common.file_mb(args.input)})


if __name__ == "__main__":
    main()

"""The aggregation's tables with polars, for `make bench`: the figures the Rust
accumulator counts (tables_common.py has the rules), from the same file.

Timed (`seconds`): reading the file and computing every table into memory, with
polars' own thread pool (all cores). `read_seconds` is the reading part of it.
Not timed: writing tables.json (making the figures' names) and the result.

CSV (`answers.csv`, one row per answer, a multiple choice's values joined by `|`):
the question columns are read as one Categorical, so each distinct cell is decoded
once (split into values, matched with the options) and the records are counted on
the integer codes.

JSON lines (`answers.jsonl`, DynamoDB's S3 export: one `{"Item": ...}` a line): each
line is split into its attributes on `},"`, which cannot occur inside a JSON string
(a quote there is escaped), so every piece is one attribute's name and value, such
as `q_x":{"S":"v"` or `q_y":{"L":[{"S":"a"},{"S":"b"}]`, with the braces of the
nesting around the first and last. Leaving out the answer ids, the pieces are few and
repeat: they are read as one Categorical, each distinct piece is decoded once (with
`json`), and a pivot makes one row per answer as for the CSV. The county comes from layout.json. Reading
the same million answers (1.1 GB) on the same machine, one run each: this 3.6 to 4.5 s,
pyarrow's JSON reader with the schema 8.9 s, and `pl.read_ndjson` with the schema
(a struct of `{"S", "L"}` per question) 71 s.

Usage: aggregate_polars.py --layout layout.json --input answers.csv|answers.jsonl
       --tables tables.json --result result.json
"""

import json
import sys
import time

import polars as pl

sys.dont_write_bytecode = True  # no __pycache__ in tests/bench for the helper below
import tables_common as common  # noqa: E402


def decode_cells(layout, strings, split):
    """The cell table: for each question and each distinct cell (its code), the chosen
    option positions in order, the first of them and the grouping category.
    `strings` holds (code, cell); `split` turns a cell into its (question, values) pairs."""
    rows = []
    for code, text in strings:
        for q, values in split(text):
            chosen = layout.chosen(q, values)
            category = layout.category(values) if q == layout.grouping else None
            rows.append((layout.qindex[q], code, chosen, chosen[0] if chosen else None, category))
    return pl.DataFrame(rows, schema={"q": pl.UInt16, "code": pl.UInt32, "chosen": pl.List(pl.UInt8),
                                      "first": pl.UInt8, "category": pl.UInt8}, orient="row")


def read_csv(layout, path):
    """One row per answer: `unit` (its index in the layout) and one code column per question."""
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\r\n").split(",")
    present = [q for q in layout.questions if q in header]
    cells = pl.Categories("answers")  # one numbering of the cells of every question
    keep = pl.Series([], dtype=pl.Categorical(cells))  # noqa: F841 (polars forgets a numbering nothing uses)
    frame = pl.read_csv(path, columns=["unit", *present],
                        schema_overrides={"unit": pl.String, **{q: pl.Categorical(cells) for q in present}})
    frame = frame.select(
        pl.col("unit").replace_strict(layout.unit_index, return_dtype=pl.UInt16),
        *[pl.col(q).to_physical() for q in present],
        *[pl.lit(None, pl.UInt32).alias(q) for q in layout.questions if q not in present])
    table = decode_cells(layout, [(code, text) for text, code in cells.to_dict().items()],
                         lambda text: [(q, text.split("|")) for q in present])
    return frame, table


def read_jsonl(layout, path):
    """The same from DynamoDB's export format, through its attributes' pieces (see above)."""
    pieces = pl.Categories("pieces")
    keep = pl.Series([], dtype=pl.Categorical(pieces))  # noqa: F841 (polars forgets a numbering nothing uses)
    long = (pl.scan_lines(path, name="line", row_index_name="rid")
            .select("rid", pl.col("line").str.split('},"').alias("piece"))
            .explode("piece")
            # The answer ids are the only pieces that never repeat: left out before they are numbered.
            .filter(~pl.col("piece").str.contains('"answer_id":', literal=True))
            .select("rid", pl.col("piece").cast(pl.Categorical(pieces)).to_physical())
            .collect())
    # Each distinct piece: its attribute's name (the first `name":{"S"|"L":`, the split took the
    # name's opening quote) and value, which lacks its closing brace or has the nesting's.
    attribute = r'(?:^|")([^"\\]*)":(\{"[SL]":.*)$'
    distinct = pieces.to_series().to_frame("text").with_row_index("code").select(
        "code", name=pl.col("text").str.extract(attribute, 1), value=pl.col("text").str.extract(attribute, 2))
    distinct = distinct.filter(pl.col("name").is_in(["unit", *layout.questions]))
    units, answers = [], []
    for code, name, text in distinct.iter_rows():
        value = json.loads(text.rstrip("}\r\n ") + "}")
        values = [value["S"]] if "S" in value else [v["S"] for v in value.get("L", []) if "S" in v]
        (units if name == "unit" else answers).append((code, name, values))
    table = decode_cells(layout, [(code, (name, values)) for code, name, values in answers], lambda cell: [cell])
    # The pivot's columns: a question's number, or len(questions) for the unit; the value is the piece's code.
    column = len(layout.questions)
    where = dict(zip(table["code"], table["q"])) | {code: column for code, _, _ in units}
    frame = (long.with_columns(column=pl.col("piece").replace_strict(where, default=None, return_dtype=pl.UInt16))
             .drop_nulls("column")
             .pivot(on="column", index="rid", values="piece", aggregate_function="first"))
    names = {str(i): q for i, q in enumerate(layout.questions)} | {str(column): "unit"}
    frame = frame.rename({c: names[c] for c in frame.columns if c in names})
    unit_of = {code: layout.unit_index[values[0]] for code, _, values in units}
    frame = frame.select(
        pl.col("unit").replace_strict(unit_of, return_dtype=pl.UInt16),
        *[pl.col(q) if q in frame.columns else pl.lit(None, pl.UInt32).alias(q) for q in layout.questions])
    if frame["unit"].null_count():
        raise SystemExit(f"{frame['unit'].null_count()} answers without a unit")
    return frame, table


def lookup(table, layout, q, field):
    """An expression mapping question q's cell codes to a field of the cell table (null elsewhere)."""
    part = table.filter(pl.col("q") == layout.qindex[q])
    return pl.col(q).replace_strict(part["code"], part[field], default=None, return_dtype=pl.UInt8)


def tally(layout, frame, table):
    """Every table, as four frames of integer codes (see tables_common.write_tables)."""
    ncat = len(layout.categories)
    # Per record, once: the category, each band's value and each index's value.
    needed = list(dict.fromkeys(layout.bands + [q for index in layout.indices for q in index["items"]]))
    category = lookup(table, layout, layout.grouping, "category") if layout.grouping else pl.lit(0, pl.UInt8)
    records = (frame.with_columns(category.alias("category"), *[lookup(table, layout, q, "first").alias(f"first {q}")
                                                                 for q in needed])
               .filter(pl.col("category").is_not_null()))
    # A record's band profile: its band values (option position, or len(options) for "-") in mixed radix.
    profile, stride, strides = pl.lit(0, pl.UInt64), 1, []
    for q in layout.bands:
        radix = len(layout.options[q]) + 1
        profile = profile + pl.col(f"first {q}").fill_null(radix - 1).cast(pl.UInt64) * stride
        strides.append((stride, radix))
        stride *= radix
    index_names = [f"i{i}" for i in range(len(layout.indices))]
    kept = {(i, q): pl.when(pl.col(f"first {q}") < index["points"]).then(pl.col(f"first {q}").cast(pl.Int64))
            for i, index in enumerate(layout.indices) for q in index["items"]}
    records = records.with_columns(
        [pl.sum_horizontal(kept[(i, q)].is_not_null() for q in index["items"]).alias(f"{name} n")
         for i, (name, index) in enumerate(zip(index_names, layout.indices))]
        + [pl.sum_horizontal(kept[(i, q)] for q in index["items"]).alias(f"{name} total")
           for i, (name, index) in enumerate(zip(index_names, layout.indices))])
    records = records.select(
        key=pl.col("unit").cast(pl.UInt32) * ncat + pl.col("category").cast(pl.UInt32), profile=profile,
        *[pl.when(pl.col(f"{name} n") >= max(index["quorum"], 1))
          .then(pl.col(f"{name} total") * layout.index_scale // pl.col(f"{name} n")).alias(name)
          for name, index in zip(index_names, layout.indices)],
        *layout.questions)

    # Counted once per (unit and category, question, cell) and per (band profile, question, cell):
    # a group_by per question on one integer (the record's key or profile and the cell's code),
    # all run at once on polars' threads.
    lazy = records.lazy()
    codes = int(table["code"].max() or 0) + 1
    per_question = [lazy.group_by(k=pl.col(by).cast(pl.UInt64) * codes + pl.col(q)).len("n").drop_nulls("k")
                    .select((pl.col("k") // codes).cast(records.schema[by]).alias(by),
                            code=(pl.col("k") % codes).cast(pl.UInt32), q=pl.lit(i, pl.UInt16), n="n")
                    for by in (["key", "profile"] if layout.bands else ["key"]) for i, q in enumerate(layout.questions)]
    per_record = [lazy.group_by(by).agg(pl.len().alias("n"), *[pl.col(c).sum().alias(f"{c}_sum") for c in index_names],
                                        *[pl.col(c).count().alias(f"{c}_n") for c in index_names])
                  for by in (["key", "profile"] if layout.bands else ["key"])]  # respondents and indices
    done = pl.collect_all(per_question + per_record)
    nq = len(layout.questions)
    by_key = pl.concat(done[:nq]).lazy()
    by_profile = pl.concat(done[nq:2 * nq]).lazy() if layout.bands else None
    index_by_key = done[len(per_question)].lazy()
    index_by_profile = done[len(per_question) + 1].lazy() if layout.bands else None

    # From cells to options: each cell adds to every option it chose, and to `answered` if it chose any.
    options = table.select("q", "code", o="chosen").explode("o").drop_nulls("o").lazy()
    answering = table.filter(pl.col("chosen").list.len() > 0).select("q", "code").lazy()

    # Units and categories to scopes and breakdowns; band profiles to the nation's band breakdowns.
    scopes = pl.DataFrame(layout.unit_scopes, schema={"unit": pl.UInt32, "scope": pl.UInt32}, orient="row").lazy()
    breakdowns = pl.DataFrame(layout.category_breakdowns, schema={"category": pl.UInt32, "bd": pl.UInt32},
                              orient="row").lazy()
    first_bd = {b: bd for b, v, bd in layout.band_breakdowns if v == 0}  # a band's values are numbered on from here

    def populations(fine, by):
        """Sums a table by unit and category into every scope and breakdown."""
        return (fine.with_columns(unit=pl.col("key") // ncat, category=pl.col("key") % ncat)
                .join(scopes, on="unit").join(breakdowns, on="category")
                .group_by("scope", "bd", *by).agg(pl.col(c).sum() for c in fine.collect_schema() if c not in ("key", *by)))

    def bands(fine, by):
        """Sums a table by band profile into the nation's band breakdowns, one band question at a time."""
        summed = [c for c in fine.collect_schema() if c not in ("profile", *by)]
        return pl.concat([
            fine.group_by(bd=(first_bd[b] + pl.col("profile") // stride % radix).cast(pl.UInt32), *by)
            .agg(pl.col(c).sum() for c in summed)
            for b, (stride, radix) in enumerate(strides)]).with_columns(scope=pl.lit(layout.nation, pl.UInt32))

    queries = [populations(index_by_key, []),
               populations(by_key.join(answering, on=["q", "code"]).select("key", "q", "n"), ["q"]),
               populations(by_key.join(options, on=["q", "code"]).select("key", "q", "o", "n"), ["q", "o"])]
    if layout.bands:
        queries += [bands(index_by_profile, []),
                    bands(by_profile.join(answering, on=["q", "code"]).select("profile", "q", "n"), ["q"]),
                    bands(by_profile.join(options, on=["q", "code"]).select("profile", "q", "o", "n"), ["q", "o"])]
    done = pl.collect_all(queries)
    columns = [["scope", "bd", "n", *[f"{c}_{f}" for c in index_names for f in ("sum", "n")]],
               ["scope", "bd", "q", "n"], ["scope", "bd", "q", "o", "n"]]
    people, answered, counts = [pl.concat([d.select(columns[k]) for d in done[k::3]]) for k in range(3)]
    respondents = people.select("scope", "bd", "n")
    index = pl.concat([people.select("scope", "bd", i=pl.lit(i, pl.UInt32), total=f"{c}_sum", n=f"{c}_n")
                       for i, c in enumerate(index_names)]) if index_names else None
    answers = int(people.filter(pl.col("scope") == layout.nation, pl.col("bd") == 0)["n"].sum())
    return answers, respondents, answered, counts, index


def main():
    args = common.arguments("polars")
    layout = common.Layout(args.layout)
    started = time.perf_counter()
    frame, table = (read_jsonl if args.kind == "jsonl" else read_csv)(layout, args.input)
    read = time.perf_counter() - started
    answers, respondents, answered, counts, index = tally(layout, frame, table)
    seconds = time.perf_counter() - started
    peak = common.peak_rss_mb()

    figures = common.write_tables(args.tables, layout, answers, frame.height - answers, respondents.iter_rows(),
                                  answered.iter_rows(), counts.iter_rows(),
                                  index.iter_rows() if index is not None else [])
    common.write_result(args.result, {
        "tool": "polars", "version": pl.__version__, "input": args.kind, "answers": answers,
        "skipped": frame.height - answers, "figures": figures, "seconds": seconds, "read_seconds": read,
        "peak_rss_mb": peak, "threads": pl.thread_pool_size(), "file_mb": common.file_mb(args.input)})


if __name__ == "__main__":
    main()

"""A straightforward pandas version of the aggregation's tables, for `make bench`.

Reads the answers that `aggregate_million --csv` wrote and computes, timed (one
groupby per question on categorical keys, a multiple choice split into its options):
respondents and, per question, how many answered and how many chose each
option, for every unit, county and the nation, each for everyone and for the
published groups (training = training only + both, intro = intro only + both,
from q_group). Then primary suppression as in docs/disclosure-control.md: a
population with 1 to min_respondents - 1 respondents loses all its figures.

Not done here (the Rust run does them): secondary suppression (the
GaussSuppression-style check that no withheld cell can be computed from
published ones), the background bands, the indices, the JSON reports, the
XLSX/CSV bundle and the respondent-level rows.

Afterwards, untimed, the national figures are compared with the Rust run's
national.json, every question and group, and the outcome is written as JSON.

Usage: aggregate_pandas.py ANSWERS.csv RUST_NATIONAL.json OUT.json
"""

import json
import resource
import sys
import time

import pandas as pd

MIN_RESPONDENTS = 10
META = ["answer_id", "unit", "county", "language"]
GROUPS = {"training": ["training", "both"], "intro": ["intro", "both"]}


def tables(answers: pd.DataFrame, questions: list[str]) -> dict:
    """Counts per (scope, population) for respondents, answered and options."""
    answers["category"] = answers["q_group"]
    keys = ["unit", "county", "category"]
    for k in keys:
        answers[k] = answers[k].astype("category")
    answered_parts, option_parts = [], []
    for q in questions:
        column = answers[keys + [q]].dropna(subset=[q])
        answered_parts.append(pd.concat({q: column.groupby(keys, observed=True).size()}, names=["question"]))
        if column[q].str.contains("|", regex=False).any():  # a multiple choice: one row per chosen option
            column = column.assign(**{q: column[q].str.split("|")}).explode(q)
        counted = column.groupby(keys + [q], observed=True).size()
        counted.index = counted.index.set_names(keys + ["option"])
        option_parts.append(pd.concat({q: counted}, names=["question"]))
    answered = pd.concat(answered_parts).reorder_levels(keys + ["question"])
    options = pd.concat(option_parts).reorder_levels(keys + ["question", "option"])
    respondents = answers.groupby(["unit", "county", "category"]).size()

    out = {}
    for scope in ["unit", "county", "nation"]:
        keys = [] if scope == "nation" else [scope]
        for population, categories in [("all", None), *GROUPS.items()]:
            def pick(series, categories=categories):
                s = series if categories is None else series[series.index.get_level_values("category").isin(categories)]
                return s
            level = lambda extra: keys + extra  # noqa: E731
            r = pick(respondents)
            r = r.groupby(keys).sum() if keys else pd.Series({"NO": r.sum()})
            a = pick(answered).groupby(level(["question"])).sum()
            o = pick(options).groupby(level(["question", "option"])).sum()
            out[(scope, population)] = (r, a, o)
    return out


def suppress(counts: dict) -> dict:
    """Primary suppression: drop every figure of a population with 1..MIN-1 respondents."""
    published, withheld = {}, 0
    for key, (r, a, o) in counts.items():
        small = r[(r >= 1) & (r < MIN_RESPONDENTS)].index
        withheld += len(small)
        if key[0] == "nation":
            published[key] = (r, a, o) if len(small) == 0 else (r.iloc[0:0], a.iloc[0:0], o.iloc[0:0])
            continue
        keep_a = ~a.index.get_level_values(0).isin(small)
        keep_o = ~o.index.get_level_values(0).isin(small)
        published[key] = (r.drop(small), a[keep_a], o[keep_o])
    return published, withheld


def compare(published: dict, national: dict) -> tuple[int, list[str]]:
    """Every national figure (n and each option's count, everyone and each group) against the Rust report."""
    compared, differences = 0, []
    if int(published[("nation", "all")][0].iloc[0]) != national["respondents"]:
        differences.append("respondents")
    compared += 1
    for q in national["questions"]:
        for population, figure in [("all", q["national"])] + [(g, q["groups"][g]["national"]) for g in GROUPS]:
            if figure.get("withheld"):
                continue
            _, a, o = published[("nation", population)]
            mine_n = int(a.get(q["id"], 0))
            compared += 1
            if mine_n != figure["n"]:
                differences.append(f"{q['id']} {population} n: {mine_n} != {figure['n']}")
            for option, count in figure["counts"].items():
                mine = int(o.get((q["id"], option), 0))
                compared += 1
                if mine != count:
                    differences.append(f"{q['id']} {population} {option}: {mine} != {count}")
    return compared, differences


def main() -> None:
    csv_path, national_path, out_path = sys.argv[1:4]
    started = time.perf_counter()
    answers = pd.read_csv(csv_path, dtype=str, keep_default_na=False, na_values=[""])
    read = time.perf_counter() - started
    questions = [c for c in answers.columns if c not in META]
    published, withheld = suppress(tables(answers, questions))
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    with open(national_path, encoding="utf-8") as f:
        national = json.load(f)
    compared, differences = compare(published, national)
    result = {
        "pandas": pd.__version__,
        "answers": int(len(answers)),
        "seconds": seconds,
        "read_csv_seconds": read,
        "peak_rss_mb": peak_mb,
        "withheld_populations": withheld,
        "figures_compared": compared,
        "differences": differences[:20],
        "agree": not differences,
    }
    with open(out_path, "w", encoding="utf-8") as f:
        json.dump(result, f, indent=2)
    print(json.dumps(result), file=sys.stderr)


if __name__ == "__main__":
    main()

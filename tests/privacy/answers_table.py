"""Checks every item in the local stack's answers table after a test run.

Usage: python3 tests/privacy/answers_table.py [--at-least N]   (AWS_* set to the run's moto)

An answer item holds exactly answer_id (a keyed hash, 64 hex digits), the
wave, the unit, the language, the answers (question id to a value or a list
of values) and the date in Norway (no time of day); nothing that identifies a
participant or a unit's code. Every item the API and browser tests wrote is
checked. Exits 1 on any item that holds anything else, and when the table holds
fewer than N items (1 by default): a check of an empty table proves nothing, so
a run that stores no answer on purpose says so with --at-least 0.
"""

import argparse
import json
import os
import re
import sys

import boto3

ALLOWED = {"answer_id", "survey_id", "unit", "language", "answers", "date"}
CHECKS = {
    "answer_id": lambda v: "S" in v and re.fullmatch(r"[0-9a-f]{64}", v["S"]),
    "survey_id": lambda v: "S" in v and re.fullmatch(r"[a-z0-9-]{1,40}", v["S"]),
    "unit": lambda v: "S" in v and re.fullmatch(r"[0-9]{4}|[0-9]{6}", v["S"]),
    "language": lambda v: "S" in v and re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]+)?", v["S"]),
    "date": lambda v: "S" in v and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v["S"]),
    "answers": lambda v: "M" in v and all(
        re.fullmatch(r"q_[a-z0-9_]+", q)
        and (("S" in a and re.fullmatch(r"[a-z0-9_]+", a["S"]))
             or ("L" in a and all("S" in x and re.fullmatch(r"[a-z0-9_]+", x["S"]) for x in a["L"])))
        for q, a in v["M"].items()
    ),
}


def table_name():
    with open(os.path.join(os.path.dirname(__file__), "../../shared/schema/tables.json")) as f:
        schema = json.load(f)
    table = next(t for t in schema["tables"] if t["name"] == "answers")
    return os.environ.get(table["env"], table["local_name"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--at-least", type=int, default=1, help="fewest items the run must have stored")
    args = parser.parse_args()
    client = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name=os.environ["AWS_REGION"])
    problems, items = [], 0
    for page in client.get_paginator("scan").paginate(TableName=table_name()):
        for item in page["Items"]:
            items += 1
            extra = set(item) - ALLOWED
            missing = ALLOWED - set(item)
            if extra or missing:
                problems.append(f"item {items}: extra {sorted(extra)}, missing {sorted(missing)}")
                continue
            bad = [name for name, ok in CHECKS.items() if not ok(item[name])]
            if bad:
                problems.append(f"item {items}: unexpected values in {bad}")
    for problem in problems:
        print(f"answers table: {problem}", file=sys.stderr)
    print(f"answers table: {items} items checked, {len(problems)} with anything but the allowed attributes")
    if items < args.at_least:
        print(f"answers table: the run stored {items} answers, fewer than the {args.at_least} it must have for this check to mean anything", file=sys.stderr)
        return 1
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

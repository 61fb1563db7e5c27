"""Scans the local stack's logs for personal data and secrets after a test run.

Usage: python3 tests/privacy/scan_logs.py LOG_FILE... (with AWS_ENDPOINT_URL set
to the run's moto, and ACCESS_CODE to the seeded code)

What the run really used is read back from moto before it stops: every e-mail
sent, with its addresses and the codes and tokens in it, and the seeded code.
Those values, and patterns for any e-mail address, access code, token, ULID,
question id or answers object, must appear in no log line.
Exits 1 and prints the offending lines (with the value masked) if any do.
"""

import json
import os
import re
import sys
import urllib.request

CROCKFORD = "0-9A-HJKMNP-TV-Z"
PATTERNS = {
    "e-mail address": re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+"),
    "access code": re.compile(rf"(?<![{CROCKFORD}])[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{4}}-[{CROCKFORD}]{{3}}(?![{CROCKFORD}])", re.I),
    "token": re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])|token=|Bearer ", re.I),
    "submission id (ULID)": re.compile(rf"(?<![{CROCKFORD}])[0-7][{CROCKFORD}]{{25}}(?![{CROCKFORD}])"),
    "answers": re.compile(r"\"answers\"|\bq_[a-z0-9_]+\b"),
}


def moto(path):
    with urllib.request.urlopen(os.environ["AWS_ENDPOINT_URL"] + path, timeout=30) as response:
        return json.load(response)


def used_values():
    """Every address, code, token and name the run's e-mails carried."""
    values = set()
    code = os.environ.get("ACCESS_CODE", "")
    if code:
        values |= {code, code.replace("-", ""), code.lower()}
    data = moto("/moto-api/data.json")
    for message in data.get("ses", {}).get("Message", []):
        for address in message.get("destinations", {}).get("ToAddresses", []) + [message.get("source", "")]:
            values.add(address.split("<")[-1].rstrip(">").strip())
        body = message.get("body", "")
        values |= set(re.findall(r"token=([0-9A-Za-z]+)", body))
        values |= set(PATTERNS["access code"].findall(body))
    return {v for v in values if len(v) >= 6}


def scan(lines, values):
    findings = []
    for number, line in lines:
        for what, pattern in PATTERNS.items():
            if pattern.search(line):
                findings.append((number, what))
        for value in values:
            if value in line:
                findings.append((number, "a value the run used"))
    return findings


def self_check():
    """The patterns find what they are for, and pass the lines the handlers do write."""
    samples = {
        "e-mail address": "to kari.nordmann@bergen.kommune.no",
        "access code": "code K7Q4-9MZP-3X4 typed",
        "token": "/verify?token=00ff",
        "submission id (ULID)": "01JD8X5V6Q2W3E4R5T6Y7V8190",
        "answers": '{"q_group":"intro"}',
    }
    for what, sample in samples.items():
        assert PATTERNS[what].search(sample), f"the {what} pattern misses {sample!r}"
    clean = '{"level":"INFO","fields":{"message":"request refused","route":"submit_response","status":400,"code":"invalid_answer"}}'
    assert not scan([("sample", clean)], set()), "a clean line is flagged"


def main(paths):
    self_check()
    values = used_values()
    lines = []
    for path in paths:
        with open(path, encoding="utf-8", errors="replace") as f:
            lines += [(f"{path}:{i}", line) for i, line in enumerate(f, 1)]
    findings = scan(lines, values)
    for where, what in findings:
        print(f"privacy: {what} in the log at {where}", file=sys.stderr)
    print(f"privacy: {len(lines)} log lines scanned for {len(values)} used values and {len(PATTERNS)} patterns: "
          f"{'none found' if not findings else f'{len(findings)} found'}")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

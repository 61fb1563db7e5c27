"""Writes BENCHMARKS.md from what tests/bench/run.sh measured (a folder of JSON).
Sections of BENCHMARKS.md that make bench does not own (other suites' counts)
are kept as they are, after the generated ones.

The aggregation's files in RESULTS_DIR: agg-rust-N.txt (the whole run, run N),
count-TOOL-FORMAT-N.json (TOOL rust or polars; FORMAT csv or jsonl: the counting's time and
memory, run N) and count-pandas-csv.json (run once); of repeated runs the median is shown,
agree-TOOL-FORMAT.json and agree-rust-csv-jsonl.json (tests/bench/compare_tables.py against
Rust's tables, and Rust's two against each other). Those and store-calls.json may be missing:
their targets are then shown as not measured, and not met.

Usage: render.py RESULTS_DIR BENCHMARKS.md"""

import json
import os
import re
import statistics
import sys

OWN = ("Benchmarks", "Summary", "Cold start", "Handler time", "Throughput", "Aggregat", "First-load",
       "The survey page", "Function sizes", "Results links")


def load(d, name):
    with open(os.path.join(d, name), encoding="utf-8") as f:
        return json.load(f)


def maybe(d, name):
    """A result that an older or partial run may not have written: None then."""
    path = os.path.join(d, name)
    return load(d, name) if os.path.exists(path) else None


def runs(d, stem, suffix):
    """The results of repeated runs (`STEM-N.SUFFIX`, or `STEM.SUFFIX` run once), in order of N."""
    named = sorted((int(m.group(1)), f) for f in os.listdir(d)
                   if (m := re.fullmatch(re.escape(stem) + r"-(\d+)\." + suffix, f)))
    files = [f for _, f in named] or ([f"{stem}.{suffix}"] if os.path.exists(os.path.join(d, f"{stem}.{suffix}")) else [])
    return [os.path.join(d, f) for f in files]


def median_run(results, seconds):
    """The run of median time (the lower middle of an even count), with every run's seconds as `all_seconds`."""
    if not results:
        return None
    ordered = sorted(results, key=seconds)
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["all_seconds"] = [seconds(r) for r in results]
    return chosen


def command(d, name, default=None):
    path = os.path.join(d, f"{name}.command")
    if default is not None and not os.path.exists(path):
        return default
    with open(path, encoding="utf-8") as f:
        return f.read().strip()


def short(cmd):
    """A recorded command without its parenthesised notes, for the summary's last column."""
    return cmd.split(" (")[0]


MISSING = "not measured in this run"

# Targets measured by hand, not by `make bench` (their sections are kept below as they are):
# (figure, measured, target, met, command). Update them with their sections.
BY_HAND = [
    ("suppression, linked table (1,116 inner cells, regions × size classes), debug build",
     "protect 9.9 ms + exact check 2.2 ms (by hand, 2026-12-07)", "test bound ≤ 10 s each", True,
     "cargo test -p survey-disclosure --test properties -- --nocapture"),
    ("suppression, product tables, 372 units × counties × 3 bands × 17 KOSTRA groups × 2 groups, release build",
     "2.6 s (2.7, 2.6 s; at ae641d1, before the contacts' small sets, 1.7, 2.3, 2.2 s; before the witness points 6.5–7.8 s; side by side in turn, by hand, 2026-12-07)",
     "≤ 5 s, a small part of the nightly run (issue 16)", True,
     "cargo test --release -p survey-results --test tables the_national_table -- --nocapture"),
    ("classroom storm: 20,000 submissions from 200 clients, each sent twice at once",
     "exactly 20,000 stored, 0 × 5xx (by hand, `make soak`, 2026-11-23)", "exactly N stored, no 5xx (issue 7)", True,
     "STORM_N=20000 STORM_M=200 bash tests/with-local-stack.sh node --test tests/api/storm.test.mjs"),
]


def p(samples, q):
    """Nearest-rank percentile, as the Rust side computes it."""
    s = sorted(samples)
    rank = max(1, -(-len(s) * q // 1))
    return s[int(min(rank, len(s))) - 1]


def mark(ok):
    return "✔" if ok else "✘"


def kept_sections(path):
    """The `## ` sections of the current file that make bench does not write."""
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    parts = re.split(r"(?m)^(?=## )", text)
    return [s.rstrip() + "\n" for s in parts[1:] if not s[3:].startswith(OWN)]


def main():
    d, target = sys.argv[1:3]
    m = load(d, "machine.json")
    seconds = int(open(os.path.join(d, "seconds")).read())
    build = open(os.path.join(d, "build")).read().strip()
    reused = "" if build == "fresh" else (
        f"\nThe release binaries were not rebuilt for this run (`BENCH_BUILD=0`): they are those built {build} UTC "
        "from this tree while other work went on beside it.")
    summary = []  # (figure, measured, target, ok, command)
    body = []

    # Cold starts.
    cold = load(d, "cold.json")
    by_name = {f["name"]: f for f in cold["functions"]}
    rows = []
    for f in cold["functions"]:
        floor = by_name[f["floor"]]
        init, first = statistics.median(f["init_ms"]), statistics.median(f["first_invocation_ms"])
        ratio = init / statistics.median(floor["init_ms"])
        is_floor = f["name"] == f["floor"]
        judged = not is_floor
        outcomes = ", ".join(f"{k} ×{v}" for k, v in sorted(f["outcomes"].items()))
        rows.append(f"| {'*' + f['name'] + '* (floor)' if is_floor else f['name']} | {init:.1f} | {p(f['init_ms'], 0.9):.1f} "
                    f"| {ratio:.2f}× | {mark(ratio <= 1.5) if judged else ''} | {first:.1f} | {p(f['first_invocation_ms'], 0.9):.1f} "
                    f"| {outcomes} | {f['init_connections']} |")
        if judged:
            summary.append((f"cold start init, {f['name']}", f"{ratio:.2f}× hello-world ({init:.1f} ms)", "≤ 1.5× (issue 7)",
                            ratio <= 1.5, command(d, 'cold')))
    connections = sum(f["init_connections"] for f in cold["functions"])
    summary.append(("cold start, connections opened during init", f"{connections} over {cold['runs']} runs of each function",
                    "0: SDK clients made in init, no network I/O there (issue 7)", connections == 0, command(d, 'cold')))
    body.append(f"""## Cold start: init and first invocation

Command: `{command(d, 'cold')}`, after `survey-admin setup --seed-local` on moto.

`tests/bench` holds a local Lambda Runtime API (`/2018-06-01/runtime/invocation/next`,
`/response`, `/error`, `/init/error` on 127.0.0.1). Each release binary (`lto`,
`codegen-units = 1`, as deployed but for x86-64) is exec'd {cold['runs']} times, a fresh
process each time, interleaved with the others, with the Lambda environment
(`AWS_LAMBDA_FUNCTION_NAME`, memory size, version, log group, region, credentials,
`HASH_KEY`, every table and bucket variable). *Init* is exec to the first
`GET /invocation/next`. Then one event from `events/` (pointed at the wave `local`)
is handed over; *first invocation* is until its answer, which goes to moto for
the stores, so it includes moto's few ms per call. `AWS_ENDPOINT_URL` (and the
instance-metadata endpoint) point at a counting loopback proxy in front of moto:
connections opened during init, over all runs: **{connections}** — the SDK
clients are made in init and do no network I/O there.
Floors: a hello-world `lambda_http` function (for the five HTTP functions) and a
hello-world `lambda_runtime` function (for `aggregate`), built the same way.

The SDK clients trust only Amazon Trust Services' roots, built into the binary
(`shared/aws/certs/`), rather than loading the system's store in init; reading and
parsing Debian's 140-odd roots from some 290 files had made init about 4× the floor.
Five more changes took init from about 1.75× to the figures below (profiled with
`perf record --call-graph dwarf` on a release build with debug info):
- the functions build their SDK configuration from Lambda's environment
  (`survey_aws::lambda_sdk_config`) instead of `aws_config`'s loader: credentials
  by name (`EnvironmentVariableCredentialsProvider`), no profile files, and none of
  the default chain's STS, SSO and instance-metadata providers linked in (about
  1.2 MB less per binary); retries, the connect timeout and the identity cache
  come from the clients' behaviour version, as they would from the loader;
- each function makes only the SDK clients it uses, since making one parses its
  service's endpoint partitions (eight regular expressions per service);
- the SDK's check of the HTTPS client, made as each SDK client is made, is
  skipped: it builds a connection pool and throws it away (so that a system
  trust store would load in init), cannot fail, and the roots are built in;
  the first request builds its own pool either way. In process, 200 fresh
  starts each, the first client took 288 and 321 µs without it against 403 and
  393 µs with it (medians, old and new builds in turn, 2026-12-07);
- TLS is rustls on ring instead of aws-lc, which with the next change took 2 to 3 MB off each binary;
- `RUST_LOG` is read as `tracing_subscriber`'s `Targets`, without the regular
  expressions of an `EnvFilter`.

What is left above the floor, timed in process in 80 fresh `results` processes
(medians, before the check was skipped): logging 0.04 ms, the configuration
0.05 ms, the SDK configuration 0.02 ms, the first client 0.43 ms (with the
check of the HTTPS client; about 0.3 ms without), the second and third 0.15 and
0.12 ms; and the page faults of a binary four times the floor's size (311
against 140 per start, `perf stat -e page-faults`). Each SDK client's cost is
mostly its service crate's endpoint partitions: the generated `DefaultResolver`
holds a `&'static` to a lazily parsed table, so making the first client of each
service parses its partitions' JSON and compiles their eight regular
expressions, and the service's runtime plugin makes that resolver even when
another is given.

Tried and not kept (by hand, 2026-12-07): linking the binaries as position-dependent
executables (`-C link-arg=-no-pie` on the final link), so that the loader applies none of
a function's 14,000 to 17,000 relative relocations and writes none of its 200 to 270 KB
of `.data.rel.ro` at start. Three alternating pairs of `coldstart --runs 60`, the same
commit built both ways: init medians fell by 0.01 to 0.4 ms, about 0.15 ms in the median
pair (`results` 2.85 to 2.96 against
2.64 to 2.79 ms, `aggregate` 2.58 to 2.96 against 2.31 to 2.59, `send-mail` 2.79 to 2.92
against 2.66 to 2.79), with about 60 page faults fewer per start, and the floors by
about 0.05 ms; the ratios moved by 0.0 to 0.1×, within the spread of one build's runs (in
that run the position-independent builds measured 1.38 to 1.51×). The price is the
randomised address of the binary's own code and data, and the arm64 build links
through zig; not kept.

| function | init median ms | init p90 ms | init vs floor | ≤ 1.5× | first invocation median ms | p90 ms | answers | init connections |
|---|---:|---:|---:|:-:|---:|---:|---|---:|
""" + "\n".join(rows) + "\n")

    # Handler CPU.
    # Each run's medians side by side; the run of median submit/hello ratio is shown.
    names = ("hello_world", "hello_world_submit_event", "validate_code", "submit_response")
    crit_runs = [{n: json.load(open(path))["median"]["point_estimate"] / 1000 for n, path in zip(names, paths)}
                 for paths in zip(*(runs(d, f"criterion-{n}", "json") for n in names))]
    crit_runs.sort(key=lambda c: c["submit_response"] / c["hello_world"])
    crit = crit_runs[(len(crit_runs) - 1) // 2]
    submit_ratio = crit["submit_response"] / crit["hello_world"]
    run_ratios = ", ".join(f"{c['submit_response'] / c['hello_world']:.1f}×" for c in crit_runs)
    summary.append(("handler time in process, submit-response",
                    f"{submit_ratio:.1f}× hello-world ({crit['submit_response']:.1f} µs against {crit['hello_world']:.2f} µs)",
                    "≤ 4× hello-world (issue 18)", submit_ratio <= 4, command(d, 'criterion')))
    summary.append(("handler time in process, submit-response", f"{crit['submit_response']:.1f} µs",
                    "≤ 50 µs (the earlier target, issue 18)", crit["submit_response"] <= 50, command(d, 'criterion')))
    # Store calls on a submission's happy path, counted by a handler test (store-calls.json:
    # {"reads": R, "conditional_writes": W}, with store-calls.command).
    calls = maybe(d, "store-calls.json")
    calls_command = command(d, "store-calls", "cargo test -p submit-response")
    if calls is None:
        summary.append(("store calls per submission", MISSING, "≤ 1 read + 1 conditional write (issue 18)", False,
                        calls_command))
        store_text = ""
    else:
        ok = calls["reads"] <= 1 and calls["conditional_writes"] <= 1
        summary.append(("store calls per submission",
                        f"{calls['reads']} read(s) + {calls['conditional_writes']} conditional write(s)",
                        "≤ 1 read + 1 conditional write (issue 18)", ok, calls_command))
        store_text = (f"\nStore calls on a submission's happy path, counted by `{calls_command}`: "
                      f"{calls['reads']} read(s) and {calls['conditional_writes']} conditional write(s) "
                      f"(target at most one of each, issue 18) {mark(ok)}.\n")
    body.append(f"""## Handler time in process (in-memory store)

Command: `{command(d, 'criterion')}` (criterion; `functions/submit-response/benches/handlers.rs`),
run {len(crit_runs)} times. Each iteration parses the API Gateway event and runs the handler; a
submission is the full 2026 questionnaire (39 answers) with a fresh ULID, so every one is
a new conditional write. The table is the run of median submission-to-hello-world ratio;
the runs' ratios, lowest first: {run_ratios}.

| handler | median | ratio to hello-world |
|---|---:|---:|
| hello-world `lambda_http` handler | {crit['hello_world']:.2f} µs | 1.0 |
| hello-world handler given a submission's event | {crit['hello_world_submit_event']:.2f} µs | {crit['hello_world_submit_event'] / crit['hello_world']:.1f} |
| `validate-code` | {crit['validate_code']:.2f} µs | {crit['validate_code'] / crit['hello_world']:.1f} |
| `submit-response` | {crit['submit_response']:.2f} µs | {crit['submit_response'] / crit['hello_world']:.1f} |

The second row is the floor for a submission's payload: the same hello-world
handler, given a submission's event, pays only for `lambda_http` parsing API
Gateway's event with its 3 KB escaped JSON body.

Targets for `submit-response`: at most 4× the hello-world handler (issue 18)
{mark(submit_ratio <= 4)}, and the earlier at most 50 µs {mark(crit['submit_response'] <= 50)}.

Where a submission's time goes (by hand, 2026-12-06: `perf record
--call-graph dwarf` on the criterion bench, and callgrind on
`functions/submit-response/examples/submit_loop.rs`, whose instruction counts
compare two builds where times drown in a busy machine's noise). Past the floor,
about half of a submission went to maps of answers: a `serde_json::Map` built
while reading the body (a search and a node per key), emptied again by
validation, and a `BTreeMap` grown for the record. The answers are now read into
a list in the order sent (`given::Answers`), each checked in its question's place,
found just after the last one's or by an index of ids built with the version
(`Questionnaire::validate_given`), and kept as a list sorted by id (`AnswerMap`).
Callgrind, 3,000 submissions of a profiling build: the handler past the event's
parse went from 182k to 132k instructions a submission (reading the body 70.6k
to 50.0k, validation 52.1k to 22.7k), against 95k for `lambda_http`'s parse of
the event. What is left past the floor: reading the body 38% (39 ids and 39
values, each a string of its own), the four HMACs (the code, the caller's
counter, the answer's key, the receipt) a quarter under callgrind, which lacks
the CPU's SHA instructions, but 2% of samples on the CPU, validation 17%, and
the wave, the store and the response the rest. Earlier: the store takes the
record by value (`AnswerStore::insert_answer`), which removed a copy of about
80 allocations.
""" + store_text)

    # Throughput.
    # Pairs of runs taken in turn; the pair of median ratio is shown, with every pair's ratio.
    def pair_ratio(pair):
        hello, submit = pair
        return submit["requests_per_second"] / hello["requests_per_second"]

    pairs = sorted(((load(d, h), load(d, s))
                    for h, s in zip(runs(d, "load-hello", "json"), runs(d, "load-submit", "json"), strict=True)),
                   key=pair_ratio)
    hello, submit = pairs[(len(pairs) - 1) // 2]
    ratio = pair_ratio((hello, submit))
    pair_ratios = ", ".join(f"{pair_ratio(p):.2f}×" for p in pairs)
    errors = sum(h["errors"] + s["errors"] for h, s in pairs)
    load_command = short(command(d, 'load'))
    summary.append(("gateway throughput, errors", f"{errors} errors; submissions at {ratio:.2f}× hello-world",
                    "0 errors", errors == 0, load_command))
    summary.append(("gateway throughput, submissions against hello-world", f"{ratio:.2f}× "
                    f"({submit['requests_per_second']:,.0f} against {hello['requests_per_second']:,.0f} requests/s)",
                    "≥ 0.6× (issue 18)", ratio >= 0.6, load_command))
    summary.append(("gateway throughput, submissions against hello-world", f"{ratio:.2f}×",
                    "≥ 0.5× (the earlier target, issue 18)", ratio >= 0.5, load_command))
    body.append(f"""## Throughput through the local gateway (in-memory store)

Command: `{command(d, 'load')}`, then the same against `/api/bench/hello`.
`tests/bench` `loadgen` holds {submit['concurrency']} keep-alive connections on 127.0.0.1, each
posting the full questionnaire with a fresh `submission_id`, back to back for
{submit['seconds']:.0f} s after a 2 s warm-up. The gateway (release build) turns each request
into an API Gateway event, as for the Lambdas; the hello-world route runs a
fixed-JSON handler behind that same event path. Client and gateway share the 2 cores.
The two routes are run in turn, {len(pairs)} pairs, each pair on a gateway of its own,
started empty; the table is the pair of median submission-to-hello-world ratio, and
the pairs' ratios, lowest first, are {pair_ratios}. The in-memory double keeps
every answer (about 6 KB each, some 250,000 a pair), and on one gateway each pair
paid for the answers of the pairs before: six pairs in turn on one gateway fell
from 0.50× to 0.36× (by hand, 2026-12-07), where a DynamoDB table makes a
function pay nothing for the answers stored before.

| route | requests/s | p50 ms | p99 ms | requests | errors |
|---|---:|---:|---:|---:|---:|
| hello-world (`/api/bench/hello`) | {hello['requests_per_second']:,.0f} | {hello['p50_ms']:.2f} | {hello['p99_ms']:.2f} | {hello['requests']:,} | {hello['errors']} |
| submissions (`/api/responses`) | {submit['requests_per_second']:,.0f} | {submit['p50_ms']:.2f} | {submit['p99_ms']:.2f} | {submit['requests']:,} | {submit['errors']} |

Submissions run at {ratio:.2f}× the hello-world rate (target at least 0.6×, issue 18, {mark(ratio >= 0.6)};
the earlier target 0.5× {mark(ratio >= 0.5)}); errors (any status but 201/200), over every pair: {errors}.

The hello-world route is posted the same body, so the gap is the submission's own
work. CPU per request (by hand, 2026-12-07, `perf stat` on the gateway and the
load generator's own times, a release build with line tables, three fresh
gateways): hello-world 28 to 29.5 µs in the gateway and 19 to 21 µs in the load
generator; a submission 61 to 64 µs and 24 to 26 µs (0.56×, 0.56×, 0.61×). At
0.6× a submission may use at most about 80 µs of the two cores, and it uses
about 87. Of the gateway's samples under submissions (`perf record --call-graph
dwarf`): `lambda_http` parsing the event 18%, the submission's handler with
its store calls 16%, writing responses and log lines (`writev`) 15%, the heap's
growth as the double keeps each answer (`sysmalloc`) 8% and page faults 6%, the
JSON log line 6%, the double's B-tree search 2%. Before (2026-12-06, profiling
builds without LTO, on one gateway):

- the same for both routes: `lambda_http` parsing the event 16%, building and
  printing the event 14%, sending responses over TCP 13%, tokio and hyper the
  rest of the event path;
- the handler's own work: reading the body 7% and validation 6%, the HMACs 1%;
- the one JSON log line per request 6.5%, half of it the `write(2)` call. In
  process, the production subscriber writing to a file adds 7 to 10 µs to a
  submission, about three quarters of it the system call, which any logger
  pays per line; a formatter of our own could save only the rest. Writing lines
  to a second descriptor without `Stdout`'s lock was slower (159 against 145 µs)
  and was not kept;
- the in-memory double's table growing by some 110,000 answers in 10 s (about
  5 KB each): the heap's growth (`sysmalloc`, `mprotect`) 12% and page faults
  5%. A DynamoDB write is a network wait, not this; storing nothing at all, an
  upper bound on any double, gave 114 against 131 µs. Keeping each answer in
  the double packed into one buffer (under 1 KB in one allocation, instead of
  some eighty) cut page faults from 1.27 to 0.36 per submission, but not the
  gateway's CPU: 91 to 98 µs per submission either way, against 43 to 51 µs per
  hello-world (`perf stat` on the release builds, three pairs of each taken in
  turn, 2026-12-06). It was not kept;
- allocation handed between the two worker threads (glibc's arena lock waits
  and wakes): mimalloc as the gateway's allocator gave 0.47× against 0.46× and
  was not kept, since a Lambda runs one request at a time;
- the load generator's own 11 to 13 µs more per submission than per
  hello-world: at the lower rate fewer responses come per wake-up.

What remains past the handler is the double's heap growth, which a deployed
function does not have, one system call per log line, which every logger pays,
and two processes scheduled on two cores. The handler's own share is now about
a seventh of the gateway's time.
""")

    # Aggregation: counting the same file with Rust (one core), polars (all cores) and pandas,
    # then the whole nightly run.
    agg_runs = [dict(kv.split("=") for kv in open(path).read().split()) for path in runs(d, "agg-rust", "txt")]
    rust = median_run(agg_runs, lambda r: float(r["seconds"]))
    rust["peak_rss_mb"] = max(float(r["peak_rss_mb"]) for r in agg_runs)
    counts = {(tool, kind): median_run([json.load(open(p)) for p in runs(d, f"count-{tool}-{kind}", "json")],
                                       lambda c: c["seconds"])
              for tool in ("rust", "polars", "pandas") for kind in ("csv", "jsonl")}
    agree = {name: maybe(d, f"agree-{name}.json")
             for name in ("polars-csv", "polars-jsonl", "pandas-csv", "pandas-jsonl", "rust-csv-jsonl")}
    count_command = command(d, "count", "target/release/examples/count_tables answers.{csv,jsonl}; "
                            "tests/bench/aggregate_polars.py and aggregate_pandas.py --input answers.{csv,jsonl}")

    def counting(kind):
        """The counting's two commands for one file, for the summary."""
        return (f"target/release/examples/count_tables answers.{kind}; "
                f".venv/bin/python tests/bench/aggregate_polars.py --layout layout.json --input answers.{kind}")

    names = {"csv": "CSV", "jsonl": "JSON lines"}

    def count_seconds(tool, kind):
        c = counts[(tool, kind)]
        return c["seconds"] if c else None

    rows, ratio_rows = [], []
    for tool in ("rust", "polars", "pandas"):
        for kind in ("csv", "jsonl"):
            c = counts[(tool, kind)]
            if c is None:
                if tool != "pandas" or kind == "csv":
                    rows.append(f"| {tool} | | {names[kind]} | {MISSING} | | | | |")
                continue
            label = {"rust": "Rust (`count_tables`)", "polars": f"polars {c.get('version', '')}",
                     "pandas": f"pandas {c.get('version', '')}"}[tool]
            threads = c.get("threads", 1)
            read = f"{c['read_seconds']:.2f} s" if "read_seconds" in c else ""
            a = agree.get("rust-csv-jsonl" if tool == "rust" and kind == "jsonl" else f"{tool}-{kind}")
            if tool == "rust" and kind == "csv":
                agreement = "(the reference)"
            elif a is None:
                agreement = MISSING
            elif tool == "rust":
                agreement = (f"the same as from the CSV: {'yes' if a['agree'] else '**no**'}, "
                             f"{a['figures_compared']:,} figures")
            else:
                agreement = (f"{'yes' if a['agree'] else '**no**'}, {a['figures_compared']:,} figures"
                             + ("" if a["agree"] else f", {a.get('differing', len(a['differences'])):,} differ"))
            each = ", ".join(f"{s:.2f}" for s in c["all_seconds"])
            rows.append(f"| {label} | {threads} | {names[kind]} | {c['seconds']:.2f} s | {each} | {read} | "
                        f"{c['peak_rss_mb']:,.0f} MB | {agreement} |")
    for kind in ("csv", "jsonl"):
        r, pol, pan = count_seconds("rust", kind), count_seconds("polars", kind), count_seconds("pandas", kind)
        target_row = ("counting, Rust (1 core) against polars (all cores), " + names[kind],
                      f"{r / pol:.2f}× ({r:.2f} s against {pol:.2f} s)" if r and pol else MISSING,
                      "≤ 0.5× polars (issue 18)", bool(r and pol and r / pol <= 0.5), counting(kind))
        summary.append(target_row)
        ratio_rows.append(f"| {names[kind]} | {f'{r / pol:.2f}×' if r and pol else MISSING} | "
                          f"{mark(target_row[3])} | {f'{r / pan:.2f}×' if r and pan else ''} |")
    for name, label in (("polars-csv", "polars, CSV"), ("polars-jsonl", "polars, JSON lines"),
                        ("pandas-csv", "pandas, CSV"), ("pandas-jsonl", "pandas, JSON lines"),
                        ("rust-csv-jsonl", "Rust CSV and Rust JSON lines")):
        a = agree[name]
        if a is None and name == "pandas-jsonl":
            continue
        tool, kind = name.split("-")[:2]
        pair = ("tables-rust-csv.json tables-rust-jsonl.json" if tool == "rust"
                else f"tables-rust-{kind}.json tables-{tool}-{kind}.json")
        summary.append((f"counting agrees, {label}" + ("" if tool == "rust" else " against Rust"),
                        MISSING if a is None else (f"{a['figures_compared']:,} figures compared, "
                                                   f"{a.get('differing', len(a['differences'])):,} differ"),
                        "every figure equal (issue 18)", bool(a and a["agree"]),
                        f".venv/bin/python tests/bench/compare_tables.py {pair}"))
    differences = [f"- {name}: " + "; ".join(f"`{x['key']}` {x['a']} against {x['b']}" for x in a["differences"][:5])
                   for name, a in agree.items() if a and not a["agree"]]

    r_s, r_mb = float(rust["seconds"]), float(rust["peak_rss_mb"])
    agg_command = command(d, 'agg')
    summary += [
        ("aggregation, whole nightly run, 1 M answers", f"{r_s:.1f} s", "≤ 8 s on one core (issue 18)", r_s <= 8, agg_command),
        ("aggregation, whole nightly run, 1 M answers", f"{r_s:.1f} s", "≤ 5 s (the earlier target, issue 18)", r_s <= 5,
         agg_command),
        ("aggregation, whole nightly run, peak memory", f"{r_mb:,.0f} MB", "≤ 256 MB (issue 18)", r_mb <= 256, agg_command),
    ]
    polars = counts[("polars", "csv")] or counts[("polars", "jsonl")] or {}
    body.append(f"""## Aggregating a million answers: counting beside polars and pandas, and the whole run

Command: `{count_command}`. Rust counts on one thread, polars on its thread pool
({polars.get('threads', '?')} threads), pandas on one. All read the same {int(rust['answers']):,} answers from the same file, written
beforehand (untimed) in the two forms the nightly run could read: a CSV (one row per
answer, a multiple choice's values joined by `|`), where polars is strongest, and
DynamoDB's S3 export format (JSON lines, one item per line, the county taken from the
layout). Each computes the same tables into memory: respondents, answered and every
option's count per question, index sums and counts, for every unit, county, size band,
KOSTRA group and the nation, for everyone and per group, and the nation by every
background band. Each time is reading the file and counting; writing the tables out
for the comparison is not timed. Every figure is compared, a missing one counting as 0.
Rust and polars each count each file {len(counts[("rust", "csv")]["all_seconds"]) if counts[("rust", "csv")] else "?"} times, taking turns; the table shows the
median and every run (pandas runs once), and the ratios are of the medians.
polars reads the CSV's answers as categoricals and counts on their codes; it reads the
JSON lines as text split into attributes, since its own `read_ndjson` with the export's
nested schema took 15 to 20 times as long (`tests/bench/aggregate_polars.py` says how).

| tool | threads | file | wall time (median) | each run, s | of it reading | peak RSS | every figure as Rust's |
|---|---:|---|---:|---|---:|---:|---|
""" + "\n".join(rows) + """

| file | Rust / polars | ≤ 0.5× | Rust / pandas |
|---|---:|:-:|---:|
""" + "\n".join(ratio_rows) + "\n" + ("\nFigures that differ (first five of each):\n" + "\n".join(differences) + "\n"
                                      if differences else "") + f"""
Where Rust's time on the CSV goes (`perf record` of `count_tables`, a release build
with line tables, 2026-12-06): adding each answer to its unit's row and to its
crossed bands' row (`Accumulator::add_coded`) about 30%; the loop over a line's
cells (splitting on `,`, the unit) about 30%; finding each cell's option
(`Options::position`: a table by first byte, then one compare) about 25%; finding
the lines' ends and checking them as UTF-8 about 7%. The lines are read where they lie in 1 MB
blocks and checked as UTF-8 a block at a time; before, `read_line` copied each
line into a string of its own. In alternating runs on the same machine that took
the JSON lines from 2.79 to 2.14 s and the CSV from 1.18 to 1.07 s (medians).
Tried and not kept, each no faster beyond the spread of runs: each option's bytes
kept in its first-byte slot, so that a lookup reads one slot (the samples stay on
the load of the slot itself); counters of 32 bits instead of 64, which halves the
rows (best of seven runs 1.15 s either way). polars, on two threads of a
two-core machine, moves with the machine's load from run to run (2.2 to 2.4 s
over the last two `make bench` runs), and the ratio with it.

The whole nightly run: `{agg_command}`, {int(rust['answers']):,} answers, {rust['units']} units
({rust.get('withheld_units', '?')} withheld): tallies, bands and indices, primary and
secondary suppression with its independent check, the unit, county and national reports
and the bundle ({rust['bundle_mb']} MB), on one core; run {len(agg_runs)} times, the median shown,
and the highest peak memory.

| | wall time (median) | each run, s | peak RSS | target |
|---|---:|---|---:|---|
| Rust, whole nightly run | {r_s:.1f} s | {", ".join(f"{s:.1f}" for s in rust["all_seconds"])} | {r_mb:,.0f} MB | ≤ 8 s {mark(r_s <= 8)}, ≤ 256 MB {mark(r_mb <= 256)} (issue 18) |

This figure is in seconds, not a ratio, so it moves with the machine: this run's floors
were {statistics.median(by_name['hello-http']['init_ms']):.1f} ms (hello-world init) and {crit['hello_world']:.1f} µs (the hello-world
handler). Earlier runs of the same code path, for scale: 1ad18b9's `make bench` took
7.4 to 7.9 s with floors of 1.9 ms and 5.6 µs, 22ca117's 13.9 s with 3.2 ms and 11.3 µs
(and by hand just after it, the same file in turn, 1ad18b9's binary 15.2 and 15.3 s
against 22ca117's 14.7 and 15.3 s).
""")

    # Reading Scan pages as the deployed run does: the scale model's count rate.
    scans = [json.load(open(p)) for p in runs(d, "scan-rate", "json")]
    scan = median_run(scans, lambda r: r["read_and_count_seconds"])
    if scan:
        read_rate = sorted(r["read_answers_per_second"] for r in scans)[(len(scans) - 1) // 2]
        file_rate = int(rust["answers"]) / counts[("rust", "jsonl")]["seconds"] if counts[("rust", "jsonl")] else None
        file_text = (f"; counting the export file above reads and counts {file_rate:,.0f} a second, "
                     f"with the same reader") if file_rate else ""
        body.append(f"""
The scan as the deployed run reads it: `{command(d, 'scan-rate')}` serves {scan['answers']:,} answers as
DynamoDB Scan pages of 1 MB ({scan['pages_per_segment']} a segment) from canned responses on
127.0.0.1, and `DynamoStore::scan_answers` reads them over 8 segments on one thread, as the
run does: the SDK signs, sends and retries each Scan, and the page's items are read with the
export's reader (`read_scan_page`) rather than the SDK's model. No network or service time,
only the function's own CPU. Run {len(scans)} times, the median shown.

| `DynamoStore::scan_answers`, one core | answers a second (median) | each run |
|---|---:|---|
| reading the pages | {read_rate:,.0f} | {", ".join(f"{r['read_answers_per_second']:,.0f}" for r in scans)} |
| reading, coding and counting | {scan['answers'] / scan['read_and_count_seconds']:,.0f} | {", ".join(f"{r['read_and_count_answers_per_second']:,.0f}" for r in scans)} |

This is the count rate of `tests/bench/scale_model.py` (`--count-rate`, with the scratch
rows on top){file_text}. Until commit 4a5c2ad the SDK read each page into its model, a map and
a `String` per attribute; the same command, old and new binaries taking turns three times
(by hand, 2026-12-06), read 44,407, 47,286, 44,402 against 463,711, 460,939, 368,268 answers a
second, and read, coded and counted 35,231, 38,681, 37,362 against 275,642, 272,823, 275,455.
""")

    # Page.
    page = load(d, "page.json")
    kinds = page["kinds"]
    total_gz = sum(k["gz"] for k in kinds.values())
    total_raw = sum(k["raw"] for k in kinds.values())
    js_gz = kinds.get("JS", {"gz": 0})["gz"]
    lh = page["lighthouse"]
    langs = sorted(page["languages"], key=lambda l: l["gz"])
    extra = [l["gz"] / 1024 for l in langs]
    page_command = short(command(d, 'page'))
    summary += [
        ("page first load, compressed", f"{total_gz / 1024:.1f} KB", "< 50 KB (issue 7)", total_gz < 50 * 1024, page_command),
        ("page first load, compressed", f"{total_gz / 1024:.1f} KB",
         "< 60 KB, without a language's own fonts and audio (issues 2 and 5)", total_gz < 60 * 1024, page_command),
        ("page first load, JS compressed", f"{js_gz / 1024:.1f} KB", "< 20 KB (issue 7)", js_gz < 20 * 1024, page_command),
        ("Lighthouse mobile performance", str(lh["performance"]), "≥ 95 (issue 7)", lh["performance"] >= 95, page_command),
        ("Lighthouse accessibility", str(lh["accessibility"]), "100 (issue 7)", lh["accessibility"] == 100, page_command),
    ]
    kind_rows = "\n".join(f"| {k} | {v['files']} | {v['raw'] / 1024:.1f} | {v['gz'] / 1024:.1f} |" for k, v in sorted(kinds.items()))
    metrics = ", ".join(f"{k.replace('-', ' ')} {v}" for k, v in lh["metrics"].items())
    failed = ", ".join(lh["failed_accessibility"]) or "none"
    body.append(f"""## The survey page: first load, languages, Lighthouse

Command: `{command(d, 'page')}` (Chromium at 360×740, every response until the start
screen is ready, each gzip level 9 as a CDN serves it; then Lighthouse {lh['version']},
mobile, simulated throttling, in the same headless Chromium, offline).

| first load, by kind | files | raw KB | gzip KB |
|---|---:|---:|---:|
{kind_rows}
| **total** | {sum(k['files'] for k in kinds.values())} | {total_raw / 1024:.1f} | **{total_gz / 1024:.1f}** |

Targets: under 50 KB in all {mark(total_gz < 50 * 1024)}, under 20 KB of JS {mark(js_gz < 20 * 1024)}.

Each extra language (its UI strings and question texts, gzip) adds
{statistics.median(extra):.1f} KB at the median, {extra[0]:.1f} to {extra[-1]:.1f} KB over the {len(langs)} languages
the wave offers besides bokmål: {', '.join(f"{l['code']} {l['gz'] / 1024:.1f}" for l in langs)}.

Lighthouse: performance **{lh['performance']}** (≥ 95 {mark(lh['performance'] >= 95)}), accessibility
**{lh['accessibility']}** (100 {mark(lh['accessibility'] == 100)}); {metrics}. Accessibility audits not passed: {failed}.
""")

    # Sizes.
    sizes = load(d, "sizes.json")
    size_rows = []
    for s in sizes:
        if "missing" in s:
            size_rows.append(f"| {s['name']} | missing: run `make bench-size` | | | |")
            summary.append((f"zipped size, {s['name']}", "not built", "< 5 MB (issue 7)", False, "make bench-size"))
            continue
        ok = s["zipped"] < 5_000_000
        size_rows.append(f"| {s['name']} | {s['bytes'] / 1e6:.1f} MB | {s['zipped'] / 1e6:.1f} MB | {mark(ok)} | {s['machine']}, {s['built']} |")
        summary.append((f"zipped size, {s['name']}", f"{s['zipped'] / 1e6:.1f} MB", "< 5 MB (issue 7)", ok, "make bench-size"))
    body.append(f"""## Function sizes (release, arm64, zipped)

Command: `{command(d, 'size')}`. The arm64 cross build takes some 15 minutes on 2
cores, so `make bench` measures the bootstraps of the last build and says when they were
built; `make bench-size` rebuilds them first.

| function | bootstrap | zipped | < 5 MB | built |
|---|---:|---:|:-:|---|
""" + "\n".join(size_rows) + "\n")

    timing = load(d, "timing.json")
    gap = timing["after_difference"]
    ok = abs(gap) < 5
    summary.append(("results link: contact − stranger, median", f"{gap:+.1f} ms (before the queue: {timing['before_difference']:+.1f} ms)",
                    "\\|Δ\\| < 5 ms (issue 12)", ok, short(command(d, 'timing'))))
    body.append(f"""## Results links: does the answer's time tell who is a contact?

Command: `{command(d, 'timing')}`. One moto server, two local gateways on it: a
debug build of b582139 (the last before the mail queue) and this tree's. {timing['pairs']} interleaved
pairs per gateway, the verified contact's address and a stranger's in alternating
order, each request from its own loopback address. Every answer was 202.

| build | contact, median | stranger, median | contact − stranger |
|---|---:|---:|---:|
| before the queue (b582139) | {timing['before_contact']:.1f} ms | {timing['before_stranger']:.1f} ms | {timing['before_difference']:+.1f} ms |
| now | {timing['after_contact']:.1f} ms | {timing['after_stranger']:.1f} ms | {timing['after_difference']:+.1f} ms |

Before, a contact's request wrote a token and called SES before answering; now
every request only puts a job on the mail queue, so both take the same path.
""")

    head = f"""# Benchmarks

Written by `make bench` (`tests/bench/run.sh`, {seconds // 60} min {seconds % 60} s); do not edit by hand.
Machine: {m['cores']} cores ({m['cpu']}), {m['memory_gib']} GiB; {m['date']}, commit {m['commit']}.
The machine was shared with other builds and test runs while measuring (load
average {m['load_at_start']} at the start), so absolute figures are noisy; each
comparison was measured side by side in one run, and its ratio is what counts.{reused}

## Summary

Every performance target of the issues, met or not, each with the command that measures it.
Rows marked *by hand* are not measured by `make bench`: their sections below give the run.

| figure | measured | target | met | command |
|---|---|---|:-:|---|
""" + "\n".join(f"| {a} | {b} | {c} | {mark(ok)} | `{cmd}` |" for a, b, c, ok, cmd in summary + BY_HAND) + "\n"
    text = "\n".join([head, *body, *kept_sections(target)])
    with open(target, "w", encoding="utf-8") as f:
        f.write(text)


if __name__ == "__main__":
    main()

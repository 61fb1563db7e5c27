#!/usr/bin/env python3
"""How the nightly aggregation scales to tens of millions of answers (issue 18,
"Beyond one machine"): a Monte-Carlo simulation of whole runs, each a small
discrete-event simulation of the DynamoDB scan, under two designs.

A  One Lambda, as today: S scan segments inside one process share the
   function's vCPUs and network; each segment writes its respondent rows to a
   scratch file in /tmp; then disclosure control, ~390 JSON reports (one PUT
   after another) and the bundle zip (one pass over the scratch rows), which
   is written to /tmp and uploaded. Simulated twice: as deployed (1,024 MB,
   512 MB /tmp, 8 segments) and as large as one function gets (10,240 MB,
   10,240 MB /tmp, 16 segments, one counting thread per vCPU).
B  A Step Functions Distributed Map over S segments: each child is a Lambda
   that scans its segment (1 MB pages), counts into its own Accumulator and
   puts the partial tally and its respondent rows to S3; one reduce Lambda
   merges the S partials (`Accumulator::merge`), runs disclosure control,
   writes the reports and the bundle, streaming the row parts from S3.

What is simulated, per page of each segment: the wait for DynamoDB capacity
(every partition serves at most 3,000 read units a second, and the table's
ceiling, --table-rru-per-s, is shared equally by its partitions; requests
queue, as a client that paces itself would), the
page's service time (log-normal), the transfer over the function's network
(shared by the segments of one function), and the parse and count on a CPU
(a segment waits for a free counting thread). Around the scan: cold starts,
the Map's launch of its children, S3 puts and reads, the merge, the fixed part
and the row pass. A per-night factor scales all service times, so that runs
differ as nights do. Pages are grouped into at most --resolution steps per run
(the sum of a step's page times is drawn, not approximated by its mean).

The published row's size, the partial tally's size and the figures sheet's
rows come from the survey definition in shared/domain/surveys/. Everything else is
an option; each says whether it is measured, a published price or limit (see
PRICES, LIMITS and docs/scaling.md for the sources), or an assumption.

  .venv/bin/python tests/bench/scale_model.py                       # the table in docs/scaling.md
  .venv/bin/python tests/bench/scale_model.py --count-rate R --row-bytes B \\
      --fixed-seconds F --merge-seconds-per-partial M --json scale.json

Standard library only; deterministic for a given --seed.
"""

from __future__ import annotations

import argparse
import csv
import heapq
import json
import math
import random
import statistics
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Prices in USD. Region eu-north-1 (Stockholm) where the price list gives it per
# region; see docs/scaling.md, "Prices and limits", for each source.
PRICES = {
    # Lambda, Arm, first tier; eu-north-1 is not among the regions priced above the base rate.
    "lambda_gb_s_arm": 0.0000133334,
    "lambda_request": 0.20 / 1e6,
    # Ephemeral storage above the free 512 MB, per GB-second (us-east-1 example on the Lambda pricing page).
    "lambda_ephemeral_gb_s": 0.0000000309,
    # DynamoDB on-demand read request unit (us-east-1 since 1 Nov 2024; the per-region table is interactive).
    "dynamodb_rru": 0.125 / 1e6,
    # Step Functions Standard, Europe (Stockholm).
    "sfn_transition": 0.025 / 1000,
    # S3 Standard requests (us-east-1 list price).
    "s3_put": 0.005 / 1000,
    "s3_get": 0.0004 / 1000,
}

LIMITS = {
    "lambda_timeout_s": 900,
    "lambda_memory_max_mb": 10240,
    "lambda_tmp_max_mb": 10240,
    "lambda_tmp_default_mb": 512,
    "mb_per_vcpu": 1769,
    "lambda_max_vcpus": 6,
    "lambda_concurrency_default": 1000,
    "dynamodb_page_bytes": 1024 * 1024,
    "dynamodb_rru_bytes": 4096,
    "dynamodb_partition_rru_per_s": 3000,
    "dynamodb_partition_bytes": 10 * 1024**3,
    "dynamodb_new_on_demand_rru_per_s": 12000,
    "dynamodb_table_rru_quota": 40000,
    "sfn_payload_bytes": 256 * 1024,
    "zip_entry_without_zip64": 2**32 - 1,
    "xlsx_rows": 1048576,
    "s3_single_put_bytes": 5 * 1024**3,
}

MIB = 1024 * 1024


# --------------------------------------------------------------------------
# What the survey definition says: sizes that do not depend on measurement.


@dataclass
class Survey:
    name: str
    version: str
    questions: int
    options: int
    reported_options: int
    indices: int
    categories: int
    groups: int
    band_slots: int
    units: int
    counties: int
    counters_per_tally: int
    published_row_bytes: float
    figures_rows: int

    @property
    def rows(self) -> int:
        """The Accumulator's rows of counters: per unit one per category, and
        for everyone one per background band value."""
        return self.units * self.categories + self.band_slots

    @property
    def counters(self) -> int:
        return self.rows * self.counters_per_tally

    @property
    def partial_bytes(self) -> int:
        """A segment's tally as dense little-endian u64 counters: an upper bound
        (a segment that met every unit), before any compression."""
        return self.counters * 8

    @property
    def accumulator_bytes(self) -> int:
        """An Accumulator in memory: the counters, each row a Vec (header and
        allocation), and each unit's entry in the map of units."""
        return self.counters * 8 + self.rows * 40 + self.units * 64


def _units(root: Path) -> list[str]:
    data = root / "shared/domain/data"
    units = []
    with open(data / "kommuner-folkemengde.csv", encoding="utf-8") as f:
        units += [row["kommunenummer"] for row in csv.DictReader(f)]
    with open(data / "oslo-bydeler-folkemengde.csv", encoding="utf-8") as f:
        units += [row["bydelsnummer"] for row in csv.DictReader(f)]
    return units


def _synthetic_answers(questions: list[dict], rng: random.Random) -> dict[str, list[str]]:
    """As `survey_domain::synthetic::answers`: routing followed, optional
    questions skipped one time in five, no option that ends the survey."""
    answers: dict[str, list[str]] = {}
    for q in questions:
        rule = q.get("show_if")
        if rule and not any(v in rule["any_of"] for v in answers.get(rule["question"], [])):
            continue
        if not q.get("required") and rng.randrange(5) == 0:
            continue
        choices = [o["value"] for o in q["options"] if not o.get("ends_survey")]
        if q["type"] == "multi":
            plain = [o["value"] for o in q["options"] if not o.get("ends_survey") and not o.get("exclusive")]
            picked = [v for v in plain if rng.randrange(2) == 0]
            answers[q["id"]] = picked or [rng.choice(choices)]
        elif q["type"] == "text":
            answers[q["id"]] = [" ".join(rng.choice(["Vi", "samarbeider", "godt"]) for _ in range(1 + rng.randrange(8)))]
        else:
            answers[q["id"]] = [rng.choice(choices)]
    return answers


def load_survey(root: Path, name: str, seed: int, samples: int = 20000) -> Survey:
    folder = root / "shared/domain/surveys" / name
    definition = json.loads((folder / "definition.json").read_text(encoding="utf-8"))
    version = definition["questionnaires"][-1]
    questionnaire = json.loads((folder / "questionnaires" / version / "questionnaire.json").read_text(encoding="utf-8"))
    questions = questionnaire["questions"]
    by_id = {q["id"]: q for q in questions}
    plan = definition["analysis"]
    never = set(plan.get("never_reported", []))
    reported = [q for q in questions if q["id"] not in never]
    grouping = plan.get("grouping")
    categories = len(by_id[grouping["question"]]["options"]) if grouping else 1
    groups = len(grouping["groups"]) if grouping else 0
    bands = plan.get("bands", [])
    band_slots = sum(len(by_id[b]["options"]) + 1 for b in bands)
    indices = len(plan.get("indices", []))
    options = sum(len(q["options"]) for q in questions)
    reported_options = sum(len(q["options"]) for q in reported)
    units = _units(root)
    counties = sorted({u[:2] for u in units})
    languages = [l["code"] for l in json.loads((root / "shared/domain/data/languages.json").read_text())["languages"]]
    lang_groups = json.loads((root / "shared/results/data/language_groups.json").read_text())["groups"]
    group_of = {code: g["id"] for g in lang_groups for code in g["languages"]}

    # The published row's mean size (respondents.csv: county, language group,
    # one cell per reported question, multi values joined by |, CRLF), from
    # answers generated as the benchmarks generate them. The scratch row is
    # binary (`microdata::rows`) and measured: `--row-bytes`.
    rng = random.Random(f"{seed}/rows")
    published = 0
    for _ in range(samples):
        language = rng.choice(languages)
        answers = _synthetic_answers(questions, rng)
        cells = ["|".join(answers.get(q["id"], [])) for q in reported]
        body = sum(len(c) for c in cells) + len(cells)  # a comma before each
        published += 2 + 1 + len(group_of.get(language, "*")) + body + 2

    # The figures table: one row per population, reported option and index.
    # Populations: each unit, county, size band (3), KOSTRA group (17) and the
    # nation, for all and each group; the nation by every band slot.
    populations = (len(units) + len(counties) + 3 + 17 + 1) * (1 + groups) + band_slots
    return Survey(
        name=name,
        version=version,
        questions=len(questions),
        options=options,
        reported_options=reported_options,
        indices=indices,
        categories=categories,
        groups=groups,
        band_slots=band_slots,
        units=len(units),
        counties=len(counties),
        counters_per_tally=1 + len(questions) + options + 2 * indices,
        published_row_bytes=published / samples,
        figures_rows=populations * (reported_options + indices),
    )


# --------------------------------------------------------------------------
# Random draws.


def lognormal(rng: random.Random, median: float, p95: float) -> float:
    sigma = math.log(p95 / median) / 1.6449 if p95 > median else 0.0
    return median * math.exp(rng.gauss(0.0, sigma))


def lognormal_sum(rng: random.Random, k: int, median: float, p95: float) -> float:
    """The sum of k independent log-normal draws: drawn one by one for small k,
    else from the normal with the same mean and variance (k >= 30)."""
    if k <= 30:
        return sum(lognormal(rng, median, p95) for _ in range(k))
    sigma = math.log(p95 / median) / 1.6449 if p95 > median else 0.0
    mean = median * math.exp(sigma**2 / 2)
    var = (math.exp(sigma**2) - 1) * median**2 * math.exp(sigma**2)
    return max(0.5 * k * mean, rng.gauss(k * mean, math.sqrt(k * var)))


def vcpus(memory_mb: int) -> int:
    return max(1, min(LIMITS["lambda_max_vcpus"], math.ceil(memory_mb / LIMITS["mb_per_vcpu"])))


def cpu_share(memory_mb: int) -> float:
    """Lambda gives CPU in proportion to memory: one vCPU's worth at 1,769 MB."""
    return memory_mb / LIMITS["mb_per_vcpu"]


# --------------------------------------------------------------------------
# The scan: a discrete-event simulation of every segment's page loop.


@dataclass
class Function:
    """One Lambda instance: its counting threads and its network."""

    workers: list[float]
    thread_speed: float  # cores per counting thread
    net_free: float = 0.0


@dataclass
class Segment:
    function: int
    start: float
    steps: list[tuple[int, float, float, int]]  # (pages, items, bytes, partition)
    done: float = 0.0


class Dynamo:
    """Read capacity as one first-come, first-served server per partition. A
    partition serves at most 3,000 read units a second; the table's ceiling
    (--table-rru-per-s) is shared equally by its partitions, which is what a
    Scan, whose segments spread evenly over the hash range, meets. A request
    waits until its partition has room, as a client that paces itself
    (adaptive retries, or a token bucket per segment) would; the wait is
    counted."""

    def __init__(self, partitions: int, table_rru_per_s: float):
        self.partition_free = [0.0] * partitions
        self.partition_rate = min(float(LIMITS["dynamodb_partition_rru_per_s"]), table_rru_per_s / partitions)
        self.waited = 0.0

    def reserve(self, t: float, partition: int, rru: float) -> float:
        start = max(t, self.partition_free[partition])
        self.partition_free[partition] = start + rru / self.partition_rate
        self.waited += start - t
        return start


def page_rru(page_bytes: float) -> float:
    """A Scan page's eventually consistent read units: its items' total size in
    4 KB units, halved."""
    return math.ceil(page_bytes / LIMITS["dynamodb_rru_bytes"]) * 0.5


def split_segments(p: Params, n: int, s: int, partitions: int, resolution: int) -> list[list[tuple[int, float, float, int]]]:
    """Each segment's pages, grouped into steps. Segment k covers the hash range
    [k/S, (k+1)/S); partition j covers [j/P, (j+1)/P)."""
    page = LIMITS["dynamodb_page_bytes"]
    per_segment = resolution // s or 1
    result = []
    for k in range(s):
        items = n // s + (1 if k < n % s else 0)
        seg_bytes = items * p.item_bytes
        pages = max(1, math.ceil(seg_bytes / page))
        steps = min(pages, per_segment)
        out = []
        for j in range(steps):
            lo, hi = pages * j // steps, pages * (j + 1) // steps
            share = (hi - lo) / pages
            position = (k + (j + 0.5) / steps) / s
            out.append((hi - lo, items * share, seg_bytes * share, min(partitions - 1, int(position * partitions))))
        result.append(out)
    return result


def simulate_scan(rng: random.Random, p: Params, functions: list[Function], segments: list[Segment], dyn: Dynamo, night: float) -> None:
    """Runs every segment's loop (request a page, wait for it, count it, ask for
    the next: DynamoStore::scan_answers does not fetch ahead) to its end."""
    request, response, arrival = 0, 1, 2
    events: list[tuple[float, int, int, int]] = []
    position = [0] * len(segments)
    seq = 0
    for i, seg in enumerate(segments):
        heapq.heappush(events, (seg.start, seq, request, i))
        seq += 1
    while events:
        t, _, kind, i = heapq.heappop(events)
        seg = segments[i]
        f = functions[seg.function]
        pages, items, nbytes, partition = seg.steps[position[i]]
        if kind == request:
            rru = page_rru(nbytes / pages) * pages
            start = dyn.reserve(t, partition, rru)
            service = lognormal_sum(rng, pages, p.page_ms_median / 1000, p.page_ms_p95 / 1000) * night
            heapq.heappush(events, (start + service, seq, response, i))
        elif kind == response:
            begin = max(t, f.net_free)
            f.net_free = begin + nbytes * p.wire_factor / (p.net_mb_per_s * 1e6)
            heapq.heappush(events, (f.net_free, seq, arrival, i))
        else:
            w = min(range(len(f.workers)), key=f.workers.__getitem__)
            begin = max(t, f.workers[w])
            f.workers[w] = begin + items / (p.count_rate * f.thread_speed)
            position[i] += 1
            if position[i] < len(seg.steps):
                heapq.heappush(events, (f.workers[w], seq, request, i))
            else:
                seg.done = f.workers[w]
        seq += 1


# --------------------------------------------------------------------------
# Whole runs.


@dataclass
class Params:
    count_rate: float
    row_bytes: float
    published_row_bytes: float
    fixed_seconds: float
    merge_seconds_per_partial: float
    rows_mb_per_s: float
    item_bytes: float
    wire_factor: float
    zip_ratio: float
    bundle_fixed_mb: float
    base_rss_mb: float
    page_buffer_mb: float
    report_objects: int
    table_rru_per_s: float
    partitions: int
    table_extra_gb: float
    page_ms_median: float
    page_ms_p95: float
    net_mb_per_s: float
    s3_mb_per_s: float
    put_ms_median: float
    put_ms_p95: float
    cold_start_median: float
    cold_start_p95: float
    night_p95: float
    core_speed: float
    sfn_start_s: float
    map_launch_per_s: float
    child_overhead_median: float
    child_overhead_p95: float
    transitions_per_child: int
    a_threads: int
    b_segments: int
    b_mapper_memory: int
    b_reduce_memory: int
    b_reduce_tmp: int
    b_max_concurrency: int
    margin: float
    mem_margin: float
    tmp_margin: float
    zip64: bool
    resolution: int
    survey: Survey


@dataclass
class DesignA:
    label: str
    memory_mb: int
    tmp_mb: int
    segments: int


@dataclass
class Run:
    seconds: float
    cost: dict[str, float]
    dynamo_wait: float
    longest_function: float  # the longest single Lambda invocation in the run
    scan_seconds: float
    extra: dict[str, float] = field(default_factory=dict)


def table_bytes(p: Params, n: int) -> float:
    return n * p.item_bytes + p.table_extra_gb * 1024**3


def partitions_for(p: Params, n: int) -> int:
    """Enough partitions for the data (10 GB each) and for the throughput the
    table serves (3,000 read units a second each); at least --partitions."""
    by_size = math.ceil(table_bytes(p, n) / LIMITS["dynamodb_partition_bytes"])
    by_rate = math.ceil(p.table_rru_per_s / LIMITS["dynamodb_partition_rru_per_s"])
    return max(1, by_size, by_rate, p.partitions)


def scan_rru(p: Params, n: int) -> float:
    pages = table_bytes(p, n) / LIMITS["dynamodb_page_bytes"]
    return pages * page_rru(LIMITS["dynamodb_page_bytes"])


def bundle_bytes(p: Params, n: int) -> float:
    """The zip: respondents.csv deflated, and everything else (README, the
    tables as CSV and XLSX, the codebook), which does not grow with N."""
    return n * p.published_row_bytes * p.zip_ratio + p.bundle_fixed_mb * MIB


def sequential_puts(rng: random.Random, p: Params, count: int, night: float) -> float:
    return lognormal_sum(rng, count, p.put_ms_median / 1000, p.put_ms_p95 / 1000) * night


def s3_requests_common(p: Params, n: int, segments: int) -> tuple[int, int]:
    """PUTs and GETs every run makes: the reports, the bundle (multipart above
    5 GB, in 100 MB parts), manifest, latest, ledger, trend, progress.json."""
    bundle = bundle_bytes(p, n)
    bundle_puts = 1 if bundle <= LIMITS["s3_single_put_bytes"] else 2 + math.ceil(bundle / (100 * MIB))
    progress = segments + p.report_objects // 50 + 4
    return p.report_objects + bundle_puts + 4 + progress, 6


def run_a(p: Params, d: DesignA, n: int, rng: random.Random) -> Run:
    night = lognormal(rng, 1.0, p.night_p95)
    share = cpu_share(d.memory_mb) * p.core_speed
    threads = min(p.a_threads or vcpus(d.memory_mb), vcpus(d.memory_mb), d.segments)
    thread_speed = min(1.0, share / threads)
    single = min(1.0, share)  # single-threaded phases
    start = lognormal(rng, p.cold_start_median, p.cold_start_p95)
    parts = partitions_for(p, n)
    dyn = Dynamo(parts, p.table_rru_per_s)
    fn = Function(workers=[start] * threads, thread_speed=thread_speed * lognormal(rng, 1.0, 1.05), net_free=start)
    segs = [Segment(0, start, steps) for steps in split_segments(p, n, d.segments, parts, p.resolution)]
    simulate_scan(rng, p, [fn], segs, dyn, night)
    scan_end = max(s.done for s in segs)
    fixed = p.fixed_seconds * lognormal(rng, 1.0, 1.1) / single
    puts = sequential_puts(rng, p, p.report_objects, night)
    rows = n * p.row_bytes / (p.rows_mb_per_s * 1e6 * single)
    upload = bundle_bytes(p, n) / (p.s3_mb_per_s * 1e6) + lognormal(rng, p.put_ms_median, p.put_ms_p95) / 1000
    total = scan_end + fixed + puts + rows + upload
    gb = d.memory_mb / 1024
    s3_puts, s3_gets = s3_requests_common(p, n, d.segments)
    cost = {
        "lambda": gb * total * PRICES["lambda_gb_s_arm"]
        + max(0.0, (d.tmp_mb - 512) / 1024) * total * PRICES["lambda_ephemeral_gb_s"]
        + PRICES["lambda_request"],
        "dynamodb": scan_rru(p, n) * PRICES["dynamodb_rru"],
        "stepfunctions": 0.0,
        "s3": s3_puts * PRICES["s3_put"] + s3_gets * PRICES["s3_get"],
    }
    return Run(total, cost, dyn.waited, total, scan_end - start, {"rows": rows, "fixed": fixed + puts})


def b_segments(p: Params, n: int) -> int:
    """As many segments as keep DynamoDB busy, with room (x1.5), and enough that
    a segment that is not held back by DynamoDB takes under half the time limit;
    a power of two, at least 8, at most the Map's MaxConcurrency."""
    if p.b_segments:
        return p.b_segments
    page = LIMITS["dynamodb_page_bytes"]
    items_per_page = page / p.item_bytes
    page_seconds = (
        p.page_ms_median / 1000 * 1.1
        + page * p.wire_factor / (p.net_mb_per_s * 1e6)
        + items_per_page / (p.count_rate * min(1.0, cpu_share(p.b_mapper_memory)) * p.core_speed)
    )
    capped_pages_per_s = min(p.table_rru_per_s, partitions_for(p, n) * LIMITS["dynamodb_partition_rru_per_s"]) / page_rru(page)
    for_dynamo = 1.5 * capped_pages_per_s * page_seconds
    pages = table_bytes(p, n) / page
    for_time = pages * page_seconds / (0.5 * LIMITS["lambda_timeout_s"])
    s = 2 ** math.ceil(math.log2(max(8.0, for_dynamo, for_time)))
    return min(s, p.b_max_concurrency)


def run_b(p: Params, n: int, rng: random.Random) -> Run:
    night = lognormal(rng, 1.0, p.night_p95)
    s = b_segments(p, n)
    if s > min(p.b_max_concurrency, LIMITS["lambda_concurrency_default"]):
        raise SystemExit(f"--b-segments {s} is more than the Map's concurrency")
    parts = partitions_for(p, n)
    dyn = Dynamo(parts, p.table_rru_per_s)
    share = cpu_share(p.b_mapper_memory) * p.core_speed
    launched = []
    functions = []
    segs = []
    t0 = p.sfn_start_s * lognormal(rng, 1.0, 1.5)
    for k, steps in enumerate(split_segments(p, n, s, parts, p.resolution)):
        launch = t0 + k / p.map_launch_per_s + lognormal(rng, p.child_overhead_median, p.child_overhead_p95)
        ready = launch + lognormal(rng, p.cold_start_median, p.cold_start_p95)
        launched.append(launch)
        functions.append(Function(workers=[ready], thread_speed=min(1.0, share) * lognormal(rng, 1.0, 1.05), net_free=ready))
        segs.append(Segment(k, ready, steps))
    simulate_scan(rng, p, functions, segs, dyn, night)
    partial = p.survey.partial_bytes
    mapper_end = []
    for k, seg in enumerate(segs):
        # The last part of the rows (multipart, written as the scan goes) and the partial tally.
        finish = seg.done + 2 * lognormal(rng, p.put_ms_median, p.put_ms_p95) / 1000 * night + partial / (p.s3_mb_per_s * 1e6)
        mapper_end.append(finish)
    mapper_seconds = [e - l for e, l in zip(mapper_end, launched)]
    map_end = max(mapper_end) + lognormal(rng, p.child_overhead_median, p.child_overhead_p95)
    single = min(1.0, cpu_share(p.b_reduce_memory) * p.core_speed)
    cold = lognormal(rng, p.cold_start_median, p.cold_start_p95)
    merge = s * p.merge_seconds_per_partial * lognormal(rng, 1.0, 1.1) * night
    fixed = p.fixed_seconds * lognormal(rng, 1.0, 1.1) / single
    puts = sequential_puts(rng, p, p.report_objects, night)
    rows_cpu = n * p.row_bytes / (p.rows_mb_per_s * 1e6 * single)
    rows_read = n * p.row_bytes / (p.s3_mb_per_s * 1e6)
    rows = max(rows_cpu, rows_read)
    upload = bundle_bytes(p, n) / (p.s3_mb_per_s * 1e6) + lognormal(rng, p.put_ms_median, p.put_ms_p95) / 1000
    reduce_seconds = cold + merge + fixed + puts + rows + upload
    total = map_end + reduce_seconds
    mapper_gb = p.b_mapper_memory / 1024
    reduce_gb = p.b_reduce_memory / 1024
    s3_puts, s3_gets = s3_requests_common(p, n, s)
    row_part_bytes = n * p.row_bytes / s
    s3_puts += s * (2 + math.ceil(row_part_bytes / (8 * MIB))) + s  # rows: create, parts, complete; the partial
    s3_gets += 2 * s  # each partial, each rows part
    cost = {
        "lambda": (sum(mapper_seconds) * mapper_gb + reduce_seconds * reduce_gb) * PRICES["lambda_gb_s_arm"]
        + max(0.0, (p.b_reduce_tmp - 512) / 1024) * reduce_seconds * PRICES["lambda_ephemeral_gb_s"]
        + (s + 1) * PRICES["lambda_request"],
        "dynamodb": scan_rru(p, n) * PRICES["dynamodb_rru"],
        "stepfunctions": (6 + s * p.transitions_per_child) * PRICES["sfn_transition"],
        "s3": s3_puts * PRICES["s3_put"] + s3_gets * PRICES["s3_get"],
    }
    scan = max(seg.done for seg in segs) - min(seg.start for seg in segs)
    return Run(
        total,
        cost,
        dyn.waited,
        max(max(mapper_seconds), reduce_seconds),
        scan,
        {"segments": s, "mapper_max": max(mapper_seconds), "reduce": reduce_seconds, "rows": rows, "merge": merge},
    )


# --------------------------------------------------------------------------
# Limits that do not need a simulation.


def time_budget(p: Params) -> float:
    return LIMITS["lambda_timeout_s"] * (1 - p.margin)


def a_rss_mb(p: Params, d: DesignA) -> float:
    """Peak memory: the measured peak of the 1M run with 8 segments, plus an
    Accumulator and a page in flight for each further segment. It does not grow
    with the answers: the tallies are bounded by units x questions x options and
    the rows go to /tmp."""
    per_segment = p.survey.accumulator_bytes / MIB + p.page_buffer_mb
    return p.base_rss_mb + (d.segments - 8) * per_segment


def a_tmp_mb(p: Params, n: int) -> float:
    """/tmp at its fullest: every scratch row file and the finished zip."""
    return (n * p.row_bytes + bundle_bytes(p, n)) / MIB


def a_static_limits(p: Params, d: DesignA) -> dict[str, float]:
    """The answers at which each limit that needs no simulation is reached."""
    tmp_budget = d.tmp_mb * (1 - p.tmp_margin) * MIB - p.bundle_fixed_mb * MIB
    limits = {
        "/tmp": max(0.0, tmp_budget / (p.row_bytes + p.published_row_bytes * p.zip_ratio)),
        "memory": math.inf if a_rss_mb(p, d) <= d.memory_mb * (1 - p.mem_margin) else 0.0,
    }
    return limits


def format_limits(p: Params) -> dict[str, float]:
    """The bundle's own limits; the 4 GiB zip entry only without ZIP64 (before 6ef174c)."""
    limits = {
        "single S3 PUT of the bundle (5 GB)": (LIMITS["s3_single_put_bytes"] - p.bundle_fixed_mb * MIB) / (p.published_row_bytes * p.zip_ratio),
    }
    if not p.zip64:
        limits["zip entry over 4 GiB (no ZIP64)"] = LIMITS["zip_entry_without_zip64"] / p.published_row_bytes
    return limits


# --------------------------------------------------------------------------
# Monte Carlo and the search for where a design stops fitting.


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = q * (len(ordered) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def simulate(p: Params, design: str, n: int, runs: int, seed: int, a: DesignA | None = None) -> list[Run]:
    out = []
    for r in range(runs):
        rng = random.Random(f"{seed}/{design}/{n}/{r}")
        out.append(run_a(p, a, n, rng) if a else run_b(p, n, rng))
    return out


def summarise(runs: list[Run]) -> dict:
    seconds = [r.seconds for r in runs]
    longest = [r.longest_function for r in runs]
    cost_keys = runs[0].cost.keys()
    cost = {k: statistics.median(r.cost[k] for r in runs) for k in cost_keys}
    extra_keys = runs[0].extra.keys()
    return {
        "median_s": statistics.median(seconds),
        "p95_s": quantile(seconds, 0.95),
        "longest_function_p95_s": quantile(longest, 0.95),
        "scan_median_s": statistics.median(r.scan_seconds for r in runs),
        "dynamo_wait_median_s": statistics.median(r.dynamo_wait for r in runs),
        "cost": cost,
        "cost_total": sum(cost.values()),
        "extra": {k: statistics.median(r.extra[k] for r in runs) for k in extra_keys},
    }


def time_limit(p: Params, design: str, runs: int, seed: int, a: DesignA | None = None, lo: float = 1e5, hi: float = 1e9) -> float:
    """The answers at which the p95 of the longest Lambda invocation reaches the
    time budget (bisection on a log scale; the p95 grows with the answers)."""

    def over(n: float) -> bool:
        return summarise(simulate(p, design, int(n), runs, seed, a))["longest_function_p95_s"] > time_budget(p)

    if over(lo):
        return lo
    if not over(hi):
        return math.inf
    for _ in range(14):
        mid = math.sqrt(lo * hi)
        if over(mid):
            hi = mid
        else:
            lo = mid
    return lo


def millions(n: float) -> str:
    if math.isinf(n):
        return "no limit"
    return f"{n / 1e6:.1f} M" if n >= 1e6 else f"{n / 1e3:.0f} k"


def seconds(s: float) -> str:
    return f"{s / 60:.1f} min" if s >= 600 else f"{s:.0f} s"


def parse_answers(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        part = part.strip().upper()
        factor = 1
        if part.endswith("M"):
            factor, part = 1_000_000, part[:-1]
        elif part.endswith("K"):
            factor, part = 1_000, part[:-1]
        out.append(int(float(part) * factor))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    g = ap.add_argument_group("measured inputs (each says whether its default is measured or assumed)")
    g.add_argument("--count-rate", type=float, default=230000, help="answers a second per core: read the DynamoDB page with the export's reader after the SDK has sent the request (4a5c2ad), code and count, write the scratch row [measured: about 275,000 a second read, coded and counted by shared/aws/examples/scan_rate, 2026-12-06; the scratch rows, about 0.7 us an answer, on top. Pages read through the SDK's model, before 4a5c2ad: 33,000]")
    g.add_argument("--row-bytes", type=float, default=72, help="scratch respondent-row bytes, binary (microdata::rows) [measured: 72 MB of scratch rows for 1M generated answers, 2026-12-06]")
    g.add_argument("--fixed-seconds", type=float, default=2, help="suppression, tables, reports and bundle figures on one core, independent of the answers; the report PUTs are simulated apart [measured: about 0.6 s to the reports and 1.3 s of the bundle's figures, sheets and plan, 1M answers, 2026-12-06]")
    g.add_argument("--merge-seconds-per-partial", type=float, default=0.25, help="GET one partial tally from S3 and merge it [assumption: 0.25]")
    g.add_argument("--rows-mb-per-s", type=float, default=36, help="the pass over the scratch rows (recode, format, deflate into the zip; the scan counts the patterns), MB of scratch rows a second on one core [measured: about 2.0 s for the 72 MB of 1M answers, 2026-12-06]")
    g = ap.add_argument_group("sizes")
    g.add_argument("--item-bytes", type=float, default=1400, help="an answer item in DynamoDB [given: about 1.4 KB]")
    g.add_argument("--wire-factor", type=float, default=1.5, help="DynamoDB JSON on the wire over the item size [assumption]")
    g.add_argument("--zip-ratio", type=float, default=0.22, help="respondents.csv deflated over raw [measured: 159 MB to 35.5 MB for 1M generated answers, 2026-12-06]")
    g.add_argument("--bundle-fixed-mb", type=float, default=12, help="MiB of the bundle without respondent rows [measured: the 48.0 MB bundle of 1M answers less its respondents.csv, 2026-12-06]")
    g.add_argument("--base-rss-mb", type=float, default=190, help="peak memory of a run with 8 segments [measured, BENCHMARKS.md, 1M answers]")
    g.add_argument("--page-buffer-mb", type=float, default=5, help="a 1 MB page in flight, raw and parsed, per segment [assumption]")
    g.add_argument("--report-objects", type=int, default=390, help="JSON reports a run puts, one after another [372 units, 15 counties, nation, key figures]")
    g.add_argument("--survey", default="brukerundersokelse", help="survey folder under shared/domain/surveys/")
    g = ap.add_argument_group("AWS behaviour")
    g.add_argument("--table-rru-per-s", type=float, default=LIMITS["dynamodb_new_on_demand_rru_per_s"], help="read units a second the on-demand table serves at once: 12,000 for a new table, twice the previous peak for an older one, up to the 40,000 table quota, or its warm throughput [source]")
    g.add_argument("--partitions", type=int, default=0, help="at least this many partitions [default: from size (10 GB each) and --table-rru-per-s (3,000 each)]")
    g.add_argument("--table-extra-gb", type=float, default=0, help="other waves' answers in the table, read and filtered out by the Scan")
    g.add_argument("--page-ms-median", type=float, default=40, help="DynamoDB service time of a 1 MB Scan page, median [assumption]")
    g.add_argument("--page-ms-p95", type=float, default=120, help="... and its 95th percentile [assumption]")
    g.add_argument("--net-mb-per-s", type=float, default=150, help="a Lambda function's network throughput, all its connections [assumption; not published]")
    g.add_argument("--s3-mb-per-s", type=float, default=100, help="one S3 transfer's throughput from Lambda [assumption]")
    g.add_argument("--put-ms-median", type=float, default=25, help="an S3 PUT of a small object, median [assumption]")
    g.add_argument("--put-ms-p95", type=float, default=80, help="... and its 95th percentile [assumption]")
    g.add_argument("--cold-start-median", type=float, default=0.3, help="Lambda cold start, s, median [assumption; init alone is 2.3 ms in BENCHMARKS.md]")
    g.add_argument("--cold-start-p95", type=float, default=0.8, help="... and its 95th percentile [assumption]")
    g.add_argument("--night-p95", type=float, default=1.25, help="a night's factor on every service time, 95th percentile (median 1) [assumption]")
    g.add_argument("--core-speed", type=float, default=1.0, help="a Lambda arm64 vCPU over the core the rates were measured on [assumption]")
    g.add_argument("--sfn-start-s", type=float, default=0.5, help="from StartExecution to the Map's first child, median [assumption]")
    g.add_argument("--map-launch-per-s", type=float, default=100, help="children the Distributed Map starts a second [assumption]")
    g.add_argument("--child-overhead-median", type=float, default=0.15, help="a child execution's start and Lambda invoke, s, median [assumption]")
    g.add_argument("--child-overhead-p95", type=float, default=0.5, help="... and its 95th percentile [assumption]")
    g.add_argument("--transitions-per-child", type=int, default=3, help="state transitions a child execution is billed [assumption: start, task, end]")
    g = ap.add_argument_group("designs")
    g.add_argument("--a-today", default="1024,512,8", help="design A as deployed: memory MB, /tmp MB, segments [infra/lib/functions.ts]")
    g.add_argument("--a-max", default="10240,10240,16", help="design A as large as one function gets: memory MB, /tmp MB, segments")
    g.add_argument("--a-threads", type=int, default=0, help="counting threads in design A: 0 = one per vCPU; 1 = one task polls every segment, as run.rs does today")
    g.add_argument("--b-segments", type=int, default=0, help="scan segments in design B [default: chosen per N, see b_segments()]")
    g.add_argument("--b-mapper-memory", type=int, default=1769, help="MB of each mapper (1,769 MB = one vCPU)")
    g.add_argument("--b-reduce-memory", type=int, default=1769, help="MB of the reduce")
    g.add_argument("--b-reduce-tmp", type=int, default=10240, help="/tmp MB of the reduce, for the zip")
    g.add_argument("--b-max-concurrency", type=int, default=256, help="the Map's MaxConcurrency (at most the account's 1,000)")
    g = ap.add_argument_group("fit")
    g.add_argument("--margin", type=float, default=0.2, help="share of the 15 minutes kept free: p95 of a function must stay under 720 s")
    g.add_argument("--mem-margin", type=float, default=0.2, help="share of memory kept free")
    g.add_argument("--tmp-margin", type=float, default=0.1, help="share of /tmp kept free")
    g.add_argument("--zip64", action=argparse.BooleanOptionalAction, default=True, help="respondents.csv is a ZIP64 entry (large_file(true)), so it may pass 4 GiB [default: yes, as write_bundle does since 6ef174c]; --no-zip64 models the code before 6ef174c, whose write fails once the entry passes 4 GiB")
    g = ap.add_argument_group("simulation")
    g.add_argument("--answers", default="1M,2M,5M,10M,20M,50M", help="the N to simulate")
    g.add_argument("--runs", type=int, default=40, help="simulated runs (nights) per N and design")
    g.add_argument("--search-runs", type=int, default=16, help="runs per step of the search for each design's time limit")
    g.add_argument("--resolution", type=int, default=1500, help="page steps per simulated run (pages are grouped above this)")
    g.add_argument("--seed", type=int, default=18)
    g.add_argument("--no-search", action="store_true", help="skip the search for each design's limits")
    g.add_argument("--json", metavar="OUT", help="also write every input and result as JSON")
    args = ap.parse_args(argv)

    survey = load_survey(ROOT, args.survey, args.seed)
    p = Params(
        count_rate=args.count_rate,
        row_bytes=args.row_bytes,
        published_row_bytes=survey.published_row_bytes,
        fixed_seconds=args.fixed_seconds,
        merge_seconds_per_partial=args.merge_seconds_per_partial,
        rows_mb_per_s=args.rows_mb_per_s,
        item_bytes=args.item_bytes,
        wire_factor=args.wire_factor,
        zip_ratio=args.zip_ratio,
        bundle_fixed_mb=args.bundle_fixed_mb,
        base_rss_mb=args.base_rss_mb,
        page_buffer_mb=args.page_buffer_mb,
        report_objects=args.report_objects,
        table_rru_per_s=args.table_rru_per_s,
        partitions=args.partitions,
        table_extra_gb=args.table_extra_gb,
        page_ms_median=args.page_ms_median,
        page_ms_p95=args.page_ms_p95,
        net_mb_per_s=args.net_mb_per_s,
        s3_mb_per_s=args.s3_mb_per_s,
        put_ms_median=args.put_ms_median,
        put_ms_p95=args.put_ms_p95,
        cold_start_median=args.cold_start_median,
        cold_start_p95=args.cold_start_p95,
        night_p95=args.night_p95,
        core_speed=args.core_speed,
        sfn_start_s=args.sfn_start_s,
        map_launch_per_s=args.map_launch_per_s,
        child_overhead_median=args.child_overhead_median,
        child_overhead_p95=args.child_overhead_p95,
        transitions_per_child=args.transitions_per_child,
        a_threads=args.a_threads,
        b_segments=args.b_segments,
        b_mapper_memory=args.b_mapper_memory,
        b_reduce_memory=args.b_reduce_memory,
        b_reduce_tmp=args.b_reduce_tmp,
        b_max_concurrency=min(args.b_max_concurrency, LIMITS["lambda_concurrency_default"]),
        margin=args.margin,
        mem_margin=args.mem_margin,
        tmp_margin=args.tmp_margin,
        zip64=args.zip64,
        resolution=args.resolution,
        survey=survey,
    )

    def design_a(label: str, text: str) -> DesignA:
        memory, tmp, segments = (int(x) for x in text.split(","))
        if memory > LIMITS["lambda_memory_max_mb"] or tmp > LIMITS["lambda_tmp_max_mb"]:
            raise SystemExit(f"{label}: Lambda allows at most 10,240 MB of memory and of /tmp")
        return DesignA(label, memory, tmp, segments)

    designs_a = [
        design_a(f"A today ({args.a_today.split(',')[0]} MB)", args.a_today),
        design_a(f"A max ({args.a_max.split(',')[0]} MB)", args.a_max),
    ]
    answers = parse_answers(args.answers)

    rows = []
    for n in answers:
        for d in designs_a:
            summary = summarise(simulate(p, d.label, n, args.runs, args.seed, d))
            problems = []
            if summary["longest_function_p95_s"] > time_budget(p):
                problems.append(f"time (p95 {summary['longest_function_p95_s']:,.0f} s > {time_budget(p):.0f} s)")
            rss = a_rss_mb(p, d)
            if rss > d.memory_mb * (1 - p.mem_margin):
                problems.append(f"memory ({rss:.0f} of {d.memory_mb} MB)")
            tmp = a_tmp_mb(p, n)
            if tmp > d.tmp_mb * (1 - p.tmp_margin):
                problems.append(f"/tmp ({tmp:,.0f} of {d.tmp_mb:,} MB)")
            rows.append({"answers": n, "design": d.label, "segments": d.segments, **summary, "rss_mb": rss, "tmp_mb": tmp, "problems": problems})
        summary = summarise(simulate(p, "B", n, args.runs, args.seed))
        problems = []
        if summary["longest_function_p95_s"] > time_budget(p):
            problems.append(f"a function's time (p95 {summary['longest_function_p95_s']:,.0f} s > {time_budget(p):.0f} s)")
        reduce_tmp = bundle_bytes(p, n) / MIB
        if reduce_tmp > p.b_reduce_tmp * (1 - p.tmp_margin):
            problems.append(f"reduce /tmp ({reduce_tmp:,.0f} of {p.b_reduce_tmp:,} MB)")
        rows.append({"answers": n, "design": "B Distributed Map", "segments": int(summary["extra"]["segments"]), **summary, "tmp_mb": reduce_tmp, "problems": problems})
    for row in rows:
        fmt = format_limits(p)
        row["format"] = [k for k, v in fmt.items() if row["answers"] > v]

    limits = {}
    if not args.no_search:
        for d in designs_a:
            found = {"time": time_limit(p, d.label, args.search_runs, args.seed, d)}
            found.update(a_static_limits(p, d))
            limits[d.label] = found
        found = {"time": time_limit(p, "B", args.search_runs, args.seed)}
        found["reduce /tmp"] = (p.b_reduce_tmp * (1 - p.tmp_margin) * MIB - p.bundle_fixed_mb * MIB) / (p.published_row_bytes * p.zip_ratio)
        limits["B Distributed Map"] = found

    print_report(p, args, rows, limits)
    if args.json:
        out = {
            "inputs": {k: v for k, v in vars(args).items()},
            "survey": {**survey.__dict__, "counters": survey.counters, "partial_bytes": survey.partial_bytes, "accumulator_bytes": survey.accumulator_bytes},
            "derived": {"row_bytes": p.row_bytes, "published_row_bytes": p.published_row_bytes, "time_budget_s": time_budget(p)},
            "prices": PRICES,
            "limits": LIMITS,
            "results": rows,
            "where_designs_stop": {k: {kk: (None if math.isinf(vv) else vv) for kk, vv in v.items()} for k, v in limits.items()},
            "format_limits": {k: (None if math.isinf(v) else v) for k, v in format_limits(p).items()},
        }
        Path(args.json).write_text(json.dumps(out, indent=2, default=str), encoding="utf-8")
    return 0


def print_report(p: Params, args: argparse.Namespace, rows: list[dict], limits: dict) -> None:
    s = p.survey
    print(f"## Simulated runs ({args.runs} nights each, seed {args.seed})\n")
    print(
        f"Survey `{s.name}` {s.version}: {s.units} units, {s.questions} questions, {s.options} options; "
        f"a row {s.counters_per_tally} counters, {s.rows:,} rows ({s.categories} a unit, {s.band_slots} bands), "
        f"{s.counters:,} counters in all (partial tally {s.partial_bytes / MIB:.1f} MiB as u64, "
        f"Accumulator about {s.accumulator_bytes / MIB:.0f} MiB in memory). "
        f"Scratch row {p.row_bytes:.0f} B, published row {p.published_row_bytes:.0f} B; "
        f"figures sheet {s.figures_rows:,} rows (XLSX holds {LIMITS['xlsx_rows']:,}).\n"
    )
    print("| answers | design | segments | median | p95 | cost / run | Lambda | DynamoDB | Step Functions | S3 | fits? |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        c = r["cost"]
        verdict = "yes" if not r["problems"] else "no: " + "; ".join(r["problems"])
        if r["format"]:
            verdict += " (and: " + "; ".join(r["format"]) + ")"
        print(
            f"| {millions(r['answers'])} | {r['design']} | {r['segments']} | {seconds(r['median_s'])} | {seconds(r['p95_s'])} "
            f"| ${r['cost_total']:.3f} | ${c['lambda']:.4f} | ${c['dynamodb']:.4f} | ${c['stepfunctions']:.4f} | ${c['s3']:.4f} | {verdict} |"
        )
    print(
        f"\nfits: the p95 of every Lambda invocation under {time_budget(p):.0f} s (15 min less {p.margin:.0%}), "
        f"peak memory under {1 - p.mem_margin:.0%} of the function's, /tmp under {1 - p.tmp_margin:.0%} of its size. "
        "Costs are medians; the Lambda cost includes requests and /tmp above 512 MB.\n"
    )
    print("### Where the scan's time goes (medians)\n")
    print("| answers | design | scan | waiting for DynamoDB capacity (sum over segments) | rows pass | longest function p95 |")
    print("|---:|---|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {millions(r['answers'])} | {r['design']} | {seconds(r['scan_median_s'])} | {seconds(r['dynamo_wait_median_s'])} "
            f"| {seconds(r['extra']['rows'])} | {seconds(r['longest_function_p95_s'])} |"
        )
    if limits:
        print(f"\n### Where each design stops ({args.search_runs} nights a step for time)\n")
        print("| design | " + " | ".join(["limit", "answers", "binds first"]) + " |")
        print("|---|---|---:|---|")
        for design, found in limits.items():
            first = min(found, key=found.get)
            for i, (name, n) in enumerate(sorted(found.items(), key=lambda kv: kv[1])):
                print(f"| {design if i == 0 else ''} | {name} | {millions(n)} | {'yes' if name == first else ''} |")
        print("\nFor every design (the bundle's format):\n")
        for name, n in format_limits(p).items():
            print(f"- {name}: {millions(n)} answers")
    print("\n### Inputs\n")
    print(
        f"count rate {p.count_rate:,.0f} answers/s per core; rows pass {p.rows_mb_per_s:g} MB/s; fixed part {p.fixed_seconds:g} s; "
        f"merge {p.merge_seconds_per_partial:g} s per partial; item {p.item_bytes:.0f} B; table serves {p.table_rru_per_s:,.0f} RRU/s; "
        f"page {p.page_ms_median:g} ms median, {p.page_ms_p95:g} ms p95; network {p.net_mb_per_s:g} MB/s per function; "
        f"S3 {p.s3_mb_per_s:g} MB/s; A threads {'one per vCPU' if not p.a_threads else p.a_threads}; "
        f"B mapper {p.b_mapper_memory} MB, reduce {p.b_reduce_memory} MB; {'ZIP64 (as today, 6ef174c)' if p.zip64 else 'no ZIP64 (before 6ef174c)'}."
    )


if __name__ == "__main__":
    sys.exit(main())

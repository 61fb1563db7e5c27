#!/usr/bin/env bash
# make bench: measures every figure side by side in one run and writes BENCHMARKS.md.
# Steps: handler CPU (criterion), cold starts under the local Runtime API, throughput
# through the local gateway, aggregation against pandas, the page (size, Lighthouse),
# function sizes (from the last arm64 build; `make bench-size` rebuilds them).
# Everything runs on 127.0.0.1; nothing is sent elsewhere.
# Knobs: COLD_RUNS (100; the medians of fewer runs moved by 0.1x between runs), LOAD_CONCURRENCY (32), LOAD_SECONDS (10), LOAD_RUNS (3), AGG_ANSWERS (1000000),
# SCAN_ANSWERS (200000),
# BENCH_BUILD=0 to measure the release binaries as they are (BENCHMARKS.md then says so).
set -euo pipefail
cd "$(dirname "$0")/../.."

COLD_RUNS=${COLD_RUNS:-100}
LOAD_CONCURRENCY=${LOAD_CONCURRENCY:-32}
LOAD_SECONDS=${LOAD_SECONDS:-10}
AGG_ANSWERS=${AGG_ANSWERS:-1000000}
# The counting and the whole run are timed this many times (Rust and polars taking
# turns), and the median is reported: on a shared machine one run can be 20% off.
AGG_RUNS=${AGG_RUNS:-3}
# Pairs of gateway runs (hello-world, then submissions); the pair of median ratio is shown.
LOAD_RUNS=${LOAD_RUNS:-3}
SCAN_ANSWERS=${SCAN_ANSWERS:-200000}
FUNCTIONS=(validate-code submit-response survey-info register results org-response admin aggregate send-mail)
# The code of the events in events/, valid (its check character matches).
BENCH_CODE=K7Q4-9MZP-3X4

out=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$out"
}
trap cleanup EXIT

started=$SECONDS
step() { printf '\n==> [%s] %s (%ds so far)\n' "$1" "$2" $((SECONDS - started)); }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # url
  for _ in $(seq 300); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; return 1
}
# A command's line, as BENCHMARKS.md shows it.
record() { printf '%s\n' "$2" >"$out/$1.command"; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
cat >"$out/machine.json" <<EOF
{"cores": $(nproc), "cpu": "$cpu", "memory_gib": $(awk '/MemTotal/ {printf "%.0f", $2/1048576}' /proc/meminfo),
 "date": "$(date -u +%Y-%m-%d)", "started": "$(date -u +%H:%M)", "load_at_start": "$(cut -d' ' -f1-3 /proc/loadavg)",
 "commit": "$(git rev-parse --short HEAD)"}
EOF

step 1/8 "Release builds (reused when nothing changed; the first takes many minutes on 2 cores)"
if [ "${BENCH_BUILD:-1}" = 1 ]; then
  packages=()
  for f in "${FUNCTIONS[@]}" survey-bench local-gateway; do packages+=(-p "$f"); done
  cargo build --release --bins "${packages[@]}"
  cargo build --release -p survey-results --example bench_answers --example count_tables --example aggregate_million
  cargo build --release -p survey-aws --example scan_rate
  echo fresh >"$out/build"
else
  echo "  BENCH_BUILD=0: measuring the release binaries in target/release as they are"
  built=()
  for f in "${FUNCTIONS[@]}" local-gateway coldstart loadgen hello-http hello-runtime examples/bench_answers examples/count_tables examples/aggregate_million examples/scan_rate; do
    built+=("$(stat -c %Y "target/release/$f")")
  done
  first=$(printf '%s\n' "${built[@]}" | sort -n | head -n1)
  last=$(printf '%s\n' "${built[@]}" | sort -n | tail -n1)
  echo "between $(date -u -d "@$first" '+%H:%M') and $(date -u -d "@$last" '+%H:%M')" | tee "$out/build"
fi

# Three runs: another tenant's burst can spoil one bench function's samples in
# one run; the run of median ratio is shown, with every run's ratio.
step 2/8 "Handler time in process, in-memory store (criterion, ${CRITERION_RUNS:=3} runs)"
record criterion 'cargo bench -p submit-response --bench handlers'
for run in $(seq "$CRITERION_RUNS"); do
  cargo bench -p submit-response --bench handlers -- --noplot >"$out/criterion-$run.log" 2>&1 \
    || { tail -n 30 "$out/criterion-$run.log"; exit 1; }
  grep -E -A1 '^handler/' "$out/criterion-$run.log"
  for name in hello_world hello_world_submit_event validate_code submit_response; do
    cp "target/criterion/handler/$name/new/estimates.json" "$out/criterion-$name-$run.json"
  done
done

record store-calls 'BENCH_STORE_CALLS=store-calls.json cargo test -p submit-response a_submission_reads_its_code_once_and_writes_once'
BENCH_STORE_CALLS="$out/store-calls.json" cargo test -q -p submit-response a_submission_reads_its_code_once_and_writes_once \
  >"$out/store-calls.log" 2>&1 || { tail -n 30 "$out/store-calls.log"; exit 1; }

step 3/8 "Cold starts: ${#FUNCTIONS[@]} functions and 2 hello-worlds, $COLD_RUNS fresh processes each, first invocation against moto"
moto_port=$(free_port)
.venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"$out/moto.log" 2>&1 &
pids+=($!)
export AWS_REGION=eu-north-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
export HASH_KEY=bench-hash-key-not-a-secret
wait_for "http://127.0.0.1:$moto_port/moto-api/"
AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" target/debug/survey-admin setup --seed-local >/dev/null
code=$(AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" target/debug/survey-admin registration add \
  --survey local --unit 4601 --contact "Kari Nordmann <kari.nordmann@bergen.kommune.no>")
record cold "target/release/coldstart --runs $COLD_RUNS"
BENCH_MOTO_URL="http://127.0.0.1:$moto_port" BENCH_ACCESS_CODE="$code" \
  target/release/coldstart --runs "$COLD_RUNS" --out "$out/cold.json"
kill "${pids[-1]}"; unset 'pids[-1]'

step 4/8 "Throughput through the local gateway, in-memory store: $LOAD_RUNS pairs of runs, $LOAD_CONCURRENCY connections, ${LOAD_SECONDS}s each"
closed_port=$(free_port) # nothing listens here: the gateway's AWS clients cannot reach anything
record load "target/release/loadgen --path /api/responses --concurrency $LOAD_CONCURRENCY --warmup 2 --seconds $LOAD_SECONDS (gateway: STORE=memory BENCH_HELLO=1 target/release/local-gateway)"
# Pairs taken in turn, as for the handler: one pair on a shared machine can be
# 10% off either way, and the target sits within that. Each pair has a gateway
# of its own, started empty: the in-memory double keeps every answer (some
# 6 KB each, over a million in three pairs), and a later pair on the same
# gateway would measure the earlier pairs' answers, which a DynamoDB table
# does not make a function pay for.
for run in $(seq "$LOAD_RUNS"); do
  gateway_port=$(free_port)
  STORE=memory BENCH_HELLO=1 ACCESS_CODE=$BENCH_CODE PORT=$gateway_port AWS_ENDPOINT_URL="http://127.0.0.1:$closed_port" \
    target/release/local-gateway >>"$out/gateway.log" 2>&1 &
  pids+=($!)
  wait_for "http://127.0.0.1:$gateway_port/api/health"
  for route in "hello /api/bench/hello 200" "submit /api/responses 201"; do
    read -r name path status <<<"$route"
    target/release/loadgen --addr "127.0.0.1:$gateway_port" --path "$path" --expect "$status" --code "$BENCH_CODE" \
      --concurrency "$LOAD_CONCURRENCY" --warmup 2 --seconds "$LOAD_SECONDS" --out "$out/load-$name-$run.json"
  done
  kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'
done

step 5/8 "Aggregation of $AGG_ANSWERS answers from files: counting beside polars and pandas, then the whole run"
data="$out/answers"
target/release/examples/bench_answers "$AGG_ANSWERS" "$data"
record count "target/release/examples/count_tables answers.{csv,jsonl}; tests/bench/aggregate_polars.py and aggregate_pandas.py --layout layout.json --input answers.{csv,jsonl}; tests/bench/compare_tables.py (files from target/release/examples/bench_answers $AGG_ANSWERS DIR)"
for input in csv jsonl; do
  for run in $(seq "$AGG_RUNS"); do
    # The first run's tables are compared; the others' are not kept.
    if [ "$run" = 1 ]; then tables="$out"; else tables="$out/more"; mkdir -p "$tables"; fi
    target/release/examples/count_tables "$data/answers.$input" \
      --tables "$tables/tables-rust-$input.json" --result "$out/count-rust-$input-$run.json"
    .venv/bin/python tests/bench/aggregate_polars.py --layout "$data/layout.json" --input "$data/answers.$input" \
      --tables "$tables/tables-polars-$input.json" --result "$out/count-polars-$input-$run.json"
  done
  rm -rf "$out/more"
  .venv/bin/python tests/bench/compare_tables.py "$out/tables-rust-$input.json" "$out/tables-polars-$input.json" \
    --out "$out/agree-polars-$input.json"
done
.venv/bin/python tests/bench/aggregate_pandas.py --layout "$data/layout.json" --input "$data/answers.csv" \
  --tables "$out/tables-pandas-csv.json" --result "$out/count-pandas-csv.json"
.venv/bin/python tests/bench/compare_tables.py "$out/tables-rust-csv.json" "$out/tables-pandas-csv.json" \
  --out "$out/agree-pandas-csv.json"
.venv/bin/python tests/bench/compare_tables.py "$out/tables-rust-csv.json" "$out/tables-rust-jsonl.json" \
  --out "$out/agree-rust-csv-jsonl.json"
rm -f "$out"/tables-*.json
record agg "target/release/examples/aggregate_million answers.jsonl --national national.json"
for run in $(seq "$AGG_RUNS"); do
  target/release/examples/aggregate_million "$data/answers.jsonl" --national "$out/national.json" \
    | tee "$out/agg-rust-$run.txt"
done
rm -rf "$data"
# How fast the run reads answers from DynamoDB's Scan pages, canned on
# loopback: the scale model's count rate (docs/scaling.md).
record scan-rate "target/release/examples/scan_rate $SCAN_ANSWERS"
for run in $(seq "$AGG_RUNS"); do
  target/release/examples/scan_rate "$SCAN_ANSWERS" | tee "$out/scan-rate-$run.json"
done

step 6/8 "The survey page: first load and each extra language, Lighthouse mobile"
record page 'tests/with-local-stack.sh node tests/bench/page.mjs page.json'
ANSWERS_AT_LEAST=0 bash tests/with-local-stack.sh node tests/bench/page.mjs "$out/page.json"

step 7/8 "Function sizes, zipped, from the last arm64 build (target/lambda)"
record size 'make bench-size (cargo lambda build --release --arm64, then each bootstrap zipped at level 9)'
python3 tests/bench/sizes.py "${FUNCTIONS[@]}" >"$out/sizes.json"

step 8/8 "Results links: a contact's request against a stranger's, before the mail queue (b582139) and now"
before=target/before-queue
if [ ! -x "$before/debug/local-gateway" ]; then
  tree=$(mktemp -d)
  git worktree add -q --detach "$tree" b582139
  CARGO_TARGET_DIR="$PWD/$before" cargo build --bins -p local-gateway -p survey-admin --manifest-path "$tree/Cargo.toml"
  git worktree remove --force "$tree"
fi
record timing "python3 tests/bench/access_timing.py --before-gateway $before/debug/local-gateway --before-admin $before/debug/survey-admin --pairs 40"
python3 tests/bench/access_timing.py --before-gateway "$before/debug/local-gateway" \
  --before-admin "$before/debug/survey-admin" --pairs 40 --json "$out/timing.json"

echo "$((SECONDS - started))" >"$out/seconds"
python3 tests/bench/render.py "$out" BENCHMARKS.md
printf '\n==> BENCHMARKS.md written (%ds)\n' $((SECONDS - started))

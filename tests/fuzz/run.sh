#!/usr/bin/env bash
# Usage: bash tests/fuzz/run.sh [SECONDS]   (make fuzz; default 60 s)
# Builds the libFuzzer target with cargo-fuzz (its nightly flags accepted by the
# stable toolchain through RUSTC_BOOTSTRAP=1), seeds the corpus from the bodies
# in events/, fuzzes for SECONDS and prints how many inputs ran. A crash (panic,
# 5xx, something stored) stops it with the input saved under target/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds=${1:-60}

if ! command -v cargo-fuzz >/dev/null; then
  echo "==> Installing cargo-fuzz from crates.io (once)"
  cargo install cargo-fuzz --version 0.13.2 --locked
fi

corpus=target/fuzz/corpus/requests
mkdir -p "$corpus"
# One seed per route's fixture, declared as JSON (selector bit 3) and undeclared.
python3 - "$corpus" <<'PY'
import json, pathlib, sys
corpus = pathlib.Path(sys.argv[1])
routes = ["validate-code", "submit-response", "register", "results-access"]
for i, name in enumerate(routes):
    body = json.loads(json.load(open(f"events/{name}.json"))["body"])
    raw = json.dumps(body, ensure_ascii=False).encode()
    for flags in (0b1000, 0b0000):
        (corpus / f"{name}-{flags}").write_bytes(bytes([i | flags]) + raw)
PY

export RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/fuzz
cargo fuzz build --fuzz-dir tests/fuzz requests
log=target/fuzz/requests.log
cargo fuzz run --fuzz-dir tests/fuzz requests "$corpus" -- \
  -max_total_time="$seconds" -max_len=70000 -timeout=10 -print_final_stats=1 2>&1 | tee "$log" | grep -E "^#[0-9]+ *(INITED|DONE)|Done [0-9]+ runs|ERROR|panicked" || true
runs=$(grep -oE "Done [0-9]+ runs in [0-9]+ second" "$log" | tail -n1)
if [ -z "$runs" ]; then
  echo "fuzzing stopped early: see $log" >&2
  exit 1
fi
echo "fuzz: $runs(s), no crash ($(nproc) cores, $(date -u +%Y-%m-%d))"

#!/usr/bin/env bash
# Runs the Rust test binaries again with the clock set just before the instants
# where a date changes: midnight in Norway in winter and in summer, midnight
# UTC, the autumn switch from summer time (in the survey's season) and New
# Year. A test that reads the clock and then assumes "the same day" (a reminder
# round, a day's count) fails here instead of on the night CI happens to run at
# 23:57.
#
# libfaketime starts each binary's clock 3 s before the edge and runs it five
# times as fast, so every binary crosses the edge while its tests run; the moto
# servers the store tests start run on the same clock. One test is left out:
# moto's SQS never hands the mail queue's messages back under libfaketime, and
# that test is about receive counts and the dead-letter queue, not dates.
set -euo pipefail
cd "$(dirname "$0")/.."
export SURVEY_DEFINITIONS="$PWD/tests/definitions"

if ! command -v faketime >/dev/null; then
  echo "==> Installing Debian's faketime (once)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null
fi

binaries=$(cargo test --workspace --no-run --message-format=json 2>/dev/null | python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["profile"]["test"]:
        print(m["executable"], m["manifest_path"])
')
[ -n "$binaries" ] || { echo "cargo listed no test binaries"; exit 1; }

edges=(
  "2026-12-07 22:59:57"  # midnight in Norway, winter (UTC+1)
  "2026-07-01 21:59:57"  # midnight in Norway, summer (UTC+2)
  "2026-12-07 23:59:57"  # midnight UTC
  "2026-10-25 00:59:57"  # summer time ends
  "2026-12-31 22:59:57"  # New Year in Norway
)
failed=0
for edge in "${edges[@]}"; do
  while read -r exe manifest; do
    if ! out=$(cd "$(dirname "$manifest")" && faketime -f "@$edge x5" "$exe" -q --skip mail_jobs_go_through_the_queue 2>&1); then
      failed=1
      echo "FAILED at $edge UTC: $exe"
      echo "$out" | grep -E "panicked|left:|right:|^    [a-z_:]+$" | head -40
    fi
  done <<<"$binaries"
  echo "  $edge UTC: done"
done
exit $failed

#!/usr/bin/env bash
# Usage: tests/with-local-stack.sh COMMAND [ARG...]
# Starts a private local stack (moto and the local gateway on free loopback ports,
# the wave `local` seeded, Bergen registered, audio clips in nb and ar), runs
# COMMAND against it with BASE_URL, ACCESS_CODE, SURVEY_ADMIN, AUDIO_LANGS and
# the AWS variables set, and stops everything again, whatever the outcome.
set -euo pipefail
cd "$(dirname "$0")/.."

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # url
  for _ in $(seq 300); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done
  echo "timed out waiting for $1" >&2; return 1
}

logs=$(mktemp -d)
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ "$status" -ne 0 ]; then
    echo "--- gateway log ---"; tail -n 50 "$logs/gateway.log" || true
  fi
  rm -rf "$logs"
}
trap cleanup EXIT

moto_port=$(free_port)
# moto checks TOTP codes (against one fixed secret for every user) only when asked to.
MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true .venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"$logs/moto.log" 2>&1 &
pids+=($!)
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_REGION=eu-north-1 AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test
wait_for "$AWS_ENDPOINT_URL/moto-api/"

# The stack also knows the surveys that exist only as test data.
export SURVEY_DEFINITIONS="$PWD/tests/definitions"
export SURVEY_ADMIN="$PWD/target/debug/survey-admin"
"$SURVEY_ADMIN" setup --seed-local >/dev/null
# The console's user pool in moto: the gateway checks /api/admin/* tokens against it.
while IFS= read -r line; do export "${line?}"; done < <("$SURVEY_ADMIN" operator env)
ACCESS_CODE=$("$SURVEY_ADMIN" registration add --survey local --unit 4601 --contact "Test Kontakt <test@example.org>")
export ACCESS_CODE

# Audio clips for a few languages (AUDIO_LANGS, "nb ar" by default), from the
# cache in .local/audio-cache, where espeak-ng and lame are installed (make
# audio-tools); then the manifest completeness check for them.
if command -v espeak-ng >/dev/null && command -v lame >/dev/null; then
  export AUDIO_LANGS=${AUDIO_LANGS-nb ar}
  read -ra audio_langs <<<"$AUDIO_LANGS"
  if [ "${#audio_langs[@]}" -gt 0 ]; then
    lang_args=()
    for l in "${audio_langs[@]}"; do lang_args+=(--lang "$l"); done
    "$SURVEY_ADMIN" audio generate --survey local --cache .local/audio-cache "${lang_args[@]}" >/dev/null 2>"$logs/audio.log" \
      || { cat "$logs/audio.log" >&2; exit 1; }
    "$SURVEY_ADMIN" audio check --survey local --complete "${lang_args[@]}" >/dev/null
  fi
fi

gateway_port=$(free_port)
SITE_URL="http://127.0.0.1:$gateway_port" PORT=$gateway_port target/debug/local-gateway >"$logs/gateway.log" 2>&1 &
pids+=($!)
export BASE_URL="http://127.0.0.1:$gateway_port"
wait_for "$BASE_URL/api/health"

"$@"

# Privacy, over everything the run did: no code, address, token, submission id
# or answer in any log line, and only the allowed attributes in every answer item.
# The table must hold at least ANSWERS_AT_LEAST items (1 unless the run says it
# stores none), so that the check has something to check.
python3 tests/privacy/scan_logs.py "$logs/gateway.log"
.venv/bin/python tests/privacy/answers_table.py --at-least "${ANSWERS_AT_LEAST:-1}"

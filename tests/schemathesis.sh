#!/usr/bin/env bash
# Usage: tests/with-local-stack.sh bash tests/schemathesis.sh
# schemathesis against the local stack from docs/openapi.json: generated valid
# and invalid requests to every operation, with the seeded code as a header-free
# example where it helps. Fails on any server error or any response that breaks
# the document (status, content type, headers, body schema). Bounded: at most
# ST_MAX_EXAMPLES cases per operation (default 30) and ST_MAX_TIME seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${BASE_URL:?run me through tests/with-local-stack.sh}"

.venv/bin/schemathesis run docs/openapi.json \
  --url "$BASE_URL" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "${ST_MAX_EXAMPLES:-30}" \
  --max-time "${ST_MAX_TIME:-120}" \
  --request-timeout 10 \
  --seed "${ST_SEED:-20261122}" \
  --generation-database none \
  --workers 2 \
  --no-color

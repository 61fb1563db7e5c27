# The two commands: `make dev` runs the local stack, `make test` runs every test suite.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8080
MOTO_PORT ?= 4566
VENV := .venv
MOTO := $(VENV)/bin/moto_server
BROWSER_DIR := tests/browser
CHROMIUM := /usr/bin/chromium
INFRA_DIR := infra
STAGE ?= dev
CDK_ARGS ?=
CARGO_LAMBDA := $(VENV)/bin/cargo-lambda

# The local stack's AWS environment: moto on loopback with dummy credentials.
LOCAL_AWS := AWS_ENDPOINT_URL=http://127.0.0.1:$(MOTO_PORT) AWS_REGION=eu-north-1 \
	AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test

.PHONY: help dev test test-rust test-clock test-infra test-browser test-api-schema fuzz build lint bench bench-size bench-deps soak synth deploy venv node infra-node chromium audio-tools cargo-lambda fonts

help:
	@echo "make dev    run the local stack on http://127.0.0.1:$(PORT) (Ctrl-C stops it)"
	@echo "make test   run every test suite (Rust, against moto, and the browser)"
	@echo "make lint   rustfmt and clippy, warnings as errors"
	@echo "make fuzz   libFuzzer on request parsing and answer validation (FUZZ_SECONDS=60)"
	@echo "make bench  every figure in BENCHMARKS.md, measured side by side and written there (about 10 minutes)"
	@echo "make fonts  regenerate the subsetted web fonts in static-site/fonts/"

$(MOTO): tests/requirements.txt
	@echo "==> Installing moto into $(VENV) (about a minute, once)"
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	touch $(MOTO)

venv: $(MOTO)

$(BROWSER_DIR)/node_modules/.package-lock.json: $(BROWSER_DIR)/package.json $(BROWSER_DIR)/package-lock.json
	@echo "==> Installing the browser test's npm packages"
	cd $(BROWSER_DIR) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

node: $(BROWSER_DIR)/node_modules/.package-lock.json

$(INFRA_DIR)/node_modules/.package-lock.json: $(INFRA_DIR)/package.json $(INFRA_DIR)/package-lock.json
	@echo "==> Installing the CDK app's npm packages"
	cd $(INFRA_DIR) && npm ci --no-audit --no-fund

infra-node: $(INFRA_DIR)/node_modules/.package-lock.json

$(CARGO_LAMBDA): | $(MOTO)
	@echo "==> Installing cargo-lambda and zig into $(VENV) (once)"
	$(VENV)/bin/pip install --quiet --disable-pip-version-check cargo-lambda==1.9.2 ziglang==0.17.1
	rustup target add aarch64-unknown-linux-gnu

cargo-lambda: $(CARGO_LAMBDA)

chromium:
	@if [ ! -x $(CHROMIUM) ]; then \
		echo "==> Installing Debian's chromium (about a minute, once)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

# Synthetic audio clips (survey-admin audio generate): espeak-ng speaks, lame encodes MP3.
# AUDIO=0 skips both the install and the clips in `make dev`.
AUDIO ?= 1
audio-tools:
	@if [ "$(AUDIO)" != 0 ] && ! { command -v espeak-ng && command -v lame; } >/dev/null; then \
		echo "==> Installing Debian's espeak-ng and lame (audio clips, once)"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq espeak-ng lame >/dev/null; \
	fi

build:
	@echo "==> Building the functions, the local gateway and survey-admin"
	cargo build --workspace --bins

dev: venv audio-tools build
	@mkdir -p .local
	@trap 'echo; echo "==> Stopping"; kill $$(jobs -p) 2>/dev/null; wait' EXIT INT TERM; \
	echo "==> Starting moto on 127.0.0.1:$(MOTO_PORT)"; \
	MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP=true $(MOTO) -H 127.0.0.1 -p $(MOTO_PORT) > .local/moto.log 2>&1 & \
	for i in $$(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$(MOTO_PORT)) 2>/dev/null && break; sleep 0.1; done; \
	echo "==> Creating tables and buckets, seeding the wave 'local'"; \
	$(LOCAL_AWS) target/debug/survey-admin setup --seed-local; \
	code=$$($(LOCAL_AWS) target/debug/survey-admin registration add --survey local --unit 4601 \
		--contact "Lokal utvikler <utvikler@example.org>"); \
	if [ "$(AUDIO)" != 0 ]; then \
		echo "==> Audio clips for the wave 'local' with espeak-ng (about a minute the first time, then cached; AUDIO=0 skips)"; \
		$(LOCAL_AWS) target/debug/survey-admin audio generate --survey local --cache .local/audio-cache >/dev/null; \
	fi; \
	PORT=$(PORT) SITE_URL=http://127.0.0.1:$(PORT) $(LOCAL_AWS) target/debug/local-gateway & \
	for i in $$(seq 100); do curl -fs http://127.0.0.1:$(PORT)/api/health >/dev/null && break; sleep 0.1; done; \
	echo; \
	echo "  Survey:        http://127.0.0.1:$(PORT)/"; \
	echo "  With a code:   http://127.0.0.1:$(PORT)/?code=$$code   (Bergen, wave 'local')"; \
	echo "  Demo:          http://127.0.0.1:$(PORT)/?demo=1"; \
	echo "  Registration:  http://127.0.0.1:$(PORT)/registrer/"; \
	echo "  Results:       http://127.0.0.1:$(PORT)/resultater/  (link by e-mail after: survey-admin aggregate --survey local)"; \
	echo "  Health:        http://127.0.0.1:$(PORT)/api/health"; \
	echo "  Local AWS:     http://127.0.0.1:$(MOTO_PORT)  (sent e-mails: http://127.0.0.1:$(MOTO_PORT)/moto-api/data.json)"; \
	echo "  Admin:         $(LOCAL_AWS) cargo run -q --bin survey-admin -- survey show --survey local"; \
	echo; echo "Ctrl-C stops everything."; \
	wait

test: test-rust test-clock test-infra test-browser test-api-schema

test-rust: venv
	@echo "==> Rust tests (domain, handlers on events/, stores on the in-memory store and on moto)"
	cargo test --workspace

test-clock: venv
	@echo "==> Rust tests again with the clock just before midnight in Norway, midnight UTC, the autumn switch and New Year"
	bash tests/clock-edges.sh

test-infra: infra-node
	@echo "==> Infra: type-check and CDK assertions, cdk-nag (no Rust build, no AWS)"
	cd $(INFRA_DIR) && npm run -s typecheck && npm test

synth: infra-node cargo-lambda
	@echo "==> Synthesising the stacks; the Lambdas are built for arm64 (several minutes the first time)"
	cd $(INFRA_DIR) && npm run -s synth -- -c stage=$(STAGE) $(CDK_ARGS)

deploy: infra-node cargo-lambda
	cd $(INFRA_DIR) && npm run -s deploy -- -c stage=$(STAGE) $(CDK_ARGS)

test-browser: venv node chromium audio-tools build
	@echo "==> API contract and browser tests against the local stack"
	bash tests/with-local-stack.sh node --test --test-concurrency=1 tests/api/*.test.mjs tests/browser/*.test.mjs

test-api-schema: venv build
	@echo "==> schemathesis from docs/openapi.json against the local stack (bounded: 30 cases per operation, 60 s)"
	ST_MAX_TIME=60 ANSWERS_AT_LEAST=0 bash tests/with-local-stack.sh bash tests/schemathesis.sh

# libFuzzer on request parsing and answer validation (tests/fuzz, outside the workspace).
FUZZ_SECONDS ?= 60
fuzz:
	bash tests/fuzz/run.sh $(FUZZ_SECONDS)

# The web fonts for scripts that devices may lack (static-site/fonts/): subsets of
# Debian's Noto fonts to exactly the characters of each language's texts. Run
# after changing any text in ti, am, my, th, ps or ur, or a language's native name.
fonts: venv
	$(VENV)/bin/pip install --quiet --disable-pip-version-check fonttools==4.68.0 brotli==1.2.1
	$(VENV)/bin/python shared/fonts/subset-fonts.py

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

BENCH_DIR := tests/bench

$(BENCH_DIR)/node_modules/.package-lock.json: $(BENCH_DIR)/package.json $(BENCH_DIR)/package-lock.json
	@echo "==> Installing Lighthouse for the bench"
	cd $(BENCH_DIR) && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund

$(VENV)/.bench-requirements: $(BENCH_DIR)/requirements.txt | $(MOTO)
	@echo "==> Installing polars and pandas into $(VENV) for the aggregation comparison"
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r $(BENCH_DIR)/requirements.txt
	touch $@

bench-deps: venv chromium $(BENCH_DIR)/node_modules/.package-lock.json $(VENV)/.bench-requirements

bench: bench-deps build
	bash $(BENCH_DIR)/run.sh

# The arm64 cross build takes some 15 minutes on 2 cores, so it is not part of `make bench`.
bench-size: cargo-lambda
	PATH=$(CURDIR)/$(VENV)/bin:$$PATH $(CARGO_LAMBDA) lambda build --release --arm64 \
		$(foreach f,validate-code submit-response survey-info register results org-response admin aggregate send-mail,--bin $(f))
	python3 $(BENCH_DIR)/sizes.py validate-code submit-response survey-info register results org-response admin aggregate send-mail

soak: venv node build
	@echo "==> The classroom storm at full size: 20,000 submissions from 200 clients, each sent twice"
	STORM_N=20000 STORM_M=200 bash tests/with-local-stack.sh node --test tests/api/storm.test.mjs
	@echo "==> Hostile input: 10,000 cases per property, and schemathesis for 10 minutes"
	PROPTEST_CASES=10000 cargo test --release -p handler-tests --test hostile
	ST_MAX_EXAMPLES=500 ST_MAX_TIME=600 ANSWERS_AT_LEAST=0 bash tests/with-local-stack.sh bash tests/schemathesis.sh

# PyAirtable — every set-up step lives here, so a fresh machine needs only `make dev` / `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
# One build cache outside the clone: warm CI runs and every checkout reuse it.
export CARGO_TARGET_DIR ?= /var/tmp/pyairtable-target
export CARGO_TERM_COLOR ?= never

.PHONY: fuzz help dev test bench contract openapi deps toolchain fmt fmt-check clippy unit cfn-lint asl-lint it build-tests emulator package clean web web-check e2e chromium

help:
	@echo "make dev    - run the whole platform locally (AWS emulator + sandbox Airtable + API on :3000)"
	@echo "make test   - fmt check, clippy, unit tests, cfn-lint, black-box tests against the local stack"
	@echo "make bench  - release build; one table: import vs pyairtable/airtable.js, cached reads, CPU and round trips per request, cold starts, memory, sizes (docs/benchmarks.md)"
	@echo "make contract - schemathesis against the API and its OpenAPI document, EXAMPLES (100) cases per operation"
	@echo "make openapi - regenerate docs/openapi.json from the code"
	@echo "make package - the web app (web/dist) and sam build: one arm64 bootstrap per function in .aws-sam/build"
	@echo "make e2e    - the browser suite (Playwright in Debian's Chromium) against a local stack of its own"
	@echo "make fuzz   - cargo-fuzz on every extractor and parser, FUZZ_SECONDS (60) each"
	@echo "make fmt    - format the code"

# ---------- set-up (idempotent) ----------
$(VENV)/.installed: requirements-dev.txt
	@python3 -c 'import venv, ensurepip' 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv; }
	@command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl; }
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	@touch $@

toolchain:
	@command -v cargo >/dev/null || { echo "cargo is required (https://rustup.rs)"; exit 1; }
	@cargo fmt --version >/dev/null 2>&1 || rustup component add rustfmt
	@cargo clippy --version >/dev/null 2>&1 || rustup component add clippy

tests/compat/node_modules/.installed: tests/compat/package.json tests/compat/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	cd tests/compat && npm ci --no-audit --no-fund --silent
	@touch $@

deps: toolchain $(VENV)/.installed tests/compat/node_modules/.installed

# ---------- web app (web/: React + TypeScript + Vite) ----------
web/node_modules/.installed: web/package.json web/package-lock.json
	@command -v npm >/dev/null || { apt-get update -qq && apt-get install -y -qq nodejs npm; }
	cd web && npm ci --no-audit --no-fund --silent
	@touch $@

# Rebuilt when anything it is built from changed (the API types come from docs/openapi.json).
WEB_SOURCES := $(shell find web/src web/public -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json docs/openapi.json
web/dist/index.html: web/node_modules/.installed $(WEB_SOURCES)
	cd web && npm run --silent build
	@touch $@

web: web/dist/index.html

# Strict type check, unit tests (Vitest) and the size budget of the sign-in page's JavaScript.
web-check: web
	cd web && npm run --silent typecheck && npm run --silent test:unit && npm run --silent size

# Debian's Chromium for the browser suite (Playwright never downloads a browser here).
chromium:
	@command -v chromium >/dev/null || { apt-get update -qq && apt-get install -y -qq chromium; }

# The browser suite: Playwright in Debian's Chromium against a local stack of its own.
e2e: build-tests web chromium
	$(CARGO_TARGET_DIR)/debug/e2e

# ---------- run ----------
dev: deps web
	@infra/local/dev.sh

emulator: deps
	$(VENV)/bin/python infra/local/emulator.py -H 127.0.0.1 -p $${MOTO_PORT:-4566}

# ---------- checks ----------
fmt:
	cargo fmt --all

fmt-check: toolchain
	cargo fmt --all -- --check

clippy: toolchain
	cargo clippy --workspace --all-targets --locked -- -D warnings

unit: toolchain
	cargo test --workspace --exclude tests --locked

cfn-lint: deps
	$(VENV)/bin/cfn-lint infra/template.yaml

# Every state machine passes the Amazon States Language validator (npm asl-validator, pinned).
asl-lint: deps
	@for f in statemachines/*.asl.json; do tests/compat/node_modules/.bin/asl-validator --json-path $$f || exit 1; done

# Every function crate: each builds one Lambda `bootstrap` per binary.
FUNCTIONS := $(notdir $(wildcard functions/*))

# Every test target, every function's `bootstrap` and the browser runner in ONE cargo build over
# the whole workspace: one set of features, so each dependency compiles once (built per package,
# the unit tests, the functions and the suite each resolved different features and compiled the
# dependencies three times: a clean clone's `make test` took 38 minutes to the end of the suite).
build-tests: deps
	cargo build --workspace --all-targets --locked

# The black-box suite starts its own emulator (from .venv) and local stack on free ports. It also
# runs every function's own binary under a Lambda Runtime API (built by build-tests).
it: build-tests
	cargo test --workspace --locked --test '*' -- --test-threads=4

test: fmt-check clippy cfn-lint asl-lint web-check build-tests
	cargo test --workspace --locked -- --test-threads=4
	$(MAKE) --no-print-directory e2e
	@echo "make test: all checks passed"

# The API against its OpenAPI document with schemathesis, longer than `make test` runs it
# (EXAMPLES cases per operation and phase; `make test` runs tests/contract/schemathesis.toml's 12).
contract: deps
	CONTRACT_EXAMPLES=$(or $(EXAMPLES),100) CONTRACT_SEED=$(SEED) cargo test -p tests --locked contract -- --nocapture

# docs/openapi.json is generated from the code; a unit test fails when it is stale.
openapi: toolchain
	UPDATE_OPENAPI=1 cargo test -p local --locked openapi

# ---------- fuzzing (not part of `make test`: it runs for as long as it is given) ----------
# cargo-fuzz (libFuzzer) on every extractor, the parser-child wire, the workflow template and
# definition parsers, the filter-formula parser and our formula escaping. Each target runs
# FUZZ_SECONDS from a seed corpus generated by code (the crafted files included); a crash stops
# here with its input under fuzz/artifacts/<target>/ — it then becomes a regression test.
# A stack overflow kills a target before libFuzzer can save the input, so each target also
# writes the input it is on to FUZZ_LAST_INPUT, kept as crash-last-input when a run dies.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := extract_csv extract_tsv extract_json extract_xlsx extract_docx extract_pdf extract_txt wire template definition filter_formula formula_escaping
CARGO_FUZZ := .tools/bin/cargo-fuzz
$(CARGO_FUZZ):
	cargo install cargo-fuzz --version 0.13.2 --locked --root .tools
fuzz: toolchain $(CARGO_FUZZ)
	@# The seeds come from an ordinary debug build (it shares the main build cache).
	cd fuzz && cargo run --quiet --bin seeds -- seeds
	@mkdir -p fuzz/logs; for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t; \
	  if (cd fuzz && FUZZ_LAST_INPUT=logs/$$t.last RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=/var/tmp/pyairtable-fuzz-target ../$(CARGO_FUZZ) run --sanitizer none $$t corpus/$$t seeds/$$t -- \
	      -max_total_time=$(FUZZ_SECONDS) -rss_limit_mb=2048 -timeout=20 -max_len=1048576 -print_final_stats=1) > fuzz/logs/$$t.log 2>&1; then \
	    echo "$$t: $$(grep -E '^Done [0-9]+ runs' fuzz/logs/$$t.log | tail -1), corpus $$(ls fuzz/corpus/$$t | wc -l) inputs, peak $$(grep -oE 'stat::peak_rss_mb: +[0-9]+' fuzz/logs/$$t.log | grep -oE '[0-9]+$$') MB"; \
	  else \
	    mkdir -p fuzz/artifacts/$$t; [ -f fuzz/logs/$$t.last ] && cp fuzz/logs/$$t.last fuzz/artifacts/$$t/crash-last-input; \
	    echo "$$t: CRASH — see fuzz/logs/$$t.log and fuzz/artifacts/$$t/"; tail -40 fuzz/logs/$$t.log; exit 1; \
	  fi; \
	done
	@echo "make fuzz: no crash in $(words $(FUZZ_TARGETS)) targets x $(FUZZ_SECONDS) s"

# A benchmark, not a test: prints figures, asserts nothing. The table (import, cached reads, cost
# per request, cold starts, memory, sizes) comes from a release build of the stack and of every
# function, and is written to docs/benchmarks.md.
bench: deps web chromium
	cargo build --release --locked --bins $(addprefix -p ,$(FUNCTIONS))
	cargo build --release --locked -p tests --bin bench --bin e2e
	$(CARGO_TARGET_DIR)/release/bench
	@# Peak memory of parsing large legal files (CSV of tiny cells, a JSON array, a wide workbook).
	cargo run --quiet --locked -p tests --bin bench-files
	@# The web app: first rows of a 10,000-record table, in Debian's Chromium against a fresh stack.
	$(CARGO_TARGET_DIR)/release/e2e --config=bench/playwright.config.ts

# ---------- package (sam build) ----------
# SAM CLI and cargo-lambda (with Zig, which links for arm64) from PyPI in their own venv; the
# arm64 standard library from rustup. Builds in release (size-optimised, fat LTO) for provided.al2023/arm64.
SAM_VENV := .venv-sam
$(SAM_VENV)/.installed: requirements-package.txt
	@python3 -c 'import venv, ensurepip' 2>/dev/null || { apt-get update -qq && apt-get install -y -qq python3-venv; }
	python3 -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install -q --upgrade pip
	$(SAM_VENV)/bin/pip install -q -r requirements-package.txt
	@touch $@

# Its own build cache: release arm64 artifacts share nothing with the dev build, and a separate
# directory keeps `make test` from waiting on its lock.
package: export CARGO_TARGET_DIR := $(or $(PACKAGE_TARGET_DIR),/var/tmp/pyairtable-package-target)
package: toolchain $(SAM_VENV)/.installed web
	@rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build
	@n=$$(find .aws-sam/build -name bootstrap -type f | wc -l); echo "make package: $$n bootstrap files"; \
	  find .aws-sam/build -name bootstrap -type f -exec file {} \; 2>/dev/null | sed 's|^|  |' || true

clean:
	cargo clean
	rm -rf $(VENV) $(SAM_VENV) .aws-sam

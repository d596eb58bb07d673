# PyAirtable — every set-up step lives here, so a fresh machine needs only `make dev` / `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
# One build cache outside the clone: warm CI runs and every checkout reuse it.
export CARGO_TARGET_DIR ?= /var/tmp/pyairtable-target
export CARGO_TERM_COLOR ?= never

.PHONY: help dev test bench openapi deps toolchain fmt fmt-check clippy unit cfn-lint asl-lint it emulator package clean web web-check e2e chromium

help:
	@echo "make dev    - run the whole platform locally (AWS emulator + sandbox Airtable + API on :3000)"
	@echo "make test   - fmt check, clippy, unit tests, cfn-lint, black-box tests against the local stack"
	@echo "make bench  - import 2,000 records through the API vs pyairtable, against the sandbox's real limits"
	@echo "make openapi - regenerate docs/openapi.json from the code"
	@echo "make package - sam validate --lint and sam build: one arm64 bootstrap per function in .aws-sam/build"
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
e2e: deps web chromium
	cargo run --quiet --locked -p tests --bin e2e

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

# The black-box suite starts its own emulator (from .venv) and local stack on free ports.
it: deps
	cargo test -p tests --locked -- --test-threads=4

test: fmt-check clippy unit cfn-lint asl-lint web-check it e2e
	@echo "make test: all checks passed"

# docs/openapi.json is generated from the code; a unit test fails when it is stale.
openapi: toolchain
	UPDATE_OPENAPI=1 cargo test -p local --locked openapi

# A benchmark, not a test: prints figures, asserts nothing.
bench: deps
	cargo run --quiet -p tests --bin bench

# ---------- package (sam build) ----------
# SAM CLI and cargo-lambda (with Zig, which links for arm64) from PyPI in their own venv; the
# arm64 standard library from rustup. Builds in release (thin LTO) for provided.al2023/arm64.
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
package: toolchain $(SAM_VENV)/.installed
	@rustup target list --installed | grep -qx aarch64-unknown-linux-gnu || rustup target add aarch64-unknown-linux-gnu
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam validate --lint
	PATH="$(CURDIR)/$(SAM_VENV)/bin:$$PATH" SAM_CLI_TELEMETRY=0 $(SAM_VENV)/bin/sam build
	@n=$$(find .aws-sam/build -name bootstrap -type f | wc -l); echo "make package: $$n bootstrap files"; \
	  find .aws-sam/build -name bootstrap -type f -exec file {} \; 2>/dev/null | sed 's|^|  |' || true

clean:
	cargo clean
	rm -rf $(VENV) $(SAM_VENV) .aws-sam

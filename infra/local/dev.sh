#!/usr/bin/env bash
# `make dev`: the AWS emulator (moto, from .venv) and the local stack (API on 127.0.0.1:${PORT:-3000},
# sandbox Airtable on :${SANDBOX_PORT:-3001}). Ctrl-C stops everything this script started.
# With AWS_ENDPOINT_URL already set (LocalStack, another moto, …) no emulator is started.
set -euo pipefail
cd "$(dirname "$0")/../.."

export AWS_ACCESS_KEY_ID="${AWS_ACCESS_KEY_ID:-test}"
export AWS_SECRET_ACCESS_KEY="${AWS_SECRET_ACCESS_KEY:-test}"
export AWS_REGION="${AWS_REGION:-us-east-1}"
MOTO_PORT="${MOTO_PORT:-4566}"

moto_pid=""
cleanup() {
  if [[ -n "$moto_pid" ]]; then
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

if [[ -z "${AWS_ENDPOINT_URL:-}" ]]; then
  export AWS_ENDPOINT_URL="http://127.0.0.1:${MOTO_PORT}"
  if curl -sf -o /dev/null "${AWS_ENDPOINT_URL}/moto-api/data.json"; then
    echo "dev: reusing the emulator already running at ${AWS_ENDPOINT_URL}"
  else
    echo "dev: starting moto at ${AWS_ENDPOINT_URL}"
    .venv/bin/python infra/local/emulator.py -H 127.0.0.1 -p "${MOTO_PORT}" >.venv/moto.log 2>&1 &
    moto_pid=$!
    for _ in $(seq 1 100); do
      curl -sf -o /dev/null "${AWS_ENDPOINT_URL}/moto-api/data.json" && break
      kill -0 "$moto_pid" 2>/dev/null || { echo "dev: moto failed to start; see .venv/moto.log"; exit 1; }
      sleep 0.2
    done
  fi
fi

cargo build --quiet -p local
"${CARGO_TARGET_DIR:-target}/debug/local"

#!/usr/bin/env bash
# Runs every workspace's tests, then the end-to-end suite, and prints one summary line.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export TURBO_TELEMETRY_DISABLED=1 DO_NOT_TRACK=1
export MEDIASOUP_WORKER_BIN="${MEDIASOUP_WORKER_BIN:-/usr/lib/x86_64-linux-gnu/mediasoup/mediasoup-worker}"

passed=0
failed=0
status=0
log_dir="$(mktemp -d)"

run() {
  local name="$1"; shift
  local log="$log_dir/$name.log"
  echo "=== $name"
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  # node:test prints "# pass N" / "# fail N"; Playwright prints "N passed" / "N failed".
  local p f
  p=$(grep -E '^# pass [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
  f=$(grep -E '^# fail [0-9]+' "$log" | awk '{s+=$3} END {print s+0}')
  p=$((p + $(grep -E '^\s+[0-9]+ passed' "$log" | awk '{s+=$1} END {print s+0}')))
  f=$((f + $(grep -E '^\s+[0-9]+ failed' "$log" | awk '{s+=$1} END {print s+0}')))
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$rc" -ne 0 ]; then
    status=1
    [ "$f" -gt 0 ] || failed=$((failed + 1))
    echo "!!! $name failed (exit $rc)"
  fi
}

run typecheck npx turbo run typecheck --concurrency=2 --output-logs=errors-only
run typecheck-scripts npx tsc -p .
run lint npx eslint .
run format npx prettier --check .
run contracts npm test --silent -w @cc/contracts
run migrations npm test --silent -w @cc/migrations
run sfu npm test --silent -w @cc/sfu
run recording-composer npm test --silent -w @cc/recording-composer
run routing-service npm test --silent -w @cc/routing-service
run e2e npm test --silent -w @cc/e2e

rm -rf "$log_dir"
echo
echo "tests: $passed passed, $failed failed"
exit "$status"

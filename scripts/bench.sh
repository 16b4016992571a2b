#!/usr/bin/env bash
# Runs every benchmark of `make bench`; each prints ratios against a baseline
# measured in the same run. Loops are bounded and stop by themselves.
set -euo pipefail
cd "$(dirname "$0")/.."
export BRIDGE_BENCH=1
# The e2e benchmarks (CPU per event at a low rate, idle WebSocket memory,
# latency at a steady rate) run the binary `make build` made; without it
# they build their own (no -race).
if [ -x bin/bridge ]; then export BRIDGE_BENCH_BIN="$PWD/bin/bridge"; fi
for t in $(grep -rl --include='*_test.go' -E '^func TestBench' . | xargs -n1 dirname | sort -u); do
  go test -count=1 -timeout 20m -run '^TestBench' -v "$t" | grep -E '^(BENCH|---|ok|FAIL|PASS)' || exit 1
done

#!/usr/bin/env bash
# Runs every fuzz target of the module for FUZZTIME each (default 30s):
# `make fuzz`. Bounded: the whole run takes about FUZZTIME × targets.
set -euo pipefail
cd "$(dirname "$0")/.."
FUZZTIME="${FUZZTIME:-30s}"
grep -rl --include='*_test.go' -E '^func Fuzz' . | sort | while read -r f; do
  dir=$(dirname "$f")
  for target in $(grep -oE '^func (Fuzz[A-Za-z0-9_]+)' "$f" | awk '{print $2}'); do
    echo "fuzz: $dir $target ($FUZZTIME)"
    go test -count=1 -run XXX -fuzz "^${target}\$" -fuzztime "$FUZZTIME" "$dir"
  done
done

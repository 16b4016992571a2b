#!/usr/bin/env bash
# Installs what `make test` and `make demo` need and cannot get from the Go
# module proxy: Debian's ClickHouse and Chromium. Idempotent. Under CI=true a
# dependency that cannot be installed fails the run.
set -euo pipefail

need=()
command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || need+=(clickhouse-server)
command -v clickhouse-client >/dev/null 2>&1 || need+=(clickhouse-client)
if [ "${BRIDGE_SKIP_BROWSER:-}" != "1" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
fi

if [ ${#need[@]} -gt 0 ]; then
  echo "deps: installing ${need[*]} from Debian packages"
  if [ "$(id -u)" = 0 ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "deps: missing ${need[*]}; install them with: sudo apt-get install ${need[*]}" >&2
    exit 1
  fi
fi

# promtool (Debian's prometheus package) checks packaging/prometheus/alerts.yml
# in `make test`; without it that test skips, except under CI=true.
if ! command -v promtool >/dev/null 2>&1; then
  echo "deps: installing prometheus (for promtool) from Debian packages"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }; then
    echo "deps: promtool missing; install it with: sudo apt-get install prometheus" >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
  fi
fi

# The Debian package enables a system-wide server; tests run their own.
command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || { echo "deps: clickhouse-server still missing" >&2; exit 1; }
echo "deps: ok"

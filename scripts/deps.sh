#!/usr/bin/env bash
# Installs what `make test` and `make demo` need and cannot get from the Go
# module proxy: Debian's ClickHouse, Chromium, nginx and Caddy, ZooKeeper (with a JRE) for
# the ClickHouse cluster test (internal/chtest.Cluster), for the packaging tests
# podman, systemd-analyze (systemd) and docker-compose; and TypeScript's tsc
# from the npm registry. Idempotent. Under
# CI=true a dependency that cannot be installed fails the run.
#   BRIDGE_SKIP_BROWSER=1    no Chromium (make demo)
#   BRIDGE_SKIP_PACKAGING=1  no podman, systemd, docker-compose (make demo)
set -euo pipefail

need=()
command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || need+=(clickhouse-server)
command -v clickhouse-client >/dev/null 2>&1 || need+=(clickhouse-client)
# ZooKeeper is run from its jar (internal/chlocal/zookeeper.go), not as a service.
[ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null 2>&1 || need+=(zookeeper)
if [ "${BRIDGE_SKIP_BROWSER:-}" != "1" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  command -v chromedriver >/dev/null 2>&1 || need+=(chromium-driver)
  # The first-party proxy recipes of widget-sdk/README.md run in real nginx
  # and Caddy (e2e TestSDKFirstPartyRealProxies), started by the test on
  # random ports. Installing nginx-light may start a system nginx on :80
  # where invoke-rc.d runs services (its postinst skips that when :80 is
  # taken); the tests do not use it.
  command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
  command -v caddy >/dev/null 2>&1 || need+=(caddy)
fi
# command:package pairs the packaging tests (packaging/) use.
packaging=(podman:podman systemd-analyze:systemd docker-compose:docker-compose)
if [ "${BRIDGE_SKIP_PACKAGING:-}" != "1" ]; then
  for p in "${packaging[@]}"; do
    command -v "${p%%:*}" >/dev/null 2>&1 || need+=("${p#*:}")
  done
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
# in `make test`; without it that test skips, except under CI=true. Not for
# `make demo` (BRIDGE_SKIP_PACKAGING=1).
if [ "${BRIDGE_SKIP_PACKAGING:-}" != "1" ] && ! command -v promtool >/dev/null 2>&1; then
  echo "deps: installing prometheus (for promtool) from Debian packages"
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo -n"
  if ! { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null; }; then
    echo "deps: promtool missing; install it with: sudo apt-get install prometheus" >&2
    if [ "${CI:-}" = "true" ]; then exit 1; fi
  fi
fi

# npm packs the browser SDK's npm package and TypeScript's tsc type-checks a
# test app against its declarations (e2e TestSDKNpmPackage). tsc is
# installed with npm into $BRIDGE_TOOLS/typescript (default
# ~/.cache/bridge/tools), never into the repository. Not for `make demo`.
if [ "${BRIDGE_SKIP_BROWSER:-}" != "1" ]; then
  tools="${BRIDGE_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/bridge/tools}"
  if [ -z "${BRIDGE_TSC:-}" ] && [ ! -x "$tools/typescript/node_modules/.bin/tsc" ] && ! command -v tsc >/dev/null 2>&1; then
    echo "deps: installing typescript into $tools/typescript with npm"
    if ! { command -v npm >/dev/null 2>&1 && npm install --silent --no-audit --no-fund --prefix "$tools/typescript" typescript@5.9 >/dev/null; }; then
      echo "deps: tsc missing (needs npm and the npm registry); the SDK package's type check will skip" >&2
      if [ "${CI:-}" = "true" ]; then exit 1; fi
    fi
  fi
fi

# The Debian package enables a system-wide server; tests run their own.
command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || { echo "deps: clickhouse-server still missing" >&2; exit 1; }
if ! { [ -f /usr/share/java/zookeeper.jar ] && command -v java >/dev/null 2>&1; }; then
  if [ "${CI:-}" = "true" ]; then
    echo "deps: zookeeper (or java) still missing; the ClickHouse cluster test needs it" >&2
    exit 1
  fi
  echo "deps: warning: zookeeper missing; the ClickHouse cluster test will skip" >&2
fi
if [ "${BRIDGE_SKIP_BROWSER:-}" != "1" ]; then
  for p in nginx:nginx-light caddy:caddy; do
    command -v "${p%%:*}" >/dev/null 2>&1 || [ -x "/usr/sbin/${p%%:*}" ] && continue
    if [ "${CI:-}" = "true" ]; then
      echo "deps: ${p%%:*} still missing after installing ${p#*:}; the first-party proxy test needs it" >&2
      exit 1
    fi
    echo "deps: warning: ${p%%:*} missing; the first-party proxy test will skip" >&2
  done
fi
if [ "${BRIDGE_SKIP_PACKAGING:-}" != "1" ]; then
  for p in "${packaging[@]}"; do
    command -v "${p%%:*}" >/dev/null 2>&1 && continue
    if [ "${CI:-}" = "true" ]; then
      echo "deps: ${p%%:*} still missing after installing ${p#*:}" >&2
      exit 1
    fi
    echo "deps: warning: ${p%%:*} missing; the packaging tests will skip" >&2
  done
fi
echo "deps: ok"

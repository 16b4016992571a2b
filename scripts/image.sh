#!/usr/bin/env bash
# Builds the runtime image with podman, FROM scratch, from a static binary
# built here (packaging/Containerfile.local); no registry is needed. Prints
# the image id on the last line of stdout.
#   scripts/image.sh [TAG]              default TAG localhost/bridge:$VERSION
#   VERSION          stamped into `bridge version` (default: git describe, else dev)
#   PODMAN_ROOT, PODMAN_RUNROOT, PODMAN_STORAGE_DRIVER
#                    podman storage (tests pass private ones; driver default vfs,
#                    which works where overlay mounts are refused)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=${VERSION:-$(git -C "$root" describe --tags --always --dirty 2>/dev/null || echo dev)}
tag=${1:-localhost/bridge:$version}

command -v podman >/dev/null 2>&1 || { echo "image: podman missing (scripts/deps.sh installs it)" >&2; exit 1; }
ca=/etc/ssl/certs/ca-certificates.crt
[ -r "$ca" ] || { echo "image: $ca missing (apt-get install ca-certificates)" >&2; exit 1; }

ctx=$(mktemp -d)
trap 'rm -rf "$ctx"' EXIT
t=$ctx/tree
mkdir -p "$t/usr/local/bin" "$t/etc/bridge" "$t/etc/ssl/certs" "$t/var/lib" "$t/tmp" "$ctx/data"
chmod 1777 "$t/tmp"
(cd "$root" && CGO_ENABLED=0 go build -trimpath \
  -ldflags "-s -w -X github.com/popinbridge/bridge/bridge/internal/buildinfo.Version=$version -X github.com/popinbridge/bridge/bridge/internal/buildinfo.Commit=$(cd "$root" && git rev-parse HEAD 2>/dev/null) -X github.com/popinbridge/bridge/bridge/internal/buildinfo.Date=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
  -o "$t/usr/local/bin/bridge" ./bridge)
cp "$root/packaging/rootfs/etc/passwd" "$root/packaging/rootfs/etc/group" "$t/etc/"
cp "$root/packaging/bridge.yaml" "$t/etc/bridge/bridge.yaml"
cp "$ca" "$t/etc/ssl/certs/ca-certificates.crt"
cp "$root/packaging/Containerfile.local" "$ctx/"

podman=(podman --storage-driver "${PODMAN_STORAGE_DRIVER:-vfs}")
[ -n "${PODMAN_ROOT:-}" ] && podman+=(--root "$PODMAN_ROOT")
[ -n "${PODMAN_RUNROOT:-}" ] && podman+=(--runroot "$PODMAN_RUNROOT")
"${podman[@]}" build --quiet --network none --pull=never \
  --label "org.opencontainers.image.version=$version" \
  -f "$ctx/Containerfile.local" -t "$tag" "$ctx"

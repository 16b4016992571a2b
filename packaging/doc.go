// Package packaging holds how bridge is deployed — the runtime image
// (Containerfile.local; the repository's Dockerfile has the same final
// stage), the image's configuration (bridge.yaml), the systemd unit
// (bridge.service), the NATS server configuration of compose.yaml
// (nats.conf) and the Kubernetes manifests (kubernetes/) — and the tests that
// prove them: the image is built with podman, its exported file system runs
// `bridge version` and `bridge serve` under chroot, the unit passes
// `systemd-analyze verify`, compose.yaml passes docker-compose's own
// validation, and the Kubernetes manifests are parsed and their invariants
// checked (bridge run as the Deployment's pod answers every probe).
package packaging

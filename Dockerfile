# Container image of bridge: `docker build -t bridge .` (or podman build).
# Stage 1 builds a static binary (CGO_ENABLED=0) and lays out the runtime
# tree; stage 2 is FROM scratch: no shell, no package manager, non-root.
# Where no registry is reachable, `make image` builds the same runtime image
# from a binary built on the host (packaging/Containerfile.local; a test
# keeps both final stages identical and runs the image's filesystem).
ARG GO_VERSION=1.26
FROM docker.io/library/golang:${GO_VERSION}-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=
ARG DATE=
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/popinbridge/bridge/bridge/internal/buildinfo.Version=${VERSION} -X github.com/popinbridge/bridge/bridge/internal/buildinfo.Commit=${COMMIT} -X github.com/popinbridge/bridge/bridge/internal/buildinfo.Date=${DATE}" \
      -o /out/tree/usr/local/bin/bridge ./bridge \
 && mkdir -p /out/tree/etc/bridge /out/tree/etc/ssl/certs /out/tree/var/lib /out/tree/tmp /out/data \
 && chmod 1777 /out/tree/tmp \
 && cp packaging/rootfs/etc/passwd packaging/rootfs/etc/group /out/tree/etc/ \
 && cp packaging/bridge.yaml /out/tree/etc/bridge/bridge.yaml \
 && cp /etc/ssl/certs/ca-certificates.crt /out/tree/etc/ssl/certs/ca-certificates.crt

FROM scratch
COPY --from=build /out/tree/ /
COPY --from=build --chown=65532:65532 /out/data/ /var/lib/bridge/
ENV BRIDGE_CONFIG=/etc/bridge/bridge.yaml
USER 65532:65532
WORKDIR /var/lib/bridge
VOLUME /var/lib/bridge
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bridge", "serve"]

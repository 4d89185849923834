# syntax=docker/dockerfile:1

# Build stage: a static binary (no cgo), so the final image needs no libc.
FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Modules first, so editing the code does not refetch them.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -ldflags="-s -w" -o /solidarity ./cmd/solidarity
# The final image has no shell to create directories, so /data is made here
# and copied over owned by distroless's nonroot user (uid 65532). A new named
# volume mounted on /data takes this ownership, so the app can write to it.
RUN mkdir -p /data

# Final stage: no shell, no package manager, runs as nonroot (65532:65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /solidarity /solidarity
COPY --from=build --chown=65532:65532 /data /data
USER nonroot:nonroot
ENV SOLIDARITY_DATA_DIR=/data
VOLUME /data
EXPOSE 8080
ENTRYPOINT ["/solidarity"]
CMD ["serve"]

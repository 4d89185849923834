# syntax=docker/dockerfile:1

# Build stage: a static binary (no cgo), so the final image needs no libc.
FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0
# Modules first, so editing the code does not refetch them. go.mod replaces
# FerretDB with the patched copy in third_party/ferretdb, which go mod
# download reads too.
COPY go.mod go.sum ./
COPY third_party/ third_party/
RUN --mount=type=cache,target=/go/pkg/mod \
    go mod download
COPY . .
# ferretdb_no_postgresql leaves out the embedded FerretDB's PostgreSQL
# backend and the pgx driver: the embedded database only ever runs FerretDB's
# SQLite backend. It cuts 25 packages (about 6% of a cold build's compile
# work) and 9% of the binary; cmd/solidarity's TestBinaryDeps checks that the
# tag still does so.
RUN --mount=type=cache,target=/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    go build -trimpath -tags ferretdb_no_postgresql -ldflags="-s -w" -o /solidarity ./cmd/solidarity
# The final image has no shell to create directories, so /data and /keys are
# made here and copied over owned by distroless's nonroot user (uid 65532). A
# new named volume mounted on either takes this ownership, so the app can
# write to it. /keys holds the key file, apart from the data: a copied data
# volume must not carry its own key. The build fails here if the nonroot
# user could not reach the key path.
RUN mkdir -p /data /keys && chmod 0700 /keys && chown 65532:65532 /data /keys \
 && setpriv --reuid=65532 --regid=65532 --clear-groups sh -c 'test -w /keys && test -x /keys' \
 || { echo "uid 65532 cannot reach /keys" >&2; exit 1; }

# Final stage: no shell, no package manager, runs as nonroot (65532:65532).
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /solidarity /solidarity
COPY --from=build --chown=65532:65532 /data /data
COPY --from=build --chown=65532:65532 /keys /keys
USER nonroot:nonroot
# The key file is made on first start in its own volume. Back it up apart
# from the data and from database backups: without it the supporters' data
# cannot be read.
ENV SOLIDARITY_DATA_DIR=/data SOLIDARITY_SECRET_FILE=/keys/solidarity.keys
VOLUME ["/data", "/keys"]
EXPOSE 8080
ENTRYPOINT ["/solidarity"]
CMD ["serve"]

# syntax=docker/dockerfile:1
# stowaway in a container: a static (musl) binary on an empty base, run as nobody.
#   docker build -t stowaway .
#   docker save app:latest | docker run --rm -i stowaway scan -
# It passes its own scan: `stowaway scan Dockerfile` (with this directory as the context).
FROM rust:1.88-alpine AS build
RUN apk add --no-cache build-base
WORKDIR /src
COPY Cargo.toml Cargo.lock build.rs ./
COPY src ./src
COPY rules ./rules
COPY README.md ./
RUN cargo build --release --locked && strip target/release/stowaway

FROM scratch
COPY --from=build /src/target/release/stowaway /stowaway
USER 65534:65534
ENTRYPOINT ["/stowaway"]
CMD ["--help"]

# syntax=docker/dockerfile:1.7
# The Reservation API: a static-ish Rust binary on distroless, as a non-root user, writing
# nothing to disk (runs with a read-only root filesystem).
#
#   docker build -t reservation-service .
#   docker run --rm -p 8080:8080 -e APP_ENV=local -e AWS_REGION=us-east-1 \
#     -e DYNAMODB_ENDPOINT=http://host.docker.internal:8000 --read-only reservation-service

# Both images are pinned by digest (a tag can be moved to other content); the tag stays for the
# reader. Refresh a digest with `docker buildx imagetools inspect <image>:<tag>`.
FROM rust:1.95-slim-bookworm@sha256:d7482085ff5b415f84dba5647ae71606650bdef00db7aeb69f4b3d170c3e4082 AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p reservation-service \
    && cp target/release/reservation-service /usr/local/bin/reservation-service

FROM gcr.io/distroless/cc-debian12:nonroot@sha256:9dac0a79194e45a7da0158a9c6da57b217585af0786db3845d1f0ec1a0dd182f
COPY --from=build /usr/local/bin/reservation-service /usr/local/bin/reservation-service
USER nonroot:nonroot
ENV PORT=8080 RUST_LOG=info
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/reservation-service"]
CMD ["serve"]

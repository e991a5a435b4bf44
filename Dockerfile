# syntax=docker/dockerfile:1.7
# The Reservation API: a static-ish Rust binary on distroless, as a non-root user, writing
# nothing to disk (runs with a read-only root filesystem).
#
#   docker build -t reservation-service .
#   docker run --rm -p 8080:8080 -e APP_ENV=local -e AWS_REGION=us-east-1 \
#     -e DYNAMODB_ENDPOINT=http://host.docker.internal:8000 --read-only reservation-service

FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p reservation-service \
    && cp target/release/reservation-service /usr/local/bin/reservation-service

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/reservation-service /usr/local/bin/reservation-service
USER nonroot:nonroot
ENV PORT=8080 RUST_LOG=info
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/reservation-service"]
CMD ["serve"]

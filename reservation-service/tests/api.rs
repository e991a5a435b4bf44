//! The Reservation API over HTTP, against DynamoDB Local: every endpoint and error code,
//! concurrency, idempotency and hold expiry.

use dynamo_core::testing::DynamoLocal;
use dynamo_core::{KeyDef, Table, TableDef};
use reqwest::StatusCode;
use reservation_service::auth::sign_hs256;
use reservation_service::startup::check_schemas;
use reservation_service::tables::{ALL, Reservation, SeatState};
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

mod support;
use support::*;

#[tokio::test]
async fn hold_get_confirm_and_the_order() {
    let app = spawn(Duration::from_secs(300)).await;
    app.seed("evt_1", ["A-12".to_string(), "A-13".to_string()])
        .await;
    let (status, body, _) = app.hold("u123", "k1", "evt_1", &["A-12", "A-13"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["reservation_id"].as_str().expect("id").to_owned();
    assert!(id.starts_with("rsv_"));
    let expires = body["hold_expires_at"].as_str().expect("expiry");
    assert!(
        time::OffsetDateTime::parse(expires, &time::format_description::well_known::Rfc3339)
            .is_ok()
    );
    assert!(expires.ends_with('Z'));
    assert_eq!(
        app.seat("evt_1", "A-12").await.holder.as_deref(),
        Some(id.as_str())
    );

    let (status, view, _) = app.get(&format!("/v1/reservations/{id}"), "u123").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(view["status"], "HOLD");
    assert_eq!(view["reservation_id"], id.as_str());
    assert_eq!(view["seat_ids"], json!(["A-12", "A-13"]));
    assert_eq!(view["quantity"], 2);

    let (status, body, _) = app
        .post(
            &format!("/v1/reservations/{id}/confirm"),
            Some("u123"),
            Some("k2"),
            Some(json!({"payment_intent_id": "pay_xyz789"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "CONFIRMED");
    assert!(
        body["order_id"]
            .as_str()
            .expect("order")
            .starts_with("ord_")
    );
    assert_eq!(app.seat("evt_1", "A-13").await.state, SeatState::Sold);
    let (_, view, _) = app.get(&format!("/v1/reservations/{id}"), "u123").await;
    assert_eq!(view["status"], "CONFIRMED");

    let (status, body, _) = app
        .post(
            &format!("/v1/reservations/{id}/cancel"),
            Some("u123"),
            Some("k3"),
            None,
        )
        .await;
    assert_error(status, &body, 409, "INVALID_STATE");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("CONFIRMED")
    );
}

#[tokio::test]
async fn cancel_releases_the_seats() {
    let app = spawn(Duration::from_secs(300)).await;
    app.seed("evt_1", ["B-1".to_string()]).await;
    let (_, body, _) = app.hold("alice", "k1", "evt_1", &["B-1"]).await;
    let id = body["reservation_id"].as_str().expect("id").to_owned();
    let (status, _, _) = app.hold("bob", "k1", "evt_1", &["B-1"]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, body, _) = app
        .post(
            &format!("/v1/reservations/{id}/cancel"),
            Some("alice"),
            Some("k2"),
            None,
        )
        .await;
    assert_eq!(
        (status, &body),
        (StatusCode::OK, &json!({"status": "CANCELLED"}))
    );
    let (status, body, _) = app.hold("bob", "k2", "evt_1", &["B-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body, _) = app
        .post(
            &format!("/v1/reservations/{id}/confirm"),
            Some("alice"),
            Some("k3"),
            Some(json!({"payment_intent_id": "pay_1"})),
        )
        .await;
    assert_error(status, &body, 409, "INVALID_STATE");
}

#[tokio::test]
async fn inventory_conflict_names_the_seats_and_writes_nothing() {
    let app = spawn(Duration::from_secs(300)).await;
    app.seed(
        "evt_1",
        ["C-1".to_string(), "C-2".to_string(), "C-3".to_string()],
    )
    .await;
    app.hold("alice", "k1", "evt_1", &["C-2"]).await;
    let (status, body, _) = app.hold("bob", "k1", "evt_1", &["C-1", "C-2", "C-9"]).await;
    assert_error(status, &body, 409, "INVENTORY_CONFLICT");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.contains("C-2") && message.contains("C-9") && !message.contains("C-1,"),
        "{message}"
    );
    assert_eq!(
        app.seat("evt_1", "C-1").await.state,
        SeatState::Available,
        "nothing was written"
    );
}

#[tokio::test]
async fn authentication_errors() {
    let app = spawn(Duration::from_secs(300)).await;
    let body = create_body("u1", "evt_1", &["A-1"]).to_string();
    let post = reqwest::Method::POST;
    let (status, err, _) = app
        .raw(post.clone(), "/v1/reservations", None, Some("k"), &body)
        .await;
    assert_error(status, &err, 401, "UNAUTHENTICATED");

    let expired = sign_hs256(SECRET, "u1", -120).expect("signs");
    let (status, err, _) = app
        .raw(
            post.clone(),
            "/v1/reservations",
            Some(format!("Bearer {expired}")),
            Some("k"),
            &body,
        )
        .await;
    assert_error(status, &err, 401, "UNAUTHENTICATED");
    assert!(
        err["error"]["message"]
            .as_str()
            .expect("message")
            .contains("expired")
    );

    let forged = sign_hs256(
        "another-secret-that-is-long-enough-for-signing!!",
        "u1",
        600,
    )
    .expect("signs");
    let (status, err, _) = app
        .raw(
            post.clone(),
            "/v1/reservations",
            Some(format!("Bearer {forged}")),
            Some("k"),
            &body,
        )
        .await;
    assert_error(status, &err, 401, "UNAUTHENTICATED");

    // alg: none, unsigned.
    let b64 = |v: Value| {
        use std::fmt::Write;
        let bytes = v.to_string().into_bytes();
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, b)| acc | (u32::from(*b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                let _ = out.write_char(A[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    };
    let none = format!(
        "{}.{}.",
        b64(json!({"alg": "none", "typ": "JWT"})),
        b64(json!({"sub": "u1", "exp": 4_102_444_800i64}))
    );
    let (status, err, _) = app
        .raw(
            post.clone(),
            "/v1/reservations",
            Some(format!("Bearer {none}")),
            Some("k"),
            &body,
        )
        .await;
    assert_error(status, &err, 401, "UNAUTHENTICATED");

    let (status, err, _) = app
        .raw(
            post,
            "/v1/reservations",
            Some("Basic dTE6cHc=".into()),
            Some("k"),
            &body,
        )
        .await;
    assert_error(status, &err, 401, "UNAUTHENTICATED");
}

#[tokio::test]
async fn request_errors() {
    let app = spawn(Duration::from_secs(300)).await;
    app.seed("evt_1", ["A-1".to_string()]).await;
    let (status, err, _) = app
        .post(
            "/v1/reservations",
            Some("u1"),
            None,
            Some(create_body("u1", "evt_1", &["A-1"])),
        )
        .await;
    assert_error(status, &err, 400, "IDEMPOTENCY_REQUIRED");
    let (status, err, _) = app
        .post(
            "/v1/reservations",
            Some("u1"),
            Some("k"),
            Some(create_body("u2", "evt_1", &["A-1"])),
        )
        .await;
    assert_error(status, &err, 403, "FORBIDDEN");
    let (status, err, _) = app.get("/v1/reservations/rsv_doesnotexist", "u1").await;
    assert_error(status, &err, 404, "NOT_FOUND");
    let (status, err, _) = app.get("/v1/reservations/..%2F..", "u1").await;
    assert_error(status, &err, 404, "NOT_FOUND");
    let (status, err, _) = app.get("/v2/nothing", "u1").await;
    assert_error(status, &err, 404, "NOT_FOUND");
    let (status, err, _) = app
        .raw(reqwest::Method::DELETE, "/v1/reservations", None, None, "")
        .await;
    assert_error(status, &err, 405, "METHOD_NOT_ALLOWED");

    let (_, body, _) = app.hold("u1", "k1", "evt_1", &["A-1"]).await;
    let id = body["reservation_id"].as_str().expect("id").to_owned();
    let (status, err, _) = app.get(&format!("/v1/reservations/{id}"), "u2").await;
    assert_error(status, &err, 403, "FORBIDDEN");
    let (status, err, _) = app
        .post(
            &format!("/v1/reservations/{id}/confirm"),
            Some("u1"),
            Some("k2"),
            Some(json!({"payment_intent_id": "pay_declined_card"})),
        )
        .await;
    assert_error(status, &err, 412, "PAYMENT_NOT_APPROVED");
    let (status, err, _) = app
        .post(
            &format!("/v1/reservations/{id}/confirm"),
            Some("u1"),
            Some("k3"),
            Some(json!({})),
        )
        .await;
    assert_error(status, &err, 400, "VALIDATION_ERROR");
    assert!(
        err["error"]["message"]
            .as_str()
            .expect("message")
            .contains("payment_intent_id")
    );
}

#[tokio::test]
async fn malformed_bodies_are_400_naming_the_field() {
    let app = spawn(Duration::from_secs(300)).await;
    let token = format!("Bearer {}", app.token("u1"));
    let cases = [
        ("{", "not valid JSON"),
        ("", "body is required"),
        ("[]", "JSON object"),
        (
            r#"{"event_id":"e","seat_ids":["A-1"],"user_id":"u1"}"#,
            "reservation_token",
        ),
        (
            r#"{"event_id":7,"seat_ids":["A-1"],"user_id":"u1","reservation_token":"t"}"#,
            "event_id",
        ),
        (
            r#"{"event_id":"e","seat_ids":[],"user_id":"u1","reservation_token":"t"}"#,
            "seat_ids",
        ),
        (
            r#"{"event_id":"e","seat_ids":[null],"user_id":"u1","reservation_token":"t"}"#,
            "seat_ids[0]",
        ),
        (
            r#"{"event_id":"e","qty":2,"seat_ids":["A-1"],"user_id":"u1","reservation_token":"t"}"#,
            "qty",
        ),
        (
            r#"{"event_id":"e","quantity":"1","seat_ids":["A-1"],"user_id":"u1","reservation_token":"t"}"#,
            "quantity",
        ),
        (
            r#"{"event_id":"e","seat_ids":["A-1","A-1"],"user_id":"u1","reservation_token":"t"}"#,
            "repeats",
        ),
        (
            r#"{"event_id":"","seat_ids":["A-1"],"user_id":"u1","reservation_token":"t"}"#,
            "event_id",
        ),
        (
            r#"{"event_id":"e","seat_ids":["A-1"],"user_id":"u1","reservation_token":""}"#,
            "reservation_token",
        ),
    ];
    for (i, (body, field)) in cases.iter().enumerate() {
        let (status, err, _) = app
            .raw(
                reqwest::Method::POST,
                "/v1/reservations",
                Some(token.clone()),
                Some(&format!("k{i}")),
                body,
            )
            .await;
        assert_error(status, &err, 400, "VALIDATION_ERROR");
        let message = err["error"]["message"].as_str().expect("message");
        assert!(message.contains(field), "{body}: {message}");
    }
    let huge = format!(r#"{{"event_id":"{}"}}"#, "x".repeat(100_000));
    let (status, err, _) = app
        .raw(
            reqwest::Method::POST,
            "/v1/reservations",
            Some(token),
            Some("big"),
            &huge,
        )
        .await;
    assert_error(status, &err, 413, "PAYLOAD_TOO_LARGE");
}

#[tokio::test]
async fn idempotent_replays_are_byte_identical_and_conflicts_are_409() {
    let app = spawn(Duration::from_secs(300)).await;
    app.seed("evt_1", ["D-1".to_string(), "D-2".to_string()])
        .await;
    let (s1, _, first) = app.hold("u1", "same-key", "evt_1", &["D-1"]).await;
    let (s2, _, second) = app.hold("u1", "same-key", "evt_1", &["D-1"]).await;
    assert_eq!((s1, s2), (StatusCode::CREATED, StatusCode::CREATED));
    assert_eq!(
        first, second,
        "the replay is byte for byte the first response"
    );

    let (status, err, _) = app.hold("u1", "same-key", "evt_1", &["D-2"]).await;
    assert_error(status, &err, 409, "IDEMPOTENCY_CONFLICT");
    // Keys are per user: another user's request with the same key is its own.
    let (status, _, _) = app.hold("u2", "same-key", "evt_1", &["D-2"]).await;
    assert_eq!(status, StatusCode::CREATED);
    // A failed execution releases its key: the retry executes again.
    let (status, _, _) = app.hold("u3", "retry-key", "evt_1", &["D-2"]).await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, err, _) = app.hold("u3", "retry-key", "evt_1", &["D-2"]).await;
    assert_error(status, &err, 409, "INVENTORY_CONFLICT");
}

#[tokio::test]
async fn fifty_concurrent_duplicates_make_one_reservation() {
    let app = Arc::new(spawn(Duration::from_secs(300)).await);
    app.seed("evt_1", ["E-1".to_string()]).await;
    let mut tasks = Vec::new();
    for _ in 0..50 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.hold("u1", "one-key", "evt_1", &["E-1"]).await
        }));
    }
    let mut bodies = HashSet::new();
    for task in tasks {
        let (status, body, text) = task.await.expect("joins");
        match status.as_u16() {
            201 => {
                bodies.insert(text);
            }
            409 => assert_eq!(body["error"]["code"], "IDEMPOTENCY_CONFLICT", "{body}"),
            other => panic!("{other}: {body}"),
        }
    }
    assert_eq!(
        bodies.len(),
        1,
        "every success is the same reservation: {bodies:?}"
    );
    let reservations = Table::<Reservation>::new(app.db.client())
        .with_prefix(&app.prefix)
        .scan()
        .all()
        .await
        .expect("scan");
    assert_eq!(reservations.len(), 1);
}

#[tokio::test]
async fn a_hundred_concurrent_holds_never_oversell() {
    let app = Arc::new(spawn(Duration::from_secs(300)).await);
    let seats: Vec<String> = (1..=10).map(|n| format!("F-{n}")).collect();
    app.seed("evt_1", seats.clone()).await;
    let mut tasks = Vec::new();
    for i in 0..100 {
        let app = app.clone();
        let wanted = [
            format!("F-{}", i % 10 + 1),
            format!("F-{}", (i * 7 + 3) % 10 + 1),
        ];
        tasks.push(tokio::spawn(async move {
            let mut wanted: Vec<&str> = wanted.iter().map(String::as_str).collect();
            wanted.dedup();
            let user = format!("user{i}");
            let result = app.hold(&user, "k", "evt_1", &wanted).await;
            (
                wanted.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
                result,
            )
        }));
    }
    let mut winners: HashMap<String, Vec<String>> = HashMap::new();
    let mut conflicts = 0;
    for task in tasks {
        let (wanted, (status, body, _)) = task.await.expect("joins");
        match status.as_u16() {
            201 => {
                winners.insert(
                    body["reservation_id"].as_str().expect("id").to_owned(),
                    wanted,
                );
            }
            409 => {
                assert_eq!(body["error"]["code"], "INVENTORY_CONFLICT", "{body}");
                conflicts += 1;
            }
            other => panic!("{other}: {body}"),
        }
    }
    assert!(!winners.is_empty());
    assert_eq!(winners.len() + conflicts, 100);
    let mut held = HashSet::new();
    for seats in winners.values() {
        for seat in seats {
            assert!(held.insert(seat.clone()), "seat {seat} held twice");
        }
    }
    for seat in &seats {
        let stored = app.seat("evt_1", seat).await;
        match stored.holder {
            Some(holder) => assert!(winners[&holder].contains(seat), "{seat} held by {holder}"),
            None => assert!(!held.contains(seat)),
        }
    }
}

#[tokio::test]
async fn expired_holds_cannot_be_confirmed_and_free_their_seats() {
    let app = spawn(Duration::from_secs(1)).await;
    app.seed("evt_1", ["G-1".to_string()]).await;
    let (_, body, _) = app.hold("alice", "k1", "evt_1", &["G-1"]).await;
    let id = body["reservation_id"].as_str().expect("id").to_owned();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (_, view, _) = app.get(&format!("/v1/reservations/{id}"), "alice").await;
    assert_eq!(view["status"], "EXPIRED");
    let (status, err, _) = app
        .post(
            &format!("/v1/reservations/{id}/confirm"),
            Some("alice"),
            Some("k2"),
            Some(json!({"payment_intent_id": "pay_1"})),
        )
        .await;
    assert_error(status, &err, 409, "RESERVATION_EXPIRED");
    let (status, body, _) = app.hold("bob", "k1", "evt_1", &["G-1"]).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "the expired hold's seat is free again: {body}"
    );
}

#[tokio::test]
async fn health_ready_and_trace_ids() {
    let app = spawn(Duration::from_secs(300)).await;
    let response = app
        .http
        .get(format!("{}/health", app.base))
        .header("x-trace-id", "abc-123")
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-trace-id"], "abc-123");
    let (status, body, _) = read(
        app.http
            .get(format!("{}/ready", app.base))
            .send()
            .await
            .expect("answers"),
    )
    .await;
    assert_eq!(
        (status, body["status"].as_str()),
        (StatusCode::OK, Some("READY"))
    );
    let response = app
        .http
        .get(format!("{}/v1/reservations/rsv_x", app.base))
        .header(
            "traceparent",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
        )
        .send()
        .await
        .expect("answers");
    let (_, body, _) = read(response).await;
    assert_eq!(
        body["error"]["trace_id"],
        "4bf92f3577b34da6a3ce929d0e0e4736"
    );
}

#[tokio::test]
async fn metrics_count_requests_statuses_idempotency_and_dynamodb_calls() {
    let app = spawn(Duration::from_secs(300)).await;
    app.seed("evt_1", ["M-1".to_string()]).await;
    let (status, _, _) = app.hold("alice", "k1", "evt_1", &["M-1"]).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _, _) = app.hold("alice", "k1", "evt_1", &["M-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "replayed");
    let (status, _, _) = app.get("/v1/reservations/rsv_unknown1", "alice").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, _, text) = read(
        app.http
            .get(format!("{}/metrics", app.base))
            .send()
            .await
            .expect("answers"),
    )
    .await;
    for expected in [
        r#"http_requests_total{method="POST",route="/v1/reservations",status="201"} 2"#,
        r#"http_requests_total{method="GET",route="/v1/reservations/{id}",status="404"} 1"#,
        r#"http_request_duration_seconds_count{method="POST",route="/v1/reservations",status="201"} 2"#,
        r#"reservation_status_total{status="HOLD"} 1"#,
        r#"idempotency_requests_total{outcome="executed"} 1"#,
        r#"idempotency_requests_total{outcome="replayed"} 1"#,
        r#"dynamodb_request_duration_seconds_count{operation="TransactWriteItems",outcome="ok"} 1"#,
        "# TYPE outbox_lag_seconds gauge",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in:\n{text}");
    }
}

/// The seed-000 guard: tables whose keys differ from the entities fail the start-up check.
#[tokio::test]
async fn start_up_refuses_tables_that_do_not_match() {
    let db = DynamoLocal::start().await.expect("starts");
    let wrong = TableDef::new(
        "ticket-reservation-reservations",
        KeyDef::string("reservation_id"),
    )
    .with_sort_key(KeyDef::string("event_id"));
    let others: Vec<TableDef> = ALL
        .iter()
        .copied()
        .filter(|t| t.name != wrong.name)
        .collect();
    db.create_tables(&others).await.expect("created");
    db.create_tables(&[wrong]).await.expect("created");
    let report = check_schemas(db.client(), db.prefix())
        .await
        .expect_err("mismatch");
    let text = report.to_string();
    assert!(text.contains("to attribute \"pk\", but table"), "{text}");
    assert!(
        text.contains("has partition key \"reservation_id\""),
        "{text}"
    );
    assert_eq!(report.failures.len(), 1, "{text}");
}

#[tokio::test]
async fn signed_admission_tokens_are_bound_to_user_and_event() {
    const ADMISSION: &str = "admission-secret-long-enough-for-hs256-tokens";
    let app = spawn_with(Duration::from_secs(300), Some(ADMISSION)).await;
    app.seed("evt_1", ["H-1".to_string()]).await;
    let mut body = create_body("u1", "evt_1", &["H-1"]);
    let (status, err, _) = app
        .post(
            "/v1/reservations",
            Some("u1"),
            Some("k1"),
            Some(body.clone()),
        )
        .await;
    assert_error(status, &err, 403, "FORBIDDEN");
    body["reservation_token"] = json!(
        reservation_service::auth::sign_admission(ADMISSION, "u2", "evt_1", 60).expect("signs")
    );
    let (status, err, _) = app
        .post(
            "/v1/reservations",
            Some("u1"),
            Some("k2"),
            Some(body.clone()),
        )
        .await;
    assert_error(status, &err, 403, "FORBIDDEN");
    body["reservation_token"] = json!(
        reservation_service::auth::sign_admission(ADMISSION, "u1", "evt_1", 60).expect("signs")
    );
    let (status, _, _) = app
        .post("/v1/reservations", Some("u1"), Some("k3"), Some(body))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

/// A JWKS endpoint on a free local port, serving the test key's public half.
async fn jwks_server() -> String {
    let jwks = include_str!("fixtures/test-jwks.json");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("binds");
    let url = format!(
        "http://127.0.0.1:{}/.well-known/jwks.json",
        listener.local_addr().expect("addr").port()
    );
    let app = axum::Router::new().route(
        "/.well-known/jwks.json",
        axum::routing::get(move || async move { jwks }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

fn rs256(sub: &str, kid: &str) -> String {
    let key =
        jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("fixtures/test-rsa-private.pem"))
            .expect("pem");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    jsonwebtoken::encode(&header, &json!({"sub": sub, "exp": exp}), &key).expect("signs")
}

#[tokio::test]
async fn rs256_tokens_are_verified_with_the_issuers_jwks() {
    let app = spawn_configured(Duration::from_secs(300), None, Some(jwks_server().await)).await;
    let get = |auth: String| {
        let http = app.http.clone();
        let url = format!("{}/v1/reservations/rsv_unknown", app.base);
        async move {
            read(
                http.get(url)
                    .header("authorization", auth)
                    .send()
                    .await
                    .expect("answers"),
            )
            .await
        }
    };
    let (status, err, _) = get(format!("Bearer {}", rs256("u1", "test-key-1"))).await;
    assert_error(status, &err, 404, "NOT_FOUND");
    let (status, err, _) = get(format!("Bearer {}", rs256("u1", "rotated-away"))).await;
    assert_error(status, &err, 401, "UNAUTHENTICATED");
    let (status, err, _) = get(format!("Bearer {}", app.token("u1"))).await;
    assert_error(status, &err, 401, "UNAUTHENTICATED");

    // The identity provider is down: not the client's fault.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binds")
        .local_addr()
        .expect("addr")
        .port();
    let down = spawn_configured(
        Duration::from_secs(300),
        None,
        Some(format!("http://127.0.0.1:{port}/jwks.json")),
    )
    .await;
    let (status, err, _) = read(
        down.http
            .get(format!("{}/v1/reservations/rsv_unknown", down.base))
            .bearer_auth(rs256("u1", "test-key-1"))
            .send()
            .await
            .expect("answers"),
    )
    .await;
    assert_error(status, &err, 503, "SERVICE_UNAVAILABLE");
}

#[tokio::test]
async fn requests_over_the_per_user_rate_are_429_with_retry_after() {
    let app = spawn_tuned(Duration::from_secs(300), None, None, |s| {
        s.rate_per_user = 0.5
    })
    .await;
    // A burst of twice the rate (one request), then the limit.
    let (status, _, _) = app.get("/v1/reservations/rsv_a", "u1").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let response = app
        .http
        .get(format!("{}/v1/reservations/rsv_a", app.base))
        .bearer_auth(app.token("u1"))
        .send()
        .await
        .expect("answers");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().get("retry-after").is_some());
    let (_, err, _) = read(response).await;
    assert_error(StatusCode::TOO_MANY_REQUESTS, &err, 429, "RATE_LIMITED");
    // Another user has a bucket of their own.
    let (status, _, _) = app.get("/v1/reservations/rsv_a", "u2").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// A client that stops sending its body gets 408 at the deadline; the service is not to blame.
#[tokio::test]
async fn a_stalled_body_is_a_408_not_a_504() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_tuned(Duration::from_secs(300), None, None, |s| {
        s.request_timeout = Duration::from_millis(500);
    })
    .await;
    let address = app.base.trim_start_matches("http://").to_owned();
    let mut socket = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connects");
    let head = format!(
        "POST /v1/reservations HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {}\r\n\
         Idempotency-Key: k1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"event_id\"",
        app.token("alice")
    );
    socket.write_all(head.as_bytes()).await.expect("writes");
    let mut response = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = socket.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            response.extend_from_slice(&buf[..n]);
            if response.windows(4).any(|w| w == b"\r\n\r\n") && response.ends_with(b"}}") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "answered before the client gave up");
    let text = String::from_utf8_lossy(&response);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("\"code\":\"REQUEST_TIMEOUT\""), "{text}");
}

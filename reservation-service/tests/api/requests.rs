//! Malformed requests: every mistake is a 4xx naming what is wrong, never a 5xx.

use crate::helpers::*;
use serde_json::json;
use std::time::Duration;

#[tokio::test]
async fn request_errors() {
    let app = TestApp::spawn().await;
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
    let app = TestApp::spawn().await;
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

/// A client that stops sending its body gets 408 at the deadline; the service is not to blame.
#[tokio::test]
async fn a_stalled_body_is_a_408_not_a_504() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::builder()
        .settings(|s| s.server.request_timeout = Duration::from_millis(500))
        .spawn()
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

/// Reads from `socket` until the server closes it (or `within` passes): whether it closed.
async fn closed_within(socket: &mut tokio::net::TcpStream, within: Duration) -> bool {
    use tokio::io::AsyncReadExt;
    let mut buf = [0u8; 1024];
    let read = async {
        loop {
            match socket.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read).await.is_ok()
}

#[tokio::test]
async fn a_client_trickling_its_headers_is_cut_off() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::builder()
        .settings(|s| s.server.header_read_timeout = Duration::from_millis(300))
        .spawn()
        .await;
    let mut slow = tokio::net::TcpStream::connect(("127.0.0.1", app.port))
        .await
        .expect("connects");
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        .await
        .expect("writes");
    // One header line every 100 ms: never done, never idle either.
    let trickle = async {
        for i in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if slow
                .write_all(format!("X-{i}: y\r\n").as_bytes())
                .await
                .is_err()
            {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(5), trickle)
        .await
        .expect("the server closed the connection before the headers were done");
    assert!(closed_within(&mut slow, Duration::from_secs(2)).await);
    // A prompt client is served as ever.
    let (status, _, _) = app.get("/health", "u1").await;
    assert_eq!(status.as_u16(), 200);
}

#[tokio::test]
async fn connections_beyond_the_cap_wait_until_one_closes() {
    let app = TestApp::builder()
        .settings(|s| s.server.max_connections = 2)
        .spawn()
        .await;
    let idle = || tokio::net::TcpStream::connect(("127.0.0.1", app.port));
    let first = idle().await.expect("connects");
    let second = idle().await.expect("connects");
    let health = format!("{}/health", app.base);
    let fresh = |timeout| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(timeout)
            .build()
            .expect("client")
    };
    // Two connections are open: a third is not served ...
    let refused = fresh(Duration::from_millis(700)).get(&health).send().await;
    assert!(
        refused.as_ref().is_err_and(reqwest::Error::is_timeout),
        "{refused:?}"
    );
    // ... until one of them closes.
    drop(first);
    let served = fresh(Duration::from_secs(10))
        .get(&health)
        .send()
        .await
        .expect("served");
    assert_eq!(served.status().as_u16(), 200);
    drop(second);
}

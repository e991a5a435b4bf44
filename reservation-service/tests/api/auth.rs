//! Authentication and admission: bearer tokens (HS256, RS256 with the issuer's JWKS), signed
//! admission tokens, and the per-user rate limit.

use crate::helpers::*;
use reqwest::StatusCode;
use reservation_service::auth::sign_hs256;
use reservation_service::auth::{AdmissionSettings, BearerTokens};
use serde_json::{Value, json};

#[tokio::test]
async fn authentication_errors() {
    let app = TestApp::spawn().await;
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
            post.clone(),
            "/v1/reservations",
            Some("Basic dTE6cHc=".into()),
            Some("k"),
            &body,
        )
        .await;
    assert_error(status, &err, 401, "UNAUTHENTICATED");

    // User ids are a part of stored keys, separated by '#': a client mistake, never a 500.
    let hashed = sign_hs256(SECRET, "tenant#u1", 600).expect("signs");
    let (status, err, _) = app
        .raw(
            post,
            "/v1/reservations",
            Some(format!("Bearer {hashed}")),
            Some("k#1"),
            &body,
        )
        .await;
    assert_error(status, &err, 401, "UNAUTHENTICATED");
    assert!(
        err["error"]["message"]
            .as_str()
            .expect("message")
            .contains("'#'")
    );
}

#[tokio::test]
async fn signed_admission_tokens_are_bound_to_user_and_event() {
    const ADMISSION: &str = "admission-secret-long-enough-for-hs256-tokens";
    let app = TestApp::builder()
        .settings(|s| {
            s.admission = AdmissionSettings::Signed {
                secret: ADMISSION.into(),
            }
        })
        .spawn()
        .await;
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
    let jwks = include_str!("../fixtures/test-jwks.json");
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
        jsonwebtoken::EncodingKey::from_rsa_pem(include_bytes!("../fixtures/test-rsa-private.pem"))
            .expect("pem");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
    header.kid = Some(kid.to_owned());
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    jsonwebtoken::encode(&header, &json!({"sub": sub, "exp": exp}), &key).expect("signs")
}

#[tokio::test]
async fn rs256_tokens_are_verified_with_the_issuers_jwks() {
    let url = jwks_server().await;
    let app = TestApp::builder()
        .settings(|s| s.jwt.tokens = BearerTokens::Jwks { url })
        .spawn()
        .await;
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
    let down = TestApp::builder()
        .settings(|s| {
            s.jwt.tokens = BearerTokens::Jwks {
                url: format!("http://127.0.0.1:{port}/jwks.json"),
            }
        })
        .spawn()
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
    let app = TestApp::builder()
        .settings(|s| s.server.rate_per_user = 0.5)
        .spawn()
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

#[tokio::test]
async fn missing_or_invalid_tokens_are_limited_per_client_address_before_verification() {
    let app = TestApp::builder()
        .settings(|s| {
            s.server.rate_per_ip = 1.0;
            s.server.trusted_proxy_hops = 1;
        })
        .spawn()
        .await;
    let path = format!("{}/v1/reservations/rsv_unknown", app.base);
    let from = |address: &str, token: Option<&str>| {
        let mut request = app.http.get(&path).header("x-forwarded-for", address);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { read(request.send().await.expect("answers")).await }
    };
    // A burst of two missing or invalid tokens is 401 ...
    let (status, body, _) = from("203.0.113.7", None).await;
    assert_error(status, &body, 401, "UNAUTHENTICATED");
    let (status, body, _) = from("203.0.113.7", Some("not-a-jwt")).await;
    assert_error(status, &body, 401, "UNAUTHENTICATED");
    // ... then the address is refused before any token of it is verified, a valid one too.
    let (status, body, _) = from("203.0.113.7", Some("not-a-jwt")).await;
    assert_error(status, &body, 429, "RATE_LIMITED");
    let (status, body, _) = from("203.0.113.7", Some(&app.token("u1"))).await;
    assert_error(status, &body, 429, "RATE_LIMITED");
    // Another client behind the same proxy is not: the address is the one the proxy saw.
    let (status, body, _) = from("203.0.113.8", Some(&app.token("u1"))).await;
    assert_error(status, &body, 404, "NOT_FOUND");
    // Valid tokens spend nothing of an address's budget.
    for _ in 0..5 {
        let (status, _, _) = from("203.0.113.9", Some(&app.token("u2"))).await;
        assert_eq!(status.as_u16(), 404);
    }
    let (status, body, _) = from("203.0.113.9", None).await;
    assert_error(status, &body, 401, "UNAUTHENTICATED");
}

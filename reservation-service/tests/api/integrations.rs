//! The service with the systems around it, each a local stub the test starts: the payment
//! API, an OIDC issuer, the waiting room.

use crate::helpers::*;
use crate::stubs::{self, Issuer, KEY_1, KEY_2, PaymentApi, WaitingRoom};
use reservation_service::auth::{AdmissionSettings, BearerTokens};
use reservation_service::domain::mask_intent;
use reservation_service::services::PaymentSettings;
use reservation_service::store::Order;
use serde_json::json;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn http_payments(url: &str) -> PaymentSettings {
    PaymentSettings::Http {
        url: url.to_owned(),
        timeout: Duration::from_millis(500),
    }
}

#[tokio::test]
async fn confirmations_ask_the_payment_api() {
    let api = PaymentApi::start().await;
    let app = TestApp::builder()
        .settings(|s| s.payment = http_payments(&api.url))
        .spawn()
        .await;
    app.seed("evt_1", (1..=8).map(|i| format!("P-{i}"))).await;
    let total = 2 * SEAT_PRICE;

    // Not approved: 412, and the hold stays open. An intent the payment API does not tie to
    // this reservation may be anybody's: unknown, pending, for another amount, without an
    // amount, made for another reservation, or approved for the total without naming the
    // reservation (another user's intent of the same price), the caller is told one sentence
    // and nothing about the intent.
    let id = app.reservation_id("u1", "h1", &["P-1", "P-2"]).await;
    let elsewhere = format!("pay_for_{total}_rsv_other");
    let unnamed = format!("pay_ok_{total}");
    for (key, payment) in [
        ("c1", "pay_pending"),
        ("c2", "pay_unknown"),
        ("c3", "pay_ok_1000"),
        ("c3b", "pay_any"),
        ("c3c", elsewhere.as_str()),
        ("c3e", unnamed.as_str()),
    ] {
        let (status, body, _) = app.confirm("u1", &id, key, payment).await;
        assert_error(status, &body, 412, "PAYMENT_NOT_APPROVED");
        assert_eq!(
            body["error"]["message"],
            format!(
                "payment {} is not approved for this reservation",
                mask_intent(payment)
            )
        );
    }
    // One the payment API made for this reservation is explained.
    let pending = format!("pay_pending_for_{id}");
    let (status, body, _) = app.confirm("u1", &id, "c3d", &pending).await;
    assert_error(status, &body, 412, "PAYMENT_NOT_APPROVED");
    assert_eq!(
        body["error"]["message"],
        format!(
            "payment {} was not approved: the payment intent is PENDING",
            mask_intent(&pending)
        )
    );
    assert_eq!(app.reservation(&id).await.status.as_str(), "HOLD");

    // Approved for the reservation and its total: confirmed, with the amount on the order.
    let (status, body, _) = app
        .confirm("u1", &id, "c4", &format!("pay_for_{total}_{id}"))
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let order_id = body["order_id"].as_str().expect("order id");
    let (_, view, _) = app.get(&format!("/v1/reservations/{id}"), "u1").await;
    assert_eq!(view["status"], "CONFIRMED");
    assert_eq!(view["total_price"], json!(total));
    assert_eq!(view["currency"], "KRW");
    let orders = app.table::<Order>().scan().all().await.expect("scans");
    let order = orders
        .iter()
        .find(|o| o.order_id == order_id)
        .expect("the order");
    assert_eq!(
        (order.total_amount, order.currency.as_deref()),
        (Some(total), Some("KRW"))
    );
    // The events carry the amounts too.
    let events = app.outbox_events().await;
    let payload = |kind: &str| -> serde_json::Value {
        let event = events
            .iter()
            .find(|e| e.aggregate_id == id && e.event_type == kind)
            .unwrap_or_else(|| panic!("no {kind} event"));
        serde_json::from_str(&event.payload).expect("json")
    };
    assert_eq!(
        payload("reservation.hold.created")["total_price"],
        json!(total)
    );
    assert_eq!(
        payload("reservation.confirmed")["total_amount"],
        json!(total)
    );
    assert_eq!(payload("reservation.confirmed")["currency"], "KRW");

    // A 503 is tried again (reading an intent is idempotent).
    let flaky = app.reservation_id("u1", "h2", &["P-3"]).await;
    let flaky_intent = format!("pay_flaky_{SEAT_PRICE}_{flaky}");
    let (status, body, _) = app.confirm("u1", &flaky, "c5", &flaky_intent).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(api.calls(&flaky_intent), 2);

    // An intent made for this reservation confirms it.
    let named = app.reservation_id("u1", "h4", &["P-5", "P-6"]).await;
    let (status, body, _) = app
        .confirm("u1", &named, "c7", &format!("pay_for_{total}_{named}"))
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");

    // Never answered: 504 at the payment timeout (the API never answers, so the service did
    // not wait for it), and the hold stays open for a retry.
    let slow = app.reservation_id("u1", "h3", &["P-4"]).await;
    let (status, body, _) = app.confirm("u1", &slow, "c6", "pay_slow").await;
    assert_error(status, &body, 504, "UPSTREAM_TIMEOUT");
    assert_eq!(app.reservation(&slow).await.status.as_str(), "HOLD");
}

/// An intent is claimed as the payment API spells it: another spelling the API resolves to
/// the same intent (case, white space) cannot claim it a second time, nor get a confirmed
/// reservation's payment handed back.
#[tokio::test]
async fn an_intent_is_claimed_as_the_payment_api_spells_it() {
    let api = PaymentApi::start().await;
    let app = TestApp::builder()
        .settings(|s| s.payment = http_payments(&api.url))
        .spawn()
        .await;
    app.seed("evt_1", (1..=2).map(|i| format!("N-{i}"))).await;
    let id = app.reservation_id("u1", "h1", &["N-1"]).await;
    let intent = format!("pay_for_{SEAT_PRICE}_{id}");
    let (status, body, _) = app.confirm("u1", &id, "c1", &intent).await;
    assert_eq!(status.as_u16(), 200, "{body}");

    // The confirmed reservation with the intent spelled otherwise: the payment API answers for
    // `pay_for_...`, which is not what was sent, so nothing was approved and nothing is handed
    // back (the intent paid for this very order).
    let shouted = intent.to_uppercase();
    let (status, body, _) = app.confirm("u1", &id, "c2", &shouted).await;
    assert_error(status, &body, 409, "INVALID_STATE");
    assert_eq!(api.calls(&shouted), 1, "the payment API was asked");
    assert!(app.void_requests().await.is_empty());
    // White space is not part of any intent id: refused before the payment API is asked.
    let spaced = format!("{intent} ");
    let (status, body, _) = app.confirm("u1", &id, "c3", &spaced).await;
    assert_error(status, &body, 400, "VALIDATION_ERROR");
    assert_eq!(api.calls(&spaced), 0);

    // An open hold with an intent the API knows under another spelling: not approved.
    let other = app.reservation_id("u1", "h2", &["N-2"]).await;
    let shouted = format!("pay_for_{SEAT_PRICE}_{other}").to_uppercase();
    let (status, body, _) = app.confirm("u1", &other, "c4", &shouted).await;
    assert_error(status, &body, 412, "PAYMENT_NOT_APPROVED");
    assert_eq!(app.reservation(&other).await.status.as_str(), "HOLD");
    let orders = app.table::<Order>().scan().all().await.expect("scans");
    assert_eq!(orders.len(), 1, "{orders:?}");
    assert!(app.void_requests().await.is_empty());
}

/// A confirmation whose payment was approved ends with an order even when its caller stopped
/// waiting at the request deadline: the work after the payment call is not dropped with the
/// request.
#[tokio::test]
async fn an_approved_confirmation_finishes_after_its_request_timed_out() {
    let api = PaymentApi::start().await;
    let app = TestApp::builder()
        .settings(|s| {
            s.payment = http_payments(&api.url);
            s.server.request_timeout = Duration::from_millis(200);
        })
        .spawn()
        .await;
    app.seed("evt_1", ["L-1".to_string()]).await;
    let id = app.reservation_id("u1", "h1", &["L-1"]).await;
    // The payment API takes 400 ms (within the 500 ms per attempt): the caller hears 504 at
    // 200 ms ...
    let late = format!("pay_late_{SEAT_PRICE}_{id}");
    let (status, body, _) = app.confirm("u1", &id, "c1", &late).await;
    assert_error(status, &body, 504, "UPSTREAM_TIMEOUT");
    // ... and the confirmation commits anyway.
    let mut waited = 0;
    while app.reservation(&id).await.status.as_str() == "HOLD" && waited < 100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(app.reservation(&id).await.status.as_str(), "CONFIRMED");
    let orders = app.table::<Order>().scan().all().await.expect("scans");
    assert_eq!(orders.len(), 1, "{orders:?}");
    // The retry with the key hears how it ended.
    let (status, body, _) = app.confirm("u1", &id, "c1", &late).await;
    assert_eq!(status.as_u16(), 200, "{body}");
    assert_eq!(body["order_id"].as_str(), Some(orders[0].order_id.as_str()));
    assert_eq!(api.calls(&late), 1);
}

#[tokio::test]
async fn a_payment_api_that_is_down_is_503_and_nothing_is_sold() {
    let app = TestApp::builder()
        .settings(|s| s.payment = http_payments(&stubs::nothing_listens()))
        .spawn()
        .await;
    app.seed("evt_1", ["Q-1".to_string()]).await;
    let id = app.reservation_id("u1", "h1", &["Q-1"]).await;
    let (status, body, _) = app.confirm("u1", &id, "c1", "pay_any").await;
    assert_error(status, &body, 503, "SERVICE_UNAVAILABLE");
    assert_eq!(app.reservation(&id).await.status.as_str(), "HOLD");
    assert_eq!(
        app.seat("evt_1", "Q-1").await.state,
        reservation_service::store::SeatState::Held
    );
}

#[tokio::test]
async fn a_failing_payment_api_opens_its_circuit_breaker_then_recovers() {
    let api = PaymentApi::start().await;
    let app = TestApp::builder()
        .settings(|s| {
            s.payment = http_payments(&api.url);
            s.resilience.failures = 2;
            s.resilience.open_for = Duration::from_millis(1500);
        })
        .spawn()
        .await;
    app.seed("evt_1", ["B-1".to_string()]).await;
    let id = app.reservation_id("u1", "h1", &["B-1"]).await;
    api.set_down(true);
    // Two confirmations fail (each after one retry): the breaker opens.
    for key in ["c1", "c2"] {
        let (status, body, _) = app.confirm("u1", &id, key, "pay_any").await;
        assert_error(status, &body, 503, "SERVICE_UNAVAILABLE");
    }
    assert_eq!(api.calls("pay_any"), 4);
    // Open: refused without calling the API.
    let (status, body, _) = app.confirm("u1", &id, "c3", "pay_any").await;
    assert_error(status, &body, 503, "SERVICE_UNAVAILABLE");
    assert_eq!(api.calls("pay_any"), 4, "refused without a call");
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains(r#"resilience4j_circuitbreaker_state{name="payment",state="open"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics
            .contains(r#"resilience4j_circuitbreaker_not_permitted_calls_total{name="payment"} 1"#)
    );
    assert_eq!(app.reservation(&id).await.status.as_str(), "HOLD");

    // The API is back: after the wait (on the service's clock), the next call goes through and
    // closes the breaker.
    api.set_down(false);
    app.clock.advance(Duration::from_millis(1499));
    let (status, body, _) = app.confirm("u1", &id, "c3b", "pay_any").await;
    assert_error(status, &body, 503, "SERVICE_UNAVAILABLE");
    app.clock.advance(Duration::from_millis(1));
    let (status, body, _) = app
        .confirm("u1", &id, "c4", &format!("pay_for_{SEAT_PRICE}_{id}"))
        .await;
    assert_eq!(status.as_u16(), 200, "{body}");
    let metrics = app.metrics_text().await;
    assert!(
        metrics.contains(r#"resilience4j_circuitbreaker_state{name="payment",state="closed"} 1"#)
    );
}

fn oidc(
    issuer: &str,
    audience: Option<&str>,
) -> impl FnOnce(&mut reservation_service::configuration::Settings) {
    let (issuer, audience) = (issuer.to_owned(), audience.map(str::to_owned));
    move |s| {
        s.jwt.tokens = BearerTokens::Oidc {
            issuer_uri: issuer.clone(),
        };
        s.jwt.issuer = Some(issuer);
        s.jwt.audience = audience;
    }
}

#[tokio::test]
async fn oidc_issuers_tokens_with_audience_and_rotated_keys() {
    let idp = Issuer::start().await;
    let app = TestApp::builder()
        .settings(oidc(&idp.issuer, Some("reservation-api")))
        .spawn()
        .await;
    let path = "/v1/reservations/rsv_unknown";

    // A Keycloak access token for this API: authenticated (then 404: no such reservation).
    let token = idp.token(KEY_1, "u1", "reservation-api");
    let (status, body, _) = app.get_with_token(path, &token).await;
    assert_error(status, &body, 404, "NOT_FOUND");

    // For another audience, from another issuer, or signed by a key the issuer never had.
    let other_audience = idp.token(KEY_1, "u1", "billing-api");
    let (status, body, _) = app.get_with_token(path, &other_audience).await;
    assert_error(status, &body, 401, "UNAUTHENTICATED");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("audience")
    );
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let foreign = stubs::sign(
        KEY_1,
        &json!({"sub": "u1", "exp": now + 60, "iss": "https://evil.example/realms/tickets", "aud": "reservation-api"}),
    );
    let (status, body, _) = app.get_with_token(path, &foreign).await;
    assert_error(status, &body, 401, "UNAUTHENTICATED");
    let (status, body, _) = app
        .get_with_token(path, &idp.token(KEY_2, "u1", "reservation-api"))
        .await;
    assert_error(status, &body, 401, "UNAUTHENTICATED");
    assert_eq!(
        idp.jwks_fetches.load(Ordering::SeqCst),
        1,
        "unknown key ids within a second fetch the keys at most once"
    );
    // Expired beyond the allowed clock skew.
    let expired = stubs::sign(
        KEY_1,
        &json!({"sub": "u1", "exp": now - 120, "iss": idp.issuer, "aud": "reservation-api"}),
    );
    let (status, body, _) = app.get_with_token(path, &expired).await;
    assert_error(status, &body, 401, "UNAUTHENTICATED");

    // The issuer rotates to key 2: its tokens are accepted without a restart, once a second
    // has passed since the last fetch (on the service's clock).
    idp.publish(&[KEY_2.0]);
    app.clock.advance(Duration::from_secs(1));
    let (status, body, _) = app
        .get_with_token(path, &idp.token(KEY_2, "u1", "reservation-api"))
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");

    // Without JWT_AUDIENCE, tokens carrying any `aud` are accepted.
    let open = TestApp::builder()
        .settings(oidc(&idp.issuer, None))
        .spawn()
        .await;
    let (status, body, _) = open.get_with_token(path, &other_audience).await;
    assert_error(status, &body, 401, "UNAUTHENTICATED"); // key 1 is no longer published
    let (status, body, _) = open
        .get_with_token(path, &idp.token(KEY_2, "u1", "billing-api"))
        .await;
    assert_error(status, &body, 404, "NOT_FOUND");
}

#[tokio::test]
async fn an_issuer_that_is_down_is_503_not_401() {
    let app = TestApp::builder()
        .settings(oidc(
            &format!("{}/realms/tickets", stubs::nothing_listens()),
            None,
        ))
        .spawn()
        .await;
    let idp = Issuer::start().await;
    let (status, body, _) = app
        .get_with_token("/v1/reservations/rsv_1", &idp.token(KEY_1, "u1", "x"))
        .await;
    assert_error(status, &body, 503, "SERVICE_UNAVAILABLE");
}

#[tokio::test]
async fn the_waiting_room_decides_admission_and_is_asked_once_per_token() {
    let room = WaitingRoom::start().await;
    let app = TestApp::builder()
        .settings(|s| {
            s.admission = AdmissionSettings::Remote {
                url: room.url.clone(),
            }
        })
        .spawn()
        .await;
    app.seed("evt_1", ["W-1", "W-2", "W-3"].map(String::from))
        .await;
    let hold = |key: &'static str, seat: &'static str, token: &'static str| {
        let mut body = create_body("u1", "evt_1", &[seat]);
        body["reservation_token"] = json!(token);
        app.post("/v1/reservations", Some("u1"), Some(key), Some(body))
    };
    let (status, body, _) = hold("k1", "W-1", "rtkn_xyz789").await;
    assert_error(status, &body, 403, "FORBIDDEN");
    assert!(
        body["error"]["message"]
            .as_str()
            .expect("message")
            .contains("position 4182")
    );
    let (status, body, _) = hold("k2", "W-1", "rtkn_u1").await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let (status, body, _) = hold("k3", "W-2", "rtkn_u1").await;
    assert_eq!(status.as_u16(), 201, "{body}");
    assert_eq!(
        room.calls.load(Ordering::SeqCst),
        2,
        "the admission was cached"
    );

    // The waiting room is down: fail closed.
    let closed = TestApp::builder()
        .settings(|s| {
            s.admission = AdmissionSettings::Remote {
                url: format!("{}/verify", stubs::nothing_listens()),
            }
        })
        .database(app.db.clone())
        .without_tables()
        .spawn()
        .await;
    let mut body = create_body("u1", "evt_1", &["W-3"]);
    body["reservation_token"] = json!("rtkn_u1");
    let (status, body, _) = closed
        .post("/v1/reservations", Some("u1"), Some("k4"), Some(body))
        .await;
    assert_error(status, &body, 503, "SERVICE_UNAVAILABLE");
}

#[tokio::test]
async fn id_tokens_and_redirected_keys_are_refused() {
    let idp = Issuer::start().await;
    let app = TestApp::builder()
        .settings(oidc(&idp.issuer, Some("reservation-api")))
        .spawn()
        .await;
    let path = "/v1/reservations/rsv_unknown";
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let claims = |typ: &str| json!({"sub": "u1", "exp": now + 60, "iss": idp.issuer, "aud": "reservation-api", "typ": typ});
    // Keycloak's access token is served (404: no such reservation) ...
    let access = stubs::sign(KEY_1, &claims("Bearer"));
    let (status, body, _) = app.get_with_token(path, &access).await;
    assert_error(status, &body, 404, "NOT_FOUND");
    // ... its ID token, for the same user and audience, is not.
    let id_token = stubs::sign(KEY_1, &claims("ID"));
    let (status, body, _) = app.get_with_token(path, &id_token).await;
    assert_error(status, &body, 401, "UNAUTHENTICATED");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("ID token")),
        "{body}"
    );

    // Keys are read from the configured URL itself, never from where it redirects.
    let target = format!("{}/protocol/openid-connect/certs", idp.issuer);
    let redirecting = stubs::serve(axum::Router::new().route(
        "/certs",
        axum::routing::get(move || {
            let target = target.clone();
            async move { axum::response::Redirect::temporary(&target) }
        }),
    ))
    .await;
    let app = TestApp::builder()
        .settings(move |s| {
            s.jwt.tokens = BearerTokens::Jwks {
                url: format!("{redirecting}/certs"),
            };
            s.jwt.issuer = None;
            s.jwt.audience = Some("reservation-api".into());
        })
        .spawn()
        .await;
    let fetched = idp.jwks_fetches.load(Ordering::SeqCst);
    let (status, body, _) = app.get_with_token(path, &access).await;
    // No keys: as when the key source is down (503), and the target was never asked.
    assert_error(status, &body, 503, "SERVICE_UNAVAILABLE");
    assert_eq!(idp.jwks_fetches.load(Ordering::SeqCst), fetched);
}

//! Graceful shutdown: requests in flight finish, new connections are refused.

use crate::helpers::*;
use reqwest::StatusCode;
use reservation_service::domain::Money;
use reservation_service::services::{PaymentFuture, PaymentGateway};
use serde_json::json;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Holds every approval until released, and says when a request is inside it: a request that is
/// surely in flight when shutdown begins.
#[derive(Default)]
struct GatedPayments {
    entered: Notify,
    release: Notify,
}

impl PaymentGateway for GatedPayments {
    fn approve<'a>(&'a self, _payment_intent_id: &'a str, _amount: &'a Money) -> PaymentFuture<'a> {
        Box::pin(async {
            self.entered.notify_one();
            self.release.notified().await;
            Ok(())
        })
    }
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_refuses_new_ones() {
    let payments = Arc::new(GatedPayments::default());
    let mut app = TestApp::builder().payments(payments.clone()).spawn().await;
    app.seed("evt_1", ["S-1".to_string()]).await;
    let id = app.reservation_id("alice", "k1", &["S-1"]).await;

    let app = {
        let confirm = {
            let (http, base, token) = (app.http.clone(), app.base.clone(), app.token("alice"));
            tokio::spawn(async move {
                read(
                    http.post(format!("{base}/v1/reservations/{id}/confirm"))
                        .bearer_auth(token)
                        .header("Idempotency-Key", "k2")
                        .json(&json!({"payment_intent_id": "pay_1"}))
                        .send()
                        .await
                        .expect("answers"),
                )
                .await
            })
        };
        payments.entered.notified().await;
        let serving = app.shut_down();

        // Shutdown has begun: a new connection is refused (or reset), never served. The
        // server notices the signal on its next turn, so a first attempt may still land.
        let fresh = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(2))
            .build()
            .expect("client");
        let mut refused = None;
        for _ in 0..50 {
            match fresh
                .get(format!("http://127.0.0.1:{}/health", app.port))
                .send()
                .await
            {
                Err(e) => {
                    refused = Some(e);
                    break;
                }
                Ok(_) => tokio::task::yield_now().await,
            }
        }
        assert!(
            refused.is_some(),
            "new connections are refused after shutdown began"
        );

        payments.release.notify_one();
        let (status, body, _) = confirm.await.expect("joins");
        assert_eq!(
            status,
            StatusCode::OK,
            "the request in flight finished: {body}"
        );
        assert_eq!(body["status"], "CONFIRMED");
        tokio::time::timeout(Duration::from_secs(5), serving)
            .await
            .expect("the server stops once idle")
            .expect("joins")
            .expect("serves without error");
        app
    };
    assert_eq!(
        app.seat("evt_1", "S-1").await.state,
        reservation_service::store::SeatState::Sold
    );
}

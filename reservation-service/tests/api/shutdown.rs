//! Graceful shutdown: requests in flight finish, new connections are refused.

use crate::helpers::*;
use reqwest::StatusCode;
use std::sync::Arc;
use std::time::Duration;

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_refuses_new_ones() {
    let payments = Arc::new(GatedPayments::default());
    let mut app = TestApp::builder().payments(payments.clone()).spawn().await;
    app.seed("evt_1", ["S-1".to_string()]).await;
    let id = app.reservation_id("alice", "k1", &["S-1"]).await;

    let app = {
        let confirm = confirm_in_flight(&app, &payments, &id, "k2").await;
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

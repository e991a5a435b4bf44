//! Graceful shutdown: requests in flight finish, new connections are refused.

use dynamo_core::testing::DynamoLocal;
use reqwest::StatusCode;
use reservation_service::auth::AnyTokenAdmission;
use reservation_service::config::Settings;
use reservation_service::error::ApiError;
use reservation_service::payment::PaymentGateway;
use reservation_service::startup::{AppState, Server};
use reservation_service::tables::ALL;
use serde_json::json;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

mod support;
use support::*;

/// Approves after a second: a request that is surely in flight when shutdown begins.
struct SlowPayments;

impl PaymentGateway for SlowPayments {
    fn approve<'a>(
        &'a self,
        _payment_intent_id: &'a str,
    ) -> Pin<Box<dyn Future<Output = Result<(), ApiError>> + Send + 'a>> {
        Box::pin(async {
            tokio::time::sleep(Duration::from_secs(1)).await;
            Ok(())
        })
    }
}

#[tokio::test]
async fn shutdown_finishes_requests_in_flight_and_refuses_new_ones() {
    let db = DynamoLocal::start().await.expect("DynamoDB Local starts");
    db.create_tables(&ALL).await.expect("tables created");
    let settings = Settings {
        table_prefix: db.prefix().to_owned(),
        jwt_secret: SECRET.to_owned(),
        ..Settings::default()
    };
    let state = Arc::new(AppState::with(
        settings,
        db.client().clone(),
        Arc::new(SlowPayments),
        Arc::new(AnyTokenAdmission),
    ));
    let server = Server::bind(state.clone(), 0).await.expect("binds");
    let port = server.port();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server.run(async {
        let _ = stopped.await;
    }));
    let prefix = db.prefix().to_owned();
    let app = Arc::new(App {
        base: format!("http://127.0.0.1:{port}"),
        http: reqwest::Client::new(),
        db,
        prefix,
        state,
    });
    app.seed("evt_1", ["S-1".to_string()]).await;
    let (status, body, _) = app.hold("alice", "k1", "evt_1", &["S-1"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["reservation_id"].as_str().expect("id").to_owned();

    let confirm = {
        let app = app.clone();
        tokio::spawn(async move {
            app.post(
                &format!("/v1/reservations/{id}/confirm"),
                Some("alice"),
                Some("k2"),
                Some(json!({"payment_intent_id": "pay_1"})),
            )
            .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.send(()).expect("the server is running");
    tokio::time::sleep(Duration::from_millis(200)).await;

    let fresh = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .expect("client");
    let refused = fresh
        .get(format!("http://127.0.0.1:{port}/health"))
        .timeout(Duration::from_secs(2))
        .send()
        .await;
    assert!(
        refused.is_err(),
        "a new connection after shutdown began: {refused:?}"
    );

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
}

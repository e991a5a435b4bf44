//! Starting the service: the HTTP server, and the schema check that guards start-up.

pub use crate::state::{AppState, AppStateBuilder};
use crate::store::{TableNames, Tables};
use dynamo_core::schema::SchemaReport;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Every table of the service checked against its definition and entity, concurrently.
pub async fn check_schemas(
    client: &dynamo_core::Client,
    names: &TableNames,
) -> Result<(), SchemaReport> {
    let targets = Tables::new(client, names).schema_targets();
    dynamo_core::schema::assert_schemas(client, targets).await
}

/// The OpenAPI 3 document the service serves at `/v3/api-docs`, as pretty JSON.
pub fn openapi_json() -> String {
    crate::routes::openapi_json()
}

/// A bound server.
pub struct Server {
    listener: TcpListener,
    router: axum::Router,
}

impl Server {
    /// Binds `port` (0 for any free port) on all interfaces.
    pub async fn bind(state: Arc<AppState>, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("0.0.0.0", port)).await?;
        Ok(Server {
            listener,
            router: crate::routes::router(state),
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(self.listener, self.router)
            .with_graceful_shutdown(shutdown)
            .await
    }
}

//! Starting the service: the HTTP server, and the schema check that guards start-up.

pub use crate::state::{AppState, AppStateBuilder};
use crate::store::{TableNames, Tables};
use dynamo_core::schema::SchemaReport;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

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
    header_read_timeout: Duration,
    max_connections: usize,
}

impl Server {
    /// Binds `port` (0 for any free port) on all interfaces, with the state's
    /// `HEADER_READ_TIMEOUT_MS` and `MAX_CONNECTIONS`.
    pub async fn bind(state: Arc<AppState>, port: u16) -> std::io::Result<Self> {
        let listener = TcpListener::bind(("0.0.0.0", port)).await?;
        let (header_read_timeout, max_connections) = (
            state.settings.header_read_timeout,
            state.settings.max_connections,
        );
        Ok(Server {
            listener,
            router: crate::routes::router(state),
            header_read_timeout,
            max_connections,
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
    ///
    /// Each connection must send a request's headers within `HEADER_READ_TIMEOUT_MS` (hyper's
    /// timer, which `axum::serve` leaves off: a client trickling its headers would hold a
    /// connection forever), and at most `MAX_CONNECTIONS` are open at once: the next waits in
    /// the listen queue until one closes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let graceful = GracefulShutdown::new();
        let open = Arc::new(Semaphore::new(self.max_connections));
        let mut shutdown = std::pin::pin!(shutdown);
        loop {
            let permit = tokio::select! {
                permit = open.clone().acquire_owned() => match permit {
                    Ok(permit) => permit,
                    Err(_) => break,
                },
                () = &mut shutdown => break,
            };
            let stream = tokio::select! {
                accepted = self.listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        // Answers are small: send them at once.
                        let _ = stream.set_nodelay(true);
                        stream
                    }
                    Err(e) => {
                        // Out of file descriptors and the like: wait rather than spin.
                        tracing::warn!(error = %e, "cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                },
                () = &mut shutdown => break,
            };
            let mut http = http1::Builder::new();
            http.timer(TokioTimer::new())
                .header_read_timeout(self.header_read_timeout);
            let service = TowerToHyperService::new(self.router.clone());
            let connection = http.serve_connection(TokioIo::new(stream), service);
            let connection = graceful.watch(connection);
            tokio::spawn(async move {
                if let Err(e) = connection.await {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
                drop(permit);
            });
        }
        drop(self.listener);
        graceful.shutdown().await;
        Ok(())
    }
}

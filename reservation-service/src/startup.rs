//! Starting the service: the HTTP server, and the schema check that guards start-up.

use crate::routes::Serves;
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
use tower::ServiceExt as _;

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

/// A bound server: the public port, and the operational endpoints' own when a management port
/// is set.
pub struct Server {
    public: Listener,
    management: Option<Listener>,
    header_read_timeout: Duration,
    max_connections: usize,
}

/// A bound port and what it serves.
struct Listener {
    listener: TcpListener,
    router: axum::Router,
}

impl Listener {
    async fn bind(state: &Arc<AppState>, port: u16, serves: Serves) -> std::io::Result<Self> {
        Ok(Listener {
            listener: TcpListener::bind(("0.0.0.0", port)).await?,
            router: crate::routes::router(state.clone(), serves),
        })
    }

    fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }
}

impl Server {
    /// Binds `port` (0 for any free port) on all interfaces, and the state's management port
    /// when it is set, with its header deadline and connection limit
    /// ([`ServerSettings`](crate::configuration::ServerSettings)).
    pub async fn bind(state: Arc<AppState>, port: u16) -> std::io::Result<Self> {
        let settings = &state.settings;
        let (public, management) = match settings.server.management_port {
            None => (Listener::bind(&state, port, Serves::All).await?, None),
            Some(management) => (
                Listener::bind(&state, port, Serves::Api).await?,
                Some(Listener::bind(&state, management, Serves::Management).await?),
            ),
        };
        Ok(Server {
            public,
            management,
            header_read_timeout: settings.server.header_read_timeout,
            max_connections: settings.server.max_connections,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.public.port()
    }

    /// The operational endpoints' own bound port, when a management port is set.
    pub fn management_port(&self) -> Option<u16> {
        self.management.as_ref().map(Listener::port)
    }

    /// Serves until `shutdown` resolves, then finishes the requests in flight.
    ///
    /// Each connection must send a request's headers within the header deadline (hyper's
    /// timer, which `axum::serve` leaves off: a client trickling its headers would hold a
    /// connection forever), and at most the connection limit are open at once on each port: the
    /// next waits in the listen queue until one closes.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            shutdown.await;
            let _ = stop.send(true);
        });
        let graceful = GracefulShutdown::new();
        let (header_read_timeout, max_connections) =
            (self.header_read_timeout, self.max_connections);
        let serve = |listener: Listener| {
            accept(
                listener,
                header_read_timeout,
                max_connections,
                &graceful,
                stopped.clone(),
            )
        };
        match self.management {
            Some(management) => {
                tokio::join!(serve(self.public), serve(management));
            }
            None => serve(self.public).await,
        }
        graceful.shutdown().await;
        Ok(())
    }
}

/// Accepts `listener`'s connections until `stopped` turns true, each watched by `graceful`.
async fn accept(
    Listener { listener, router }: Listener,
    header_read_timeout: Duration,
    max_connections: usize,
    graceful: &GracefulShutdown,
    mut stopped: tokio::sync::watch::Receiver<bool>,
) {
    let open = Arc::new(Semaphore::new(max_connections));
    let mut stop = std::pin::pin!(async move {
        let _ = stopped.wait_for(|stopped| *stopped).await;
    });
    loop {
        let permit = tokio::select! {
            permit = open.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
            () = &mut stop => break,
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => {
                    // Answers are small: send them at once.
                    let _ = stream.set_nodelay(true);
                    (stream, peer)
                }
                Err(e) => {
                    // Out of file descriptors and the like: wait rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut stop => break,
        };
        let mut http = http1::Builder::new();
        http.timer(TokioTimer::new())
            .header_read_timeout(header_read_timeout);
        // Each request knows the connection's peer (the client, or the nearest proxy).
        let service = TowerToHyperService::new(router.clone().map_request(
            move |mut request: axum::http::Request<hyper::body::Incoming>| {
                request
                    .extensions_mut()
                    .insert(crate::routes::Peer(peer.ip()));
                request
            },
        ));
        let connection = http.serve_connection(TokioIo::new(stream), service);
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
            drop(permit);
        });
    }
}

//! Serving connections: HTTP/1.1 over hyper with a header-read timeout (which also closes idle
//! kept-alive connections) and a limit on open connections.
//!
//! At the limit a new connection is not left waiting in the accept queue, where it would wait
//! behind clients that may never finish: it is answered `503 unavailable` with `Retry-After` and
//! closed. Those answers have a small budget of their own; past it, a connection is closed at
//! once. Health checks that must not share the API's budget use the admin listener.
//!
//! The body timeout lives with the body's reader ([`super::extract::JsonBody`]): only handlers
//! that read a body wait for one.

use std::{convert::Infallible, future::Future, sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{header, HeaderValue, Request, Response},
    Router,
};
use hyper::{body::Incoming, server::conn::http1};
use hyper_util::{
    rt::{TokioIo, TokioTimer},
    server::graceful::GracefulShutdown,
    service::TowerToHyperService,
};
use recovery_api::{ErrorCode, Problem};
use tokio::{net::TcpListener, sync::Semaphore};
use tower::ServiceExt;

use super::problem::problem_response;

/// Connections that may be waiting for their `503` at once, beyond the limit.
const BUSY_ANSWERS: usize = 64;

/// What a listener allows its clients.
#[derive(Debug, Clone, Copy)]
pub struct ConnectionPolicy {
    pub header_read_timeout: Duration,
    pub max_connections: usize,
}

/// Accepts connections until `shutdown` resolves, then lets the requests in flight finish.
pub async fn serve_connections(
    router: Router,
    listener: TcpListener,
    policy: ConnectionPolicy,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(policy.max_connections));
    let busy_slots = Arc::new(Semaphore::new(BUSY_ANSWERS));
    let graceful = GracefulShutdown::new();
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(policy.header_read_timeout)
        .keep_alive(true);
    let mut busy = http.clone();
    busy.keep_alive(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    if !is_connection_error(&error) {
                        // Out of file descriptors or similar: give the system a moment.
                        tracing::error!(%error, "cannot accept a connection");
                        tokio::select! {
                            () = tokio::time::sleep(Duration::from_secs(1)) => {},
                            () = &mut shutdown => break,
                        }
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        if let Ok(permit) = Arc::clone(&slots).try_acquire_owned() {
            let service = router
                .clone()
                .map_request(move |mut request: Request<Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    request
                });
            let connection = graceful.watch(
                http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(service)),
            );
            tokio::spawn(async move {
                if let Err(error) = connection.await {
                    tracing::debug!(%error, "connection ended with an error");
                }
                drop(permit);
            });
        } else if let Ok(permit) = Arc::clone(&busy_slots).try_acquire_owned() {
            tracing::warn!(
                limit = policy.max_connections,
                "connection limit reached; answering 503"
            );
            let answer = hyper::service::service_fn(|_request: Request<Incoming>| {
                std::future::ready(Ok::<_, Infallible>(busy_response()))
            });
            let connection = graceful.watch(busy.serve_connection(TokioIo::new(stream), answer));
            tokio::spawn(async move {
                let _ = connection.await;
                drop(permit);
            });
        } else {
            drop(stream);
        }
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

fn busy_response() -> Response<Body> {
    let problem = Problem::new(
        ErrorCode::Unavailable,
        "The service is busy. Try again in a moment; nothing was changed.",
    );
    let mut response = problem_response(&problem, Some(1));
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// Errors about one connection (it was reset before we took it): nothing to wait for.
fn is_connection_error(error: &std::io::Error) -> bool {
    matches!(
        error.kind(),
        std::io::ErrorKind::ConnectionRefused
            | std::io::ErrorKind::ConnectionAborted
            | std::io::ErrorKind::ConnectionReset
    )
}

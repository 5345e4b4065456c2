//! Clients that stall are disconnected, and a full service answers instead of queuing: over
//! real sockets, with timeouts of one second.

use std::time::Duration;

use reqwest::StatusCode;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    sync::oneshot,
};

use crate::support::{expect_problem, Backend, TestService};

/// How long a test waits for the service to close a connection before it says the service
/// never does: a guard against hanging, far above the configured timeouts, not a measurement.
const NEVER: Duration = Duration::from_secs(60);

async fn service_with_short_timeouts(max_connections: u32) -> TestService {
    TestService::start_with(Backend::Sqlite, |config| {
        config.http.header_read_timeout_seconds = 1;
        config.http.body_timeout_seconds = 1;
        config.http.max_connections = max_connections;
    })
    .await
}

async fn connect(service: &TestService) -> TcpStream {
    TcpStream::connect(service.base.trim_start_matches("http://"))
        .await
        .unwrap()
}

/// Everything the service sends until it closes the connection.
async fn read_until_closed(stream: &mut TcpStream) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(NEVER, async {
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "the service kept the stalled connection open");
    String::from_utf8_lossy(&received).into_owned()
}

#[tokio::test]
async fn a_request_whose_headers_never_finish_is_disconnected() {
    let service = service_with_short_timeouts(16).await;
    let mut stream = connect(&service).await;
    stream
        .write_all(b"POST /v1/recovery/sessions HTTP/1.1\r\nHost: localhost\r\nContent-Ty")
        .await
        .unwrap();
    let received = read_until_closed(&mut stream).await;
    assert!(
        !received.contains("HTTP/1.1 2"),
        "no request was handled: {received}"
    );
    assert!(service.audit().await.is_empty());
    service.stop().await;
}

#[tokio::test]
async fn a_request_whose_body_never_finishes_is_answered_and_disconnected() {
    let service = service_with_short_timeouts(16).await;
    let mut stream = connect(&service).await;
    stream
        .write_all(
            b"POST /v1/recovery/sessions HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{\"username\":",
        )
        .await
        .unwrap();
    let received = read_until_closed(&mut stream).await;
    assert!(received.starts_with("HTTP/1.1 400 "), "{received}");
    assert!(
        received.contains("content-type: application/problem+json"),
        "{received}"
    );
    assert!(
        received.contains("\"code\":\"malformed_request\""),
        "{received}"
    );
    assert!(service.audit().await.is_empty());
    service.stop().await;
}

#[tokio::test]
async fn an_idle_kept_alive_connection_is_closed() {
    let service = service_with_short_timeouts(16).await;
    let mut stream = connect(&service).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    // The answer comes, and then, with nothing more asked, the connection ends.
    let received = read_until_closed(&mut stream).await;
    assert!(received.starts_with("HTTP/1.1 200 "), "{received}");
    assert_eq!(received.matches("HTTP/1.1 ").count(), 1, "{received}");
    assert!(
        !received.to_ascii_lowercase().contains("connection: close"),
        "the connection was kept alive, then closed for idling: {received}"
    );
    service.stop().await;
}

/// The limit answers `503` at once instead of queuing the new connection behind the stalled
/// ones; the admin listener's `/healthz` has a budget of its own; and once the stalled clients
/// are cut off, the API listener serves `/healthz` again.
#[tokio::test]
async fn stalled_clients_at_the_connection_limit_do_not_starve_health_checks() {
    let service = service_with_short_timeouts(3).await;
    let admin = AdminListener::start(&service).await;
    let mut stalled = Vec::new();
    for _ in 0..3 {
        let mut stream = connect(&service).await;
        stream
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: loc")
            .await
            .unwrap();
        stalled.push(stream);
    }
    // Each request on a connection of its own.
    let fresh = || {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .build()
            .unwrap()
    };

    let shed = fresh().get(service.url("/healthz")).send().await.unwrap();
    assert_eq!(shed.headers()["retry-after"], "1");
    expect_problem(shed, 503, "unavailable").await;

    let health = fresh().get(admin.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), StatusCode::OK);

    for stream in &mut stalled {
        read_until_closed(stream).await;
    }
    // The stalled connections' slots are given back as their tasks end, just after the
    // sockets close: ask until one is free (bounded).
    let mut answered = None;
    for _ in 0..100 {
        let response = fresh().get(service.url("/healthz")).send().await.unwrap();
        if response.status() != StatusCode::SERVICE_UNAVAILABLE {
            answered = Some(response.status());
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(answered, Some(StatusCode::OK));
    admin.stop().await;
    service.stop().await;
}

/// The admin listener (`/metrics`, `/healthz`) of a test service, on a free loopback port.
pub struct AdminListener {
    pub base: String,
    shutdown: oneshot::Sender<()>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl AdminListener {
    pub async fn start(service: &TestService) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(recovery_server::http::serve_admin(
            service.app.clone(),
            listener,
            async {
                stopped.await.ok();
            },
        ));
        Self {
            base,
            shutdown,
            server,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn stop(self) {
        self.shutdown.send(()).ok();
        self.server.await.unwrap().unwrap();
    }
}

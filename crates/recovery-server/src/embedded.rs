//! The service in-process on loopback with the demo directory: what the desktop app starts when
//! no service is configured (the *embedded default*), and what `serve --demo` runs.

use std::net::SocketAddr;

use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{
    app::{App, AppOptions, StartError},
    config::Config,
    demo::{self, DemoError},
    http,
    notify::NotifyConfig,
    telephony::TelephonyConfig,
};

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("cannot make the demo database's folder: {0}")]
    TempDir(std::io::Error),
    #[error(transparent)]
    Start(#[from] StartError),
    #[error("cannot load the demo directory: {0}")]
    Demo(#[from] DemoError),
    #[error("cannot listen on {address}: {source}")]
    Listen {
        address: SocketAddr,
        source: std::io::Error,
    },
}

/// A demo service: a fresh temporary database, the demo people, every message to the outbox.
/// The database is removed when the service is dropped or stopped.
pub struct DemoService {
    app: App,
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
    /// A temporary folder removed on drop, unless the caller chose where the data lives.
    _dir: Option<tempfile::TempDir>,
}

impl DemoService {
    /// Starts on `config.listen` (port 0 picks a free one) with the rest of `config` as given,
    /// but storage, notifications and calls switched to the demo's.
    pub async fn start(config: Config) -> Result<Self, EmbeddedError> {
        Self::start_in(config, None).await
    }

    /// As [`Self::start`], with the demo database in `data_dir` (kept afterwards) when given,
    /// so that end-to-end tests can reach it with the admin CLI (`bypass-code issue`).
    pub async fn start_in(
        mut config: Config,
        data_dir: Option<&std::path::Path>,
    ) -> Result<Self, EmbeddedError> {
        let (folder, temporary) = match data_dir {
            Some(dir) => (dir.to_path_buf(), None),
            None => {
                let dir = tempfile::Builder::new()
                    .prefix("recovery-desk-demo-")
                    .tempdir()
                    .map_err(EmbeddedError::TempDir)?;
                (dir.path().to_path_buf(), Some(dir))
            }
        };
        config.database_url = format!("sqlite://{}", folder.join("demo.db").display());
        config.notify = NotifyConfig::Outbox;
        config.telephony = TelephonyConfig::Outbox;
        if config.help_desk.agents.is_empty() {
            config.help_desk.agents = demo::agents();
        }
        let listen = config.listen;
        let listen_error = |source| EmbeddedError::Listen {
            address: listen,
            source,
        };
        let listener = TcpListener::bind(listen).await.map_err(listen_error)?;
        let address = listener.local_addr().map_err(listen_error)?;
        // Activation links must reach this service: on a free port, unless a public address was
        // configured, they name the address actually bound.
        if config.devices.public_url == crate::config::DevicePolicy::default().public_url {
            config.devices.public_url = format!("http://{address}");
        }
        let app = App::build(
            config,
            AppOptions {
                demo: true,
                ..AppOptions::default()
            },
        )
        .await?;
        // A kept data folder already holds the demo people after the first start.
        if !demo::is_loaded(&app).await? {
            demo::load(&app).await?;
        }
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(http::serve(app.clone(), listener, async move {
            let _ = stopped.await;
        }));
        Ok(Self {
            app,
            address,
            shutdown: Some(shutdown),
            server: Some(server),
            _dir: temporary,
        })
    }

    /// A demo service on a free loopback port with default settings.
    pub async fn start_on_loopback(
        data_dir: Option<&std::path::Path>,
    ) -> Result<Self, EmbeddedError> {
        let config = Config {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..Config::default()
        };
        Self::start_in(config, data_dir).await
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    pub fn app(&self) -> &App {
        &self.app
    }

    /// Stops accepting requests, lets the ones in flight finish, and closes the database.
    pub async fn stop(mut self) {
        self.stop_inner().await;
    }

    async fn stop_inner(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
        self.app.db.close().await;
    }
}

impl Drop for DemoService {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

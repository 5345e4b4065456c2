use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use tokio::net::TcpListener;

use crate::{
    app::{App, AppOptions},
    config::Config,
    demo, http,
    notify::NotifyConfig,
    telephony::TelephonyConfig,
};

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (overrides `listen` in the configuration).
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// Demo mode: a fresh temporary database with the demo directory, messages to the outbox
    /// (`GET /v1/demo/outbox`).
    #[arg(long)]
    demo: bool,
}

pub async fn run(mut config: Config, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    // Held until the server stops: the demo database is removed with it.
    let demo_dir = if args.demo {
        let dir = tempfile::Builder::new()
            .prefix("recovery-desk-demo-")
            .tempdir()?;
        config.database_url = format!("sqlite://{}", dir.path().join("demo.db").display());
        config.notify = NotifyConfig::Outbox;
        config.telephony = TelephonyConfig::Outbox;
        Some(dir)
    } else {
        None
    };
    let app = App::build(
        config,
        AppOptions {
            demo: args.demo,
            ..AppOptions::default()
        },
    )
    .await?;
    if args.demo {
        demo::load(&app)
            .await
            .context("loading the demo directory")?;
    }
    let listener = TcpListener::bind(app.config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", app.config.listen))?;
    let address = listener.local_addr()?;
    let mode = if args.demo {
        " (demo: try user ada, password correct-horse-battery, date of birth 1985-12-10, PIN 246810)"
    } else {
        ""
    };
    println!("Recovery Desk service listening on http://{address}{mode}");
    http::serve(app.clone(), listener, shutdown_signal()).await?;
    app.db.close().await;
    drop(demo_dir);
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {},
            _ = terminate.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
    tracing::info!("shutting down");
}

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use tokio::net::TcpListener;

use crate::{
    app::{App, AppOptions},
    config::Config,
    embedded::DemoService,
    http,
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
    if args.demo {
        let service = DemoService::start(config).await?;
        println!(
            "Recovery Desk service listening on {} (demo: try user ada, password \
             correct-horse-battery, date of birth 1985-12-10, PIN 246810)",
            service.url()
        );
        shutdown_signal().await;
        service.stop().await;
        return Ok(());
    }
    crate::app::refuse_outbox_outside_demo(&config)?;
    let app = App::build(config, AppOptions::default()).await?;
    let listener = TcpListener::bind(app.config.listen)
        .await
        .with_context(|| format!("cannot listen on {}", app.config.listen))?;
    println!(
        "Recovery Desk service listening on http://{}",
        listener.local_addr()?
    );
    http::serve(app.clone(), listener, shutdown_signal()).await?;
    app.db.close().await;
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

use std::net::SocketAddr;

use anyhow::Context;
use clap::Args;
use tokio::{net::TcpListener, sync::watch};

use crate::{
    app::{App, AppOptions},
    config::{AdminListen, Config},
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
    /// With `--demo`: keep the demo database in this folder (created when missing, reused on
    /// the next start) instead of a temporary one.
    #[arg(long, requires = "demo", value_name = "DIR")]
    data_dir: Option<std::path::PathBuf>,
}

pub async fn run(mut config: Config, args: ServeArgs) -> anyhow::Result<()> {
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    let admin = bind_admin(config.http.admin_listen).await?;
    let (stop, stopped) = watch::channel(false);
    let until_stopped = move || {
        let mut stopped = stopped.clone();
        async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }
    };
    if args.demo {
        if let Some(dir) = &args.data_dir {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot make the folder {}", dir.display()))?;
        }
        let service = DemoService::start_in(config, args.data_dir.as_deref()).await?;
        println!(
            "Recovery Desk service listening on {} (demo: try user ada, password \
             correct-horse-battery, date of birth 1985-12-10, PIN 246810)",
            service.url()
        );
        let admin = admin.map(|listener| {
            tokio::spawn(http::serve_admin(
                service.app().clone(),
                listener,
                until_stopped(),
            ))
        });
        shutdown_signal().await;
        let _ = stop.send(true);
        if let Some(admin) = admin {
            admin.await??;
        }
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
    let admin = admin
        .map(|listener| tokio::spawn(http::serve_admin(app.clone(), listener, until_stopped())));
    let api = tokio::spawn(http::serve(app.clone(), listener, until_stopped()));
    shutdown_signal().await;
    let _ = stop.send(true);
    api.await??;
    if let Some(admin) = admin {
        admin.await??;
    }
    app.db.close().await;
    Ok(())
}

/// The admin listener (`/metrics`, `/healthz`), when configured.
async fn bind_admin(admin_listen: AdminListen) -> anyhow::Result<Option<TcpListener>> {
    let AdminListen::At(address) = admin_listen else {
        return Ok(None);
    };
    let listener = TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} (http.admin_listen)"))?;
    println!(
        "Admin listener (metrics, health) on http://{}",
        listener.local_addr()?
    );
    Ok(Some(listener))
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

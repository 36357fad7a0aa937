//! Running the HTTP server until a shutdown signal, then draining.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use crate::state::AppState;

/// The platform kills an app 15 s after SIGTERM; in-flight requests get a little less than that.
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(14);

/// Serves `router` on `addr` (HTTP/1.1 and h2c) until SIGTERM or Ctrl-C, then drains.
pub async fn run(addr: SocketAddr, router: Router, state: AppState) -> anyhow::Result<()> {
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("failed to listen on {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!(address = %local, "listening");

    axum::serve(listener, router)
        .with_graceful_shutdown(async move {
            shutdown_signal().await;
            state.start_draining();
            tracing::info!(
                drain_timeout_seconds = DRAIN_TIMEOUT.as_secs(),
                "shutting down: draining requests"
            );
            tokio::spawn(async {
                tokio::time::sleep(DRAIN_TIMEOUT).await;
                tracing::warn!("drain timeout reached: exiting with requests still in flight");
                std::process::exit(0);
            });
        })
        .await
        .context("server failed")?;

    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %error, "failed to listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };

    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(error = %error, "failed to listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();

    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

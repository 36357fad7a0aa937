//! Running the HTTP server (HTTP/1.1 and h2c) until SIGTERM or Ctrl-C, then shutting down within
//! the drain deadline.
//!
//! Shutdown runs these steps, each logged:
//!
//! 1. `/api/ready` starts returning 503.
//! 2. New connections are still served for `SHUTDOWN_READINESS_DELAY_MS` (default 0), so a load
//!    balancer that polls readiness can stop routing here first.
//! 3. The listener closes, so new connections are refused, and idle keep-alive connections close.
//!    In-flight requests run to the end; HTTP/1.1 responses then close their connection and
//!    HTTP/2 connections get GOAWAY.
//! 4. Background tasks are cancelled and awaited, at the same time as step 3.
//! 5. The database pool closes.
//!
//! All of it ends within `SHUTDOWN_DRAIN_SECONDS` (default 14) of the signal, because the
//! platform kills an app 15 s after SIGTERM. Requests still running at the deadline are dropped.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::state::AppState;

/// Time kept back from the drain deadline for closing the database pool.
const POOL_CLOSE_RESERVE: Duration = Duration::from_millis(500);

/// Serves `router` on `addr` until a shutdown signal, then shuts down. `started` is when the
/// command began, so the `listening` log line can report the start-up time in `startup_ms`.
pub async fn run(
    addr: SocketAddr,
    router: Router,
    state: AppState,
    started: Instant,
) -> anyhow::Result<()> {
    // Installed before the `listening` line, so a signal sent right after it is not missed.
    let mut signals = ShutdownSignals::install()?;
    let listener = TcpListener::bind(addr)
        .await
        .with_context(|| format!("failed to listen on {addr}"))?;
    let local = listener.local_addr()?;
    tracing::info!(
        address = %local,
        app_name = state.config.app_name.as_deref().unwrap_or(""),
        startup_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        "listening"
    );

    let stop_accepting = CancellationToken::new();
    let mut server = tokio::spawn(crate::http::server::serve(
        listener,
        router,
        stop_accepting.clone().cancelled_owned(),
    ));

    let signal = tokio::select! {
        signal = signals.recv() => signal,
        result = &mut server => {
            result.context("the server task failed")?.context("server failed")?;
            anyhow::bail!("the server stopped without a shutdown signal");
        }
    };
    shut_down(&state, signal, &stop_accepting, server).await;
    Ok(())
}

/// Runs the shutdown steps of the module documentation after `signal` arrived.
async fn shut_down(
    state: &AppState,
    signal: &'static str,
    stop_accepting: &CancellationToken,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
) {
    let drain = state.config.shutdown_drain;
    let signal_at = Instant::now();
    let deadline = tokio::time::Instant::from_std(signal_at + drain);
    exit_at_deadline(drain);

    state.start_draining();
    let readiness_delay = state.config.shutdown_readiness_delay;
    tracing::info!(
        signal,
        drain_seconds = drain.as_secs(),
        readiness_delay_ms = duration_ms(readiness_delay),
        "shutdown started: /api/ready returns 503"
    );
    tokio::time::sleep(readiness_delay).await;

    stop_accepting.cancel();
    tracing::info!(
        background_tasks = state.background.len(),
        "stopped accepting connections: waiting for in-flight requests and background tasks"
    );
    let drained = tokio::time::timeout_at(
        deadline - POOL_CLOSE_RESERVE,
        futures::future::join(server, state.background.shutdown()),
    )
    .await;
    match drained {
        Ok((Ok(Ok(())), ())) => {
            tracing::info!(
                elapsed_ms = duration_ms(signal_at.elapsed()),
                "in-flight requests and background tasks finished"
            );
        }
        Ok((Ok(Err(error)), ())) => {
            tracing::error!(error = %error, "server failed while draining");
        }
        Ok((Err(error), ())) => {
            tracing::error!(error = %error, "the server task failed while draining");
        }
        Err(_) => {
            tracing::warn!(
                background_tasks = state.background.len(),
                "drain deadline reached: dropping the requests and tasks still running"
            );
        }
    }

    if let Some(store) = &state.store {
        if tokio::time::timeout_at(deadline, store.close())
            .await
            .is_ok()
        {
            tracing::info!("database pool closed");
        } else {
            tracing::warn!("drain deadline reached while closing the database pool");
        }
    }
    tracing::info!(shutdown_ms = duration_ms(signal_at.elapsed()), "stopped");
}

/// Exits the process with status 1 when shutdown has not finished `drain` from now, in case a
/// step hangs past its timeout (for example a blocking task the runtime waits for at exit).
fn exit_at_deadline(drain: Duration) {
    let spawned = std::thread::Builder::new()
        .name("shutdown-deadline".to_owned())
        .spawn(move || {
            std::thread::sleep(drain);
            tracing::error!(
                drain_seconds = drain.as_secs(),
                "shutdown did not finish within the drain deadline: exiting now"
            );
            std::process::exit(1);
        });
    if let Err(error) = spawned {
        tracing::warn!(error = %error, "failed to start the shutdown deadline thread");
    }
}

fn duration_ms(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis()).unwrap_or(u64::MAX)
}

/// The signals that start a shutdown: SIGTERM (the platform stopping the app) and SIGINT
/// (Ctrl-C).
struct ShutdownSignals {
    #[cfg(unix)]
    terminate: tokio::signal::unix::Signal,
    #[cfg(unix)]
    interrupt: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    #[cfg(unix)]
    fn install() -> anyhow::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};

        Ok(Self {
            terminate: signal(SignalKind::terminate()).context("failed to listen for SIGTERM")?,
            interrupt: signal(SignalKind::interrupt()).context("failed to listen for SIGINT")?,
        })
    }

    #[cfg(not(unix))]
    fn install() -> anyhow::Result<Self> {
        Ok(Self {})
    }

    /// Waits for the first signal and returns its name.
    #[cfg(unix)]
    async fn recv(&mut self) -> &'static str {
        tokio::select! {
            _ = self.terminate.recv() => "SIGTERM",
            _ = self.interrupt.recv() => "SIGINT",
        }
    }

    #[cfg(not(unix))]
    async fn recv(&mut self) -> &'static str {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %error, "failed to listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
        "Ctrl-C"
    }
}

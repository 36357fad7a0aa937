//! `workspace-emulator`: run the emulator as a standalone server.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Parser;
use tracing_subscriber::EnvFilter;
use workspace_emulator::{Emulator, Fixture};

/// A local, in-memory Databricks workspace for development and tests.
#[derive(Debug, Parser)]
#[command(name = "workspace-emulator", version)]
struct Args {
    /// TCP port to listen on. 0 picks a free port, shown in the base URL printed at start.
    #[arg(long, default_value_t = 0)]
    port: u16,

    /// IP address to bind. Non-loopback addresses also need --insecure-bind-any.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    bind: IpAddr,

    /// Allow binding a non-loopback address. The control plane under /__emulator/ is
    /// unauthenticated, so anyone who can reach the port can mint tokens.
    #[arg(long)]
    insecure_bind_any: bool,

    /// Fixture file, TOML or JSON (name ending in .json). Default: the built-in fixture.
    #[arg(long)]
    fixture: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logging();

    if !args.bind.is_loopback() && !args.insecure_bind_any {
        bail!(
            "refusing to bind non-loopback address {}: the control plane is unauthenticated; \
             pass --insecure-bind-any to bind it anyway",
            args.bind
        );
    }
    let fixture = match &args.fixture {
        Some(path) => Fixture::from_path(path)?,
        None => Fixture::default_fixture(),
    };
    let emulator = Emulator::start(fixture, SocketAddr::new(args.bind, args.port))
        .await
        .with_context(|| format!("failed to start on {}:{}", args.bind, args.port))?;
    println!("{}", emulator.base_url());

    wait_for_shutdown_signal().await?;
    emulator.shutdown().await;
    Ok(())
}

/// Sets up JSON log lines on stderr. `RUST_LOG` sets the filter (default `info`).
fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .json()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

/// Completes on Ctrl-C, or on SIGTERM on Unix.
async fn wait_for_shutdown_signal() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .context("failed to listen for SIGTERM")?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result.context("failed to listen for Ctrl-C")?,
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c()
        .await
        .context("failed to listen for Ctrl-C")?;
    tracing::info!("shutdown signal received");
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory as _;

    use super::Args;

    #[test]
    fn cli_definition_is_valid() {
        Args::command().debug_assert();
    }
}

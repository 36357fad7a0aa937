//! A running emulator instance.

use std::net::SocketAddr;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::fixture::Fixture;
use crate::state::AppState;
use crate::{app, server};

/// An emulator serving on a TCP port until [`Emulator::shutdown`] or drop.
///
/// Any number can run in one process. Bind port 0 to get a free port each time.
#[derive(Debug)]
pub struct Emulator {
    local_addr: SocketAddr,
    shutdown: CancellationToken,
    server: Option<JoinHandle<()>>,
}

impl Emulator {
    /// Validates the fixture, binds `addr` and starts serving in the background.
    ///
    /// An invalid fixture returns an error of kind [`std::io::ErrorKind::InvalidInput`].
    pub async fn start(fixture: Fixture, addr: SocketAddr) -> std::io::Result<Emulator> {
        fixture
            .validate()
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let shutdown = CancellationToken::new();
        let router = app::router(AppState::new(fixture));
        let server = tokio::spawn(server::serve(listener, router, shutdown.clone()));
        tracing::info!(%local_addr, "workspace emulator started");
        Ok(Emulator {
            local_addr,
            shutdown,
            server: Some(server),
        })
    }

    /// `http://<ip>:<port>` without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.local_addr)
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// Stops accepting, closes every connection (including hanging ones) and waits for the
    /// server task to finish.
    pub async fn shutdown(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take()
            && let Err(error) = server.await
        {
            tracing::error!(%error, "workspace emulator server task failed");
        }
        tracing::info!(local_addr = %self.local_addr, "workspace emulator stopped");
    }
}

impl Drop for Emulator {
    /// Stops the server in the background when the emulator is dropped without `shutdown`.
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

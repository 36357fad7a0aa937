//! The accept loop. Each connection is served by hyper under its own cancellation token, so a
//! fault can close one connection without a response, and shutdown can close them all.

use axum::{Extension, Router};
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::service::TowerToHyperService;
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::Layer as _;

/// Back-off after a failed `accept` (for example, too many open files).
const ACCEPT_RETRY_DELAY: std::time::Duration = std::time::Duration::from_millis(50);

/// Control over the connection a request arrived on, given to handlers as a request extension.
#[derive(Debug, Clone)]
pub(crate) struct ConnectionHandle {
    connection: CancellationToken,
    server: CancellationToken,
}

impl ConnectionHandle {
    /// Closes the connection without writing anything more. The caller must then wait in
    /// [`ConnectionHandle::server_stopped`] so its own response is never written.
    pub(crate) fn close(&self) {
        self.connection.cancel();
    }

    /// Completes when the emulator shuts down, which also closes every connection.
    pub(crate) async fn server_stopped(&self) {
        self.server.cancelled().await;
    }
}

/// Accepts connections until `shutdown` is cancelled, then closes all of them.
pub(crate) async fn serve(listener: TcpListener, router: Router, shutdown: CancellationToken) {
    let connections = TaskTracker::new();
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
        };
        match accepted {
            Ok((stream, _peer)) => {
                let handle = ConnectionHandle {
                    connection: shutdown.child_token(),
                    server: shutdown.clone(),
                };
                connections.spawn(serve_connection(stream, router.clone(), handle));
            }
            Err(error) => {
                tracing::warn!(%error, "failed to accept a connection; retrying");
                tokio::time::sleep(ACCEPT_RETRY_DELAY).await;
            }
        }
    }
    connections.close();
    connections.wait().await;
}

async fn serve_connection(stream: TcpStream, router: Router, handle: ConnectionHandle) {
    let connection_token = handle.connection.clone();
    // Releases handlers waiting on this connection once it ends for any reason.
    let _cancel_on_exit = connection_token.clone().drop_guard();
    let service = TowerToHyperService::new(Extension(handle).layer(router));
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::select! {
        // Checked first so that a closing connection is dropped (closing the socket) before
        // hyper can write a response that a handler produced afterwards.
        biased;
        () = connection_token.cancelled() => {}
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, "connection ended with an error");
            }
        }
    }
}

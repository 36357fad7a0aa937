//! The connection loop: HTTP/1.1 and h2c on one port, with header limits sized for the forwarded
//! user token, and graceful shutdown.
//!
//! It does what `axum::serve` does, except that it raises hyper's HTTP/2 default of 16 KiB for a
//! request's header list, which a user token of 12 KiB plus the browser's cookies can pass.
//! HTTP/1.1 keeps hyper's size limits (hyper 1.x): at most 100 header fields and about 400 KiB
//! for the request line and headers together. Hyper rejects requests past these limits with an
//! empty 431 before they reach the app. Below them, [`crate::http::limits`] rejects a header block
//! over its own limit with a JSON 431.
//!
//! There is no timeout for receiving request headers. In hyper 1.x that timer also runs while a
//! keep-alive connection waits for its next request, so it closes idle connections, and a client
//! that reuses one at that moment loses its request: a soak run lost a `POST` this way. On
//! Databricks Apps only the platform's proxy connects to the app, so slow clients meet the proxy's
//! timeouts first.

use std::future::Future;
use std::io;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

/// The largest HTTP/2 request header list accepted, counted as HTTP/2 does (name, value and 32
/// bytes per field). It is above [`crate::http::limits::MAX_HEADER_BYTES`], so that most
/// oversized header blocks reach the app and get its JSON 431.
pub const MAX_HTTP2_HEADER_LIST_BYTES: u32 = 128 * 1024;

/// How long to wait after an accept error that is not about a single connection, such as running
/// out of file descriptors.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_secs(1);

/// Serves `router` on `listener` until `shutdown` completes, then stops accepting, lets every
/// open connection finish its in-flight requests (HTTP/1.1 connections close after their
/// response, HTTP/2 connections get GOAWAY) and returns when all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http2()
        .max_header_list_size(MAX_HTTP2_HEADER_LIST_BYTES);
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);

    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(error) => {
                    pause_after_accept_error(&error).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = TowerToHyperService::new(router.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(error = %error, "connection ended with an error");
            }
        });
    }

    drop(listener);
    connections.shutdown().await;
    Ok(())
}

/// Returns at once after an error about one connection, such as a peer that gave up. Other errors,
/// such as running out of file descriptors, are logged and pause the loop.
async fn pause_after_accept_error(error: &io::Error) {
    if matches!(
        error.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    ) {
        return;
    }
    tracing::error!(error = %error, "failed to accept a connection");
    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
}

//! Background tasks that stop when the server shuts down.

use std::future::Future;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The app's long-running tasks, such as refresh loops and cleanup jobs.
///
/// Shutdown cancels the token, then waits for every task spawned here to end, within the drain
/// deadline. A task spawned with [`spawn`](Self::spawn) is dropped at its next `.await` once the
/// token is cancelled. A task that must clean up first takes the token with
/// [`spawn_with_token`](Self::spawn_with_token) and returns soon after it is cancelled.
/// Cheap to clone: clones share the token and the tracker.
#[derive(Debug, Clone, Default)]
pub struct BackgroundTasks {
    cancel: CancellationToken,
    tracker: TaskTracker,
}

impl BackgroundTasks {
    pub fn new() -> Self {
        Self::default()
    }

    /// Spawns `task` on the Tokio runtime and drops it when shutdown starts.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let cancel = self.cancel.clone();
        self.tracker.spawn(async move {
            tokio::select! {
                () = cancel.cancelled() => {}
                () = task => {}
            }
        })
    }

    /// Spawns the future that `task` builds from the cancellation token. The future must return
    /// soon after the token is cancelled.
    pub fn spawn_with_token<F>(&self, task: impl FnOnce(CancellationToken) -> F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(task(self.cancel.clone()))
    }

    /// Returns the token that is cancelled when shutdown starts.
    pub fn cancellation_token(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Returns the number of tasks that have not ended yet.
    pub fn len(&self) -> usize {
        self.tracker.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracker.is_empty()
    }

    /// Cancels the token and waits until every task has ended.
    pub async fn shutdown(&self) {
        self.cancel.cancel();
        self.tracker.close();
        self.tracker.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn shutdown_drops_plain_tasks() {
        let tasks = BackgroundTasks::new();
        tasks.spawn(std::future::pending());
        assert_eq!(tasks.len(), 1);

        tokio::time::timeout(Duration::from_secs(5), tasks.shutdown())
            .await
            .expect("shutdown ends");

        assert!(tasks.is_empty());
    }

    #[tokio::test]
    async fn shutdown_waits_for_cleanup() {
        let tasks = BackgroundTasks::new();
        let cleaned_up = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&cleaned_up);
        tasks.spawn_with_token(|cancel| async move {
            cancel.cancelled().await;
            tokio::time::sleep(Duration::from_millis(50)).await;
            flag.store(true, Ordering::SeqCst);
        });

        tokio::time::timeout(Duration::from_secs(5), tasks.shutdown())
            .await
            .expect("shutdown ends");

        assert!(cleaned_up.load(Ordering::SeqCst));
    }
}

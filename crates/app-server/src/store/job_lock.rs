//! A lock that lets one run of a job proceed at a time, across processes that share a database.
//!
//! - PostgreSQL: a session-level advisory lock (`pg_try_advisory_lock`) held on one connection
//!   taken from the pool. The connection is closed when the lock is released or dropped, and the
//!   server releases a session's advisory locks when the session ends, so a crashed run never
//!   leaves the lock behind.
//! - SQLite on a file: an exclusive `flock` on `<database file>.<job>.lock` beside the database.
//!   The operating system releases it when the file is closed or the process exits.
//! - SQLite in memory: a lock inside this process, because no other process can open the
//!   database.

use std::collections::HashSet;
use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::path::PathBuf;
use std::sync::{LazyLock, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use sqlx::Postgres;
use sqlx::pool::PoolConnection;

use super::StoreError;

/// Keys of the in-process locks held now: the in-memory database's name and the job.
static IN_PROCESS_LOCKS: LazyLock<Mutex<HashSet<String>>> =
    LazyLock::new(|| Mutex::new(HashSet::new()));

/// A held job lock. Dropping it releases the lock too, but only [`release`](Self::release) logs a
/// failure to release.
pub struct JobLock {
    job: String,
    held: Held,
}

enum Held {
    Postgres {
        connection: PoolConnection<Postgres>,
        key: i64,
    },
    File(File),
    InProcess(InProcessLock),
}

impl JobLock {
    /// Returns the name of the locked job.
    pub fn job(&self) -> &str {
        &self.job
    }

    /// Releases the lock.
    pub async fn release(self) {
        match self.held {
            Held::Postgres {
                mut connection,
                key,
            } => {
                let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(key)
                    .execute(&mut *connection)
                    .await;
                if let Err(error) = unlocked {
                    tracing::warn!(
                        error = %error,
                        job = self.job,
                        "failed to release the job's advisory lock: closing its connection \
                         releases it"
                    );
                }
            }
            Held::File(file) => {
                if let Err(error) = file.unlock() {
                    tracing::warn!(
                        error = %error,
                        job = self.job,
                        "failed to unlock the job's lock file: closing it releases the lock"
                    );
                }
            }
            Held::InProcess(lock) => drop(lock),
        }
    }

    /// Wraps an advisory lock held on `connection`, which is closed instead of returned to the
    /// pool once the lock ends.
    pub(super) fn postgres(job: &str, mut connection: PoolConnection<Postgres>, key: i64) -> Self {
        connection.close_on_drop();
        Self {
            job: job.to_owned(),
            held: Held::Postgres { connection, key },
        }
    }

    /// Locks `<database_file>.<job>.lock`, creating the file when missing. Returns `None` when
    /// another handle holds the lock, in this process or another.
    pub(super) async fn lock_file(
        database_file: &str,
        job: &str,
    ) -> Result<Option<Self>, StoreError> {
        let path = PathBuf::from(format!("{database_file}.{job}.lock"));
        let locked = tokio::task::spawn_blocking(move || try_lock_file(&path))
            .await
            .map_err(|error| StoreError::Unavailable(format!("the lock task failed: {error}")))?;
        Ok(locked?.map(|file| Self {
            job: job.to_owned(),
            held: Held::File(file),
        }))
    }

    /// Takes the in-process lock of `job` on the in-memory database named `database`.
    pub(super) fn lock_in_process(database: &str, job: &str) -> Option<Self> {
        let key = format!("{database}#{job}");
        let mut held = IN_PROCESS_LOCKS
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if !held.insert(key.clone()) {
            return None;
        }
        Some(Self {
            job: job.to_owned(),
            held: Held::InProcess(InProcessLock { key }),
        })
    }
}

/// Returns the advisory lock key of `job`: the first 8 bytes of a SHA-256, so that unrelated
/// applications on the same database are unlikely to pick the same key.
pub(super) fn advisory_key(job: &str) -> i64 {
    let digest = Sha256::digest(format!("app-server job {job}").as_bytes());
    let mut first = [0_u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

fn try_lock_file(path: &std::path::Path) -> Result<Option<File>, StoreError> {
    let cannot = |error: std::io::Error| {
        StoreError::Unavailable(format!(
            "cannot lock the job lock file {}: {error}",
            path.display()
        ))
    };
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(cannot)?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(TryLockError::WouldBlock) => Ok(None),
        Err(TryLockError::Error(error)) => Err(cannot(error)),
    }
}

/// Removes its key from [`IN_PROCESS_LOCKS`] when dropped.
struct InProcessLock {
    key: String,
}

impl Drop for InProcessLock {
    fn drop(&mut self) {
        IN_PROCESS_LOCKS
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&self.key);
    }
}

impl fmt::Debug for JobLock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.held {
            Held::Postgres { .. } => "postgres advisory lock",
            Held::File(_) => "lock file",
            Held::InProcess(_) => "in-process lock",
        };
        f.debug_struct("JobLock")
            .field("job", &self.job)
            .field("kind", &kind)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advisory_keys_differ_per_job() {
        assert_eq!(advisory_key("retention"), advisory_key("retention"));
        assert_ne!(advisory_key("retention"), advisory_key("other"));
    }

    #[test]
    fn in_process_lock_is_exclusive_until_dropped() {
        let first = JobLock::lock_in_process("memory-test", "job").expect("free lock");
        assert!(JobLock::lock_in_process("memory-test", "job").is_none());
        assert!(JobLock::lock_in_process("other-database", "job").is_some());

        drop(first);

        assert!(JobLock::lock_in_process("memory-test", "job").is_some());
    }

    #[tokio::test]
    async fn lock_file_is_exclusive_until_released() {
        let dir = tempfile::tempdir().expect("temporary folder");
        let database = dir.path().join("app.db");
        let database = database.to_str().expect("UTF-8 path");

        let first = JobLock::lock_file(database, "job")
            .await
            .expect("lock file opens")
            .expect("free lock");
        let second = JobLock::lock_file(database, "job")
            .await
            .expect("lock file opens");
        assert!(second.is_none());

        first.release().await;

        let third = JobLock::lock_file(database, "job")
            .await
            .expect("lock file opens");
        assert!(third.is_some());
    }
}

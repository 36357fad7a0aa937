//! One run of the retention job (see the module documentation of `retention`).

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use databricks_client::WorkspaceClient;
use futures::StreamExt;
use serde::Serialize;

use super::decision::{Decision, Lookup, decide, is_looked_up};
use super::progress::Progress;
use crate::domain::UserId;
use crate::store::{CrossUserAccess, KnownUser, PurgeRequest, Store, StoreError, UserRowCounts};
use crate::telemetry::metrics::auth::user_id_hash;

/// The name of the job's lock.
pub const JOB_NAME: &str = "retention";

/// The actor recorded for runs that no person started (the daily schedule and the command line).
pub const SCHEDULED_ACTOR: &str = "retention-job";

/// The reason for reading and deleting other users' rows, as the store logs it.
const ACCESS_REASON: &str = "retention of data left by deactivated users";

/// Rows deleted per statement.
const DELETE_BATCH_SIZE: u32 = 1_000;

/// Workspace lookups in flight at once.
const LOOKUP_CONCURRENCY: usize = 8;

/// The settings of one run.
#[derive(Debug, Clone)]
pub struct JobOptions {
    /// Days from a user's deactivation mark until the user's data is deleted.
    pub retention_days: u32,
    /// Report what would change, and change nothing.
    pub dry_run: bool,
    /// The time the policy is applied at: new marks get it, and the retention period ends
    /// `retention_days` before it. Tests pass a time of their choice.
    pub now: DateTime<Utc>,
    /// The actor who started the run: an admin's user id, or [`SCHEDULED_ACTOR`].
    pub actor: String,
    /// Rows deleted per statement, at least 1.
    pub batch_size: u32,
}

impl JobOptions {
    /// Options for a run now, with the default batch size.
    pub fn new(retention_days: u32, dry_run: bool, actor: impl Into<String>) -> Self {
        Self {
            retention_days,
            dry_run,
            now: Utc::now(),
            actor: actor.into(),
            batch_size: DELETE_BATCH_SIZE,
        }
    }

    /// Returns the latest deactivation mark whose user's data is deleted.
    pub fn deactivated_before(&self) -> DateTime<Utc> {
        self.now - Duration::days(i64::from(self.retention_days))
    }
}

/// The outcome of a run: what it changed, or in a dry run would change.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobSummary {
    pub dry_run: bool,
    pub retention_days: u32,
    /// Users marked as deactivated at or before this time had their data deleted.
    pub deactivated_before: DateTime<Utc>,
    /// Users looked up in the workspace.
    pub users_checked: u64,
    /// Users not looked up, because their id is a service principal's.
    pub users_skipped: u64,
    /// Lookups that failed. Those users keep their mark and their data until a later run.
    pub lookup_failures: u64,
    /// Users found inactive or missing for the first time, and marked now.
    pub newly_deactivated: u64,
    /// Marked users found active again, and unmarked.
    pub reactivated: u64,
    /// Users who had at least one row deleted.
    pub users_purged: u64,
    pub rows_deleted: UserRowCounts,
    pub started_at: DateTime<Utc>,
    pub finished_at: DateTime<Utc>,
}

/// A run that did not complete.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(
        "the retention job is already running (started by another process, request or the \
         daily schedule); try again after it finishes"
    )]
    AlreadyRunning,
    #[error("the retention job failed: {0}")]
    Store(#[from] StoreError),
}

/// Runs the job once with `store` and `directory`, the app's service principal client for the
/// workspace lookups.
///
/// Returns [`JobError::AlreadyRunning`] at once when another run holds the job lock, in this
/// process or another one on the same database. A store failure ends the run: the users purged
/// before it stay purged, and the others keep their data.
pub async fn run(
    store: &dyn Store,
    directory: &WorkspaceClient,
    options: &JobOptions,
) -> Result<JobSummary, JobError> {
    let started_at = Utc::now();
    let Some(lock) = store.try_lock_job(JOB_NAME).await? else {
        tracing::info!(
            event = "retention.already_running",
            actor = options.actor,
            "retention job not started: another run holds its lock"
        );
        return Err(JobError::AlreadyRunning);
    };
    tracing::info!(
        event = "retention.started",
        actor = options.actor,
        dry_run = options.dry_run,
        retention_days = options.retention_days,
        deactivated_before = %options.deactivated_before(),
        "retention job started"
    );

    let result = run_locked(store, directory, options, started_at).await;
    lock.release().await;

    match &result {
        Ok(summary) => log_summary(summary, &options.actor),
        Err(error) => tracing::error!(
            event = "retention.failed",
            actor = options.actor,
            error = %error,
            "retention job failed"
        ),
    }
    result
}

async fn run_locked(
    store: &dyn Store,
    directory: &WorkspaceClient,
    options: &JobOptions,
    started_at: DateTime<Utc>,
) -> Result<JobSummary, JobError> {
    let access = CrossUserAccess {
        actor: &options.actor,
        reason: ACCESS_REASON,
    };
    let deactivated_before = options.deactivated_before();
    let mut summary = JobSummary {
        dry_run: options.dry_run,
        retention_days: options.retention_days,
        deactivated_before,
        users_checked: 0,
        users_skipped: 0,
        lookup_failures: 0,
        newly_deactivated: 0,
        reactivated: 0,
        users_purged: 0,
        rows_deleted: UserRowCounts::default(),
        started_at,
        finished_at: started_at,
    };

    let known = store.known_users(&access).await?;
    let to_purge = update_marks(store, directory, options, known, &mut summary).await?;
    purge(store, &access, options, &to_purge, &mut summary).await?;

    summary.finished_at = Utc::now();
    Ok(summary)
}

/// Looks every known user up, writes the marks that changed (none in a dry run), and returns the
/// users whose data is to be deleted.
async fn update_marks(
    store: &dyn Store,
    directory: &WorkspaceClient,
    options: &JobOptions,
    known: Vec<KnownUser>,
    summary: &mut JobSummary,
) -> Result<Vec<UserId>, StoreError> {
    let mut progress = Progress::new("lookups", known.len());
    let mut lookups = futures::stream::iter(known)
        .map(|user| async move {
            let lookup = look_up(directory, &user.user_id).await;
            (user, lookup)
        })
        .buffered(LOOKUP_CONCURRENCY);

    let mut to_purge = Vec::new();
    let mut done = 0;
    while let Some((user, lookup)) = lookups.next().await {
        done += 1;
        progress.update(done);
        if lookup != Lookup::Skipped {
            summary.users_checked += 1;
        }
        match decide(&user, lookup, options.deactivated_before()) {
            Decision::Skip => summary.users_skipped += 1,
            Decision::LookupFailed => summary.lookup_failures += 1,
            Decision::KeepActive | Decision::WaitForRetention => {}
            Decision::MarkDeactivated => {
                summary.newly_deactivated += 1;
                log_mark(&user.user_id, "retention.user_deactivated", options);
                if !options.dry_run {
                    store
                        .mark_user_deactivated(&user.user_id, options.now)
                        .await?;
                }
            }
            Decision::MarkActive => {
                summary.reactivated += 1;
                log_mark(&user.user_id, "retention.user_reactivated", options);
                if !options.dry_run {
                    store.mark_user_active(&user.user_id).await?;
                }
            }
            Decision::Purge => to_purge.push(user.user_id),
        }
    }
    Ok(to_purge)
}

/// Looks `user_id` up in the workspace, logging a failure.
async fn look_up(directory: &WorkspaceClient, user_id: &UserId) -> Lookup {
    if !is_looked_up(user_id.as_str()) {
        return Lookup::Skipped;
    }
    match directory.user_status(user_id.as_str()).await {
        Ok(status) => Lookup::Answered(status),
        Err(error) => {
            tracing::warn!(
                event = "retention.lookup_failed",
                user.id_hash = user_id_hash(user_id),
                error = %error,
                "failed to look the user up in the workspace: the user's mark and data stay as \
                 they are until a later run"
            );
            Lookup::Failed
        }
    }
}

/// Deletes the data of each user in `users`, one transaction per user, and logs an audit line
/// per user.
async fn purge(
    store: &dyn Store,
    access: &CrossUserAccess<'_>,
    options: &JobOptions,
    users: &[UserId],
    summary: &mut JobSummary,
) -> Result<(), StoreError> {
    let mut progress = Progress::new("deletions", users.len());
    for (index, user_id) in users.iter().enumerate() {
        let request = PurgeRequest {
            user_id,
            deactivated_before: summary.deactivated_before,
            batch_size: options.batch_size,
            dry_run: options.dry_run,
        };
        let Some(deleted) = store.purge_user_data(access, &request).await? else {
            tracing::info!(
                event = "retention.purge_skipped",
                user.id_hash = user_id_hash(user_id),
                "user no longer due for deletion: kept the data"
            );
            continue;
        };
        if deleted.total() > 0 {
            summary.users_purged += 1;
            summary.rows_deleted.add(deleted);
            log_purge(user_id, deleted, options);
        }
        progress.update(index + 1);
    }
    Ok(())
}

/// Writes the audit line of one user's deletion.
fn log_purge(user_id: &UserId, deleted: UserRowCounts, options: &JobOptions) {
    let user_id_hash = user_id_hash(user_id);
    if options.dry_run {
        tracing::info!(
            event = "retention.purge",
            actor = options.actor,
            dry_run = true,
            user.id_hash = user_id_hash,
            user_preferences = deleted.user_preferences,
            model_inference_logs = deleted.model_inference_logs,
            users = deleted.users,
            "dry run: would delete the data of a deactivated user"
        );
    } else {
        tracing::info!(
            event = "retention.purge",
            actor = options.actor,
            dry_run = false,
            user.id_hash = user_id_hash,
            user_preferences = deleted.user_preferences,
            model_inference_logs = deleted.model_inference_logs,
            users = deleted.users,
            "deleted the data of a deactivated user"
        );
    }
}

fn log_mark(user_id: &UserId, event: &'static str, options: &JobOptions) {
    tracing::info!(
        event,
        actor = options.actor,
        dry_run = options.dry_run,
        user.id_hash = user_id_hash(user_id),
        "user status in the workspace changed"
    );
}

fn log_summary(summary: &JobSummary, actor: &str) {
    tracing::info!(
        event = "retention.finished",
        actor,
        dry_run = summary.dry_run,
        users_checked = summary.users_checked,
        users_skipped = summary.users_skipped,
        lookup_failures = summary.lookup_failures,
        newly_deactivated = summary.newly_deactivated,
        reactivated = summary.reactivated,
        users_purged = summary.users_purged,
        user_preferences_deleted = summary.rows_deleted.user_preferences,
        model_inference_logs_deleted = summary.rows_deleted.model_inference_logs,
        users_deleted = summary.rows_deleted.users,
        "retention job finished"
    );
}

impl fmt::Display for JobSummary {
    /// Formats the summary for people, one fact per line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (purged, deleted) = if self.dry_run {
            (
                "users whose data would be deleted",
                "rows that would be deleted",
            )
        } else {
            ("users whose data was deleted", "rows deleted")
        };
        if self.dry_run {
            writeln!(f, "dry run: nothing was changed")?;
        }
        writeln!(
            f,
            "retention period: {} days (users marked as deactivated at or before {})",
            self.retention_days,
            self.deactivated_before.to_rfc3339()
        )?;
        writeln!(
            f,
            "users looked up in the workspace: {} ({} service principals skipped, {} failed lookups)",
            self.users_checked, self.users_skipped, self.lookup_failures
        )?;
        writeln!(
            f,
            "newly deactivated: {}, reactivated: {}",
            self.newly_deactivated, self.reactivated
        )?;
        writeln!(f, "{purged}: {}", self.users_purged)?;
        writeln!(
            f,
            "{deleted}: user_preferences {}, model_inference_logs {}, users {}",
            self.rows_deleted.user_preferences,
            self.rows_deleted.model_inference_logs,
            self.rows_deleted.users
        )
    }
}

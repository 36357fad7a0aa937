//! The store's part of the retention job and the admin listing. It lists every known user id,
//! writes a user's deactivation mark, counts and deletes the data deactivated users left behind,
//! and holds the lock that lets one job run at a time.
//!
//! Both backends run the same SQL, which this module holds. They differ in how they bind
//! timestamps and in how they lock (see [`JobLock`]).

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::{CrossUserAccess, JobLock, StoreError};
use crate::domain::UserId;

/// A user id that appears in `users`, `user_preferences` or `model_inference_logs`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownUser {
    pub user_id: UserId,
    /// When the retention job first found the user deactivated or deleted in the workspace.
    /// `None` while the user is not marked, also for a user without a `users` row.
    pub deactivated_at: Option<DateTime<Utc>>,
}

/// A user marked as deactivated who still has rows in a user-keyed table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeactivatedUser {
    pub user_id: String,
    pub deactivated_at: DateTime<Utc>,
    pub preference_count: u64,
    pub inference_log_count: u64,
}

/// Row counts per user-keyed table, of one user or summed over several.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UserRowCounts {
    pub user_preferences: u64,
    pub model_inference_logs: u64,
    /// Rows of `users`: the user's display name, timestamps and deactivation mark.
    pub users: u64,
}

impl UserRowCounts {
    pub fn total(self) -> u64 {
        self.user_preferences + self.model_inference_logs + self.users
    }

    /// Adds `other` to these counts.
    pub fn add(&mut self, other: UserRowCounts) {
        self.user_preferences += other.user_preferences;
        self.model_inference_logs += other.model_inference_logs;
        self.users += other.users;
    }
}

/// The deletion of one user's rows in every user-keyed table.
#[derive(Debug, Clone, Copy)]
pub struct PurgeRequest<'a> {
    pub user_id: &'a UserId,
    /// The rows are deleted only when the user is marked inactive with a `deactivated_at` at or
    /// before this time, checked inside the deleting transaction.
    pub deactivated_before: DateTime<Utc>,
    /// Rows deleted per statement, at least 1. All batches of a user run in one transaction.
    pub batch_size: u32,
    /// Counts the rows that would be deleted and rolls the transaction back.
    pub dry_run: bool,
}

/// The queries of the retention job and the admin listing. Every [`Store`](super::Store) has
/// them.
#[async_trait::async_trait]
pub trait RetentionStore {
    /// Lists every user id of the three user-keyed tables once, sorted, with its deactivation
    /// mark. Logs `access` at INFO.
    async fn known_users(&self, access: &CrossUserAccess<'_>)
    -> Result<Vec<KnownUser>, StoreError>;

    /// Marks the user as inactive, deactivated at `at`. A user marked before keeps the earlier
    /// time, so the retention period runs from the first time the user was found deactivated.
    ///
    /// A user without a `users` row (known only from other tables) gets one, with `at` as its
    /// `first_seen_at` and `last_seen_at`, because those columns cannot be empty.
    async fn mark_user_deactivated(
        &self,
        user_id: &UserId,
        at: DateTime<Utc>,
    ) -> Result<(), StoreError>;

    /// Marks the user as active again and clears `deactivated_at`, keeping the user's data.
    async fn mark_user_active(&self, user_id: &UserId) -> Result<(), StoreError>;

    /// Lists one page of the users marked as deactivated who still have rows, the earliest
    /// deactivated first, with their row counts, and the number of such users. Logs `access` at
    /// INFO.
    async fn list_deactivated_users(
        &self,
        access: &CrossUserAccess<'_>,
        limit: u32,
        offset: u32,
    ) -> Result<(Vec<DeactivatedUser>, u64), StoreError>;

    /// Deletes the user's rows in `user_preferences` and `model_inference_logs` in batches of
    /// `request.batch_size`, then the user's `users` row, all in one transaction, and returns how
    /// many rows it deleted (or, in a dry run, would delete). Logs `access` at INFO.
    ///
    /// Returns `None` and changes nothing when the user is no longer marked inactive with a
    /// `deactivated_at` at or before `request.deactivated_before`, for example because the user
    /// signed in again since the caller looked.
    async fn purge_user_data(
        &self,
        access: &CrossUserAccess<'_>,
        request: &PurgeRequest<'_>,
    ) -> Result<Option<UserRowCounts>, StoreError>;

    /// Takes the lock named `job` if no one holds it, and returns `None` when someone does: another
    /// process on the same database, or another task of this one. The lock is held until
    /// [`JobLock::release`] or until the returned value is dropped.
    async fn try_lock_job(&self, job: &str) -> Result<Option<JobLock>, StoreError>;
}

/// Every user id of the user-keyed tables, with `deactivated_at` of the users marked inactive.
pub(super) const KNOWN_USERS: &str = "SELECT ids.user_id, users.deactivated_at \
     FROM (SELECT user_id FROM users \
           UNION SELECT user_id FROM user_preferences \
           UNION SELECT user_id FROM model_inference_logs) AS ids \
     LEFT JOIN users ON users.user_id = ids.user_id AND users.active = FALSE \
     ORDER BY ids.user_id";

/// `$1` user id, `$2` the time of the mark. Keeps an earlier `deactivated_at`.
pub(super) const MARK_DEACTIVATED: &str = "INSERT INTO users \
         (user_id, display_name, active, first_seen_at, last_seen_at, deactivated_at) \
     VALUES ($1, NULL, FALSE, $2, $2, $2) \
     ON CONFLICT (user_id) DO UPDATE SET \
         active = FALSE, \
         deactivated_at = COALESCE(users.deactivated_at, excluded.deactivated_at)";

pub(super) const MARK_ACTIVE: &str =
    "UPDATE users SET active = TRUE, deactivated_at = NULL WHERE user_id = $1";

/// The users marked inactive with their row counts, as a common table expression named
/// `deactivated` for the listing and its count.
macro_rules! deactivated_users_with_counts {
    () => {
        "WITH deactivated AS ( \
             SELECT users.user_id, users.deactivated_at, \
                 (SELECT COUNT(*) FROM user_preferences \
                  WHERE user_preferences.user_id = users.user_id) AS preference_count, \
                 (SELECT COUNT(*) FROM model_inference_logs \
                  WHERE model_inference_logs.user_id = users.user_id) AS inference_log_count \
             FROM users \
             WHERE users.active = FALSE AND users.deactivated_at IS NOT NULL) "
    };
}

/// `$1` limit, `$2` offset.
pub(super) const LIST_DEACTIVATED: &str = concat!(
    deactivated_users_with_counts!(),
    "SELECT user_id, deactivated_at, preference_count, inference_log_count FROM deactivated \
     WHERE preference_count + inference_log_count > 0 \
     ORDER BY deactivated_at, user_id LIMIT $1 OFFSET $2"
);

pub(super) const COUNT_DEACTIVATED: &str = concat!(
    deactivated_users_with_counts!(),
    "SELECT COUNT(*) FROM deactivated WHERE preference_count + inference_log_count > 0"
);

/// Selects the user's row when the user may be purged: `$1` user id, `$2` the latest
/// `deactivated_at` that may be purged.
macro_rules! purge_eligible {
    () => {
        "SELECT user_id FROM users \
         WHERE user_id = $1 AND active = FALSE AND deactivated_at IS NOT NULL \
             AND deactivated_at <= $2"
    };
}

/// On SQLite, where the purge transaction starts with `BEGIN IMMEDIATE` and so holds the write
/// lock from its start.
pub(super) const PURGE_ELIGIBLE: &str = purge_eligible!();

/// On PostgreSQL: the row lock makes a concurrent sign-in of the user wait until the purge ends.
pub(super) const PURGE_ELIGIBLE_FOR_UPDATE: &str = concat!(purge_eligible!(), " FOR UPDATE");

pub(super) const COUNT_PREFERENCES: &str =
    "SELECT COUNT(*) FROM user_preferences WHERE user_id = $1";

pub(super) const COUNT_INFERENCE_LOGS: &str =
    "SELECT COUNT(*) FROM model_inference_logs WHERE user_id = $1";

/// `$1` user id, `$2` batch size.
pub(super) const DELETE_PREFERENCES_BATCH: &str = "DELETE FROM user_preferences WHERE id IN \
     (SELECT id FROM user_preferences WHERE user_id = $1 LIMIT $2)";

pub(super) const DELETE_USER: &str = "DELETE FROM users WHERE user_id = $1";

/// `$1` user id, `$2` batch size.
pub(super) const DELETE_INFERENCE_LOGS_BATCH: &str = "DELETE FROM model_inference_logs WHERE id IN \
     (SELECT id FROM model_inference_logs WHERE user_id = $1 LIMIT $2)";

/// Converts a `COUNT(*)` result, which the databases return as a signed 64-bit integer.
pub(super) fn count(value: i64) -> u64 {
    u64::try_from(value).unwrap_or_default()
}

//! The retention job: removes the data that deactivated users left behind once the retention
//! period has passed.
//!
//! One run:
//!
//! 1. takes the job lock, or stops with [`JobError::AlreadyRunning`] when another run holds it;
//! 2. looks up every user id known to the app in the workspace (SCIM Users by `userName`, as the
//!    app's service principal). A user found inactive or not found at all is marked with
//!    `deactivated_at` the first time, and a marked user found active again is unmarked, keeping
//!    the data;
//! 3. deletes the preferences, inference logs and `users` row of each user who was marked at
//!    least `retention_days` ago and is still inactive or missing now, one transaction per user;
//! 4. releases the lock and returns a [`JobSummary`].
//!
//! A dry run makes the same lookups and runs the same deleting transactions, but rolls them back
//! and writes no marks, so it reports what a real run would delete at the same moment.

mod decision;
mod job;
mod progress;
pub mod schedule;

pub use job::{JOB_NAME, JobError, JobOptions, JobSummary, SCHEDULED_ACTOR, run};

/// The default retention period in days.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;

/// The longest accepted retention period in days (about ten years).
pub const MAX_RETENTION_DAYS: u32 = 3_650;

//! `app-server cleanup-orphans`: one run of the retention job from the command line.

use anyhow::Context;

use app_server::config::Config;
use app_server::retention::{self, JobError, JobOptions, MAX_RETENTION_DAYS, SCHEDULED_ACTOR};
use app_server::state::{AppState, WorkspaceClients};

/// The exit status when another run holds the job lock.
pub const ALREADY_RUNNING_EXIT_CODE: u8 = 3;

#[derive(Debug, clap::Args)]
pub struct CleanupOrphansArgs {
    /// Report what the job would delete, and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Days from a user's deactivation until the user's data is deleted; RETENTION_DAYS (default
    /// 90) when omitted.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_RETENTION_DAYS)))]
    retention_days: Option<u32>,
}

/// Runs the retention job once against the configured database, looking users up as the
/// service principal, and prints the summary. Fails with [`JobError::AlreadyRunning`] when
/// another run holds the lock.
pub async fn cleanup_orphans(args: CleanupOrphansArgs) -> anyhow::Result<()> {
    let config = Config::from_env()?;
    let clients = WorkspaceClients::from_config(&config)?;
    let store = super::open_store(&config, clients.service_principal.as_ref())
        .await?
        .context("no database is configured: set DATABASE_URL, or LAKEBASE_INSTANCE_NAME or PGENDPOINT for Lakebase")?;
    let retention_days = args.retention_days.unwrap_or(config.retention_days);
    let state = AppState::with_clients(config, Some(store.clone()), clients);
    let directory = state.service_principal.as_ref().context(
        "the retention job looks users up as the app's service principal: set \
         DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET",
    )?;

    let options = JobOptions::new(retention_days, args.dry_run, SCHEDULED_ACTOR);
    let summary = retention::run(store.as_ref(), directory, &options).await;
    store.close().await;
    print!("{}", summary?);
    Ok(())
}

/// Tells whether `error` means another run holds the job lock.
pub fn is_already_running(error: &anyhow::Error) -> bool {
    matches!(
        error.downcast_ref::<JobError>(),
        Some(JobError::AlreadyRunning)
    )
}

//! A soak run: the `app-server` binary on loopback under a steady request rate from many users
//! that mix every route, with error counts, latency percentiles and the server's resident memory
//! reported at a fixed interval.
//!
//! It starts the workspace emulator in this process (the default fixture plus generated users),
//! runs the given `app-server` binary as a child with a fresh SQLite database unless
//! `--database-url` names another, and sends every request to 127.0.0.1. It exits with status 1
//! when any request failed or when memory grew more than `--max-rss-growth-mib` between the first
//! and the last report. `scripts/soak.sh` builds the binaries and runs it.

mod app_process;
mod report;
mod workload;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

#[derive(Debug, Parser)]
#[command(about = "Soak-test app-server on loopback")]
struct Args {
    /// The app-server binary to run.
    #[arg(long)]
    app_binary: PathBuf,
    /// Length of the run after warm-up, in seconds.
    #[arg(long, default_value_t = 600)]
    seconds: u64,
    /// Requests started per second, whatever the answers' latency.
    #[arg(long, default_value_t = 50)]
    rate: u32,
    /// Distinct users sending requests, each with its own token.
    #[arg(long, default_value_t = 100)]
    users: usize,
    /// Seconds between two reports.
    #[arg(long, default_value_t = 30)]
    interval: u64,
    /// Largest accepted growth of the server's resident memory from the first report to the last,
    /// in MiB.
    #[arg(long, default_value_t = 16)]
    max_rss_growth_mib: u32,
    /// Database URL for the app (for example a PostgreSQL test database); default: a new SQLite
    /// file.
    #[arg(long)]
    database_url: Option<String>,
    /// Also write the report as a Markdown table to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    anyhow::ensure!(args.rate > 0, "--rate must be at least 1");
    anyhow::ensure!(args.users > 0, "--users must be at least 1");
    anyhow::ensure!(args.interval > 0, "--interval must be at least 1");

    let emulator = workload::start_emulator(args.users).await?;
    let admin = workload::user_name(0);
    let mut app = app_process::AppProcess::start(
        &args.app_binary,
        &emulator.base_url(),
        args.database_url.as_deref(),
        &admin,
    )
    .await?;
    println!("app-server pid {} at {}", app.pid, app.base_url);

    let load = workload::Load::new(app.base_url.clone(), args.users);
    load.warm_up().await?;

    let settings = report::RunSettings {
        duration: Duration::from_secs(args.seconds),
        interval: Duration::from_secs(args.interval),
        rate: args.rate,
        users: args.users,
    };
    let summary = report::run(&load, app.pid, &settings).await;
    app.stop().await;
    emulator.shutdown().await;

    let table = summary.markdown(&settings);
    println!("\n{table}");
    if let Some(path) = &args.markdown {
        std::fs::write(path, &table)?;
    }
    summary.verdict(args.max_rss_growth_mib)
}

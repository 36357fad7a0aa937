//! `app-server`: the app, its development mode and its maintenance commands.

mod commands;

use clap::{Parser, Subcommand};

use app_server::telemetry::{self, LogFormat};

#[derive(Debug, Parser)]
#[command(
    name = "app-server",
    version,
    about = "A Databricks App whose users act under their own identity"
)]
struct Cli {
    /// Log format.
    #[arg(
        long,
        env = "LOG_FORMAT",
        value_enum,
        default_value = "json",
        global = true
    )]
    log_format: LogFormat,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the app on $BIND_ADDRESS:$DATABRICKS_APP_PORT (0.0.0.0:8000 by default), configured
    /// from the environment.
    Serve,
    /// Run locally against the built-in workspace emulator, or a real workspace with --workspace,
    /// with SQLite unless DATABASE_URL is set.
    Dev(commands::DevArgs),
    /// Apply, revert or list database migrations of DATABASE_URL, or of Lakebase without it.
    Migrate {
        #[command(subcommand)]
        action: commands::MigrateAction,
    },
    /// Check the database settings (Lakebase or DATABASE_URL) and print what to fix.
    Lakebase {
        #[command(subcommand)]
        action: commands::LakebaseAction,
    },
    /// Scrape a /metrics endpoint and print request rates by authentication mode, latency
    /// percentiles, upstream success rates, the circuit breaker state and active users.
    MetricsSummary(commands::MetricsSummaryArgs),
    /// Run the retention job once: look every known user up in the workspace, then delete the
    /// preferences and inference logs of users deactivated at least RETENTION_DAYS ago. Exits
    /// with status 3 when another run of the job holds its lock.
    CleanupOrphans(commands::CleanupOrphansArgs),
    /// Print the OpenAPI 3.1 document of the HTTP API (the body of GET /openapi.json) to stdout.
    Openapi,
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let _ = dotenvy::dotenv();
    let cli = Cli::parse();
    telemetry::init(cli.log_format);

    let result = match cli.command {
        Command::Serve => commands::serve().await,
        Command::Dev(args) => commands::dev(args).await,
        Command::Migrate { action } => commands::migrate(action).await,
        Command::Lakebase { action } => commands::lakebase(action).await,
        Command::MetricsSummary(args) => commands::metrics_summary(args).await,
        Command::CleanupOrphans(args) => commands::cleanup_orphans(args).await,
        Command::Openapi => commands::openapi(),
    };

    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) if commands::is_already_running(&error) => {
            eprintln!("{error:#}");
            std::process::ExitCode::from(commands::ALREADY_RUNNING_EXIT_CODE)
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn verify_cli() {
        super::Cli::command().debug_assert();
    }
}

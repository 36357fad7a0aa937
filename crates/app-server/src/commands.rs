//! The subcommands of `app-server`.

mod cleanup;

pub use cleanup::{
    ALREADY_RUNNING_EXIT_CODE, CleanupOrphansArgs, cleanup_orphans, is_already_running,
};

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};

use app_server::config::Config;
use app_server::dev::developer::DeveloperSession;
use app_server::dev::{developer_proxy, workspace_choice};
use app_server::lakebase::{self, RefreshPolicy};
use app_server::state::{AppState, WorkspaceClients};
use app_server::store::{self, Store, StoreOptions};
use app_server::{dev, http, retention, serve};
use databricks_client::{Workspace, WorkspaceClient, WorkspaceOptions};

#[derive(Debug, clap::Args)]
pub struct DevArgs {
    /// Port of the app on 127.0.0.1.
    #[arg(long, env = "DEV_PORT", default_value_t = 8000)]
    port: u16,
    /// Workspace fixture (TOML) for the emulator; the built-in default when omitted.
    #[arg(long, conflicts_with = "workspace")]
    fixture: Option<PathBuf>,
    /// Use a real workspace instead of the emulator, signed in as you: a Databricks CLI profile
    /// or a workspace URL. Your token comes from `databricks auth token` and is refreshed
    /// before it expires.
    #[arg(long, value_name = "PROFILE_OR_HOST")]
    workspace: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct MetricsSummaryArgs {
    /// URL of the app's metrics endpoint (http or https).
    #[arg(long, default_value = "http://127.0.0.1:8000/metrics")]
    url: String,
    /// Seconds between two scrapes, for the figures of that window; 0 makes one scrape and
    /// reports everything since the app started.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=3600))]
    window: u64,
}

#[derive(Debug, clap::Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the latest applied migration. This drops tables and their data.
    Down {
        /// Confirm that the data of the reverted migration may be lost.
        #[arg(long)]
        yes: bool,
    },
    /// List migrations and whether each is applied.
    Status,
}

/// `app-server serve`: production mode.
pub async fn serve() -> anyhow::Result<()> {
    let started = Instant::now();
    let config = Config::from_env()?;
    let clients = WorkspaceClients::from_config(&config)?;
    let store = open_store(&config, clients.service_principal.as_ref()).await?;
    let addr = SocketAddr::from((config.bind_address, config.port));
    let state = AppState::with_clients(config, store, clients);
    retention::schedule::start(&state);
    serve::run(addr, http::router(state.clone()), state, started).await
}

/// `app-server dev`: the emulator in-process, SQLite under `.data/`, and the dev proxy layer.
pub async fn dev(args: DevArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    if let Some(workspace) = &args.workspace {
        return dev_workspace(workspace, args.port, started).await;
    }
    let fixture = match &args.fixture {
        Some(path) => workspace_emulator::Fixture::from_path(path)?,
        None => workspace_emulator::Fixture::default_fixture(),
    };
    let emulator = workspace_emulator::Emulator::start(
        fixture.clone(),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .await
    .context("failed to start the workspace emulator")?;
    let host = emulator.base_url();
    tracing::info!(emulator = %host, "workspace emulator started");

    let config = Config::from_lookup(|name| match name {
        "DATABRICKS_HOST" => Some(host.clone()),
        "DATABRICKS_CLIENT_ID" => Some(workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_ID.to_owned()),
        "DATABRICKS_CLIENT_SECRET" => {
            Some(workspace_emulator::DEFAULT_SERVICE_PRINCIPAL_SECRET.to_owned())
        }
        "DATABASE_URL" => dev_database_url(),
        _ => std::env::var(name).ok(),
    })?;
    let clients = WorkspaceClients::from_config(&config)?;
    let store = open_store(&config, clients.service_principal.as_ref()).await?;
    let state = AppState::with_clients(config, store, clients);
    retention::schedule::start(&state);

    let proxy = dev::DevProxy::new(dev_users(&fixture), fixture.workspace.workspace_id.clone());
    let router = proxy.wrap(http::router(state.clone()));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    println!("app-server dev: open http://{addr}/ (workspace emulator at {host})");
    let result = serve::run(addr, router, state, started).await;
    emulator.shutdown().await;
    result
}

/// `app-server dev --workspace`: a real workspace, and every request signed in as the developer
/// with the token of the Databricks CLI.
async fn dev_workspace(value: &str, port: u16, started: Instant) -> anyhow::Result<()> {
    let config_file = workspace_choice::config_file_path(|name| std::env::var(name).ok());
    let choice = workspace_choice::resolve(value, config_file.as_deref())?;
    let workspace = Workspace::new(&choice.host, WorkspaceOptions::default())?;
    let session = DeveloperSession::start(choice.login.clone(), workspace).await?;
    let developer = session.current();
    tracing::info!(
        workspace = %choice.host,
        login = %choice.login,
        user = %developer.user_name,
        "signed in to the workspace with the Databricks CLI"
    );

    let config = Config::from_lookup(|name| match name {
        "DATABRICKS_HOST" => Some(choice.host.clone()),
        "DATABRICKS_WORKSPACE_ID" => std::env::var(name)
            .ok()
            .or_else(|| developer.workspace_id.clone()),
        "DATABASE_URL" => dev_database_url(),
        _ => std::env::var(name).ok(),
    })?;
    let clients = WorkspaceClients::from_config(&config)?;
    let store = open_store(&config, clients.service_principal.as_ref()).await?;
    let state = AppState::with_clients(config, store, clients);
    session.spawn_refresh(&state.background);

    let router = developer_proxy::wrap(session, http::router(state.clone()));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    println!(
        "app-server dev: open http://{addr}/ (workspace {}, signed in as {})",
        choice.host, developer.user_name
    );
    serve::run(addr, router, state, started).await
}

/// Returns `DATABASE_URL`, or SQLite under `.data/` unless Lakebase is configured (Lakebase and
/// `DATABASE_URL` exclude each other).
fn dev_database_url() -> Option<String> {
    choose_dev_database_url(std::env::var("DATABASE_URL").ok(), lakebase_requested())
}

/// Chooses the dev database: `database_url` unless it is empty or blank (which counts as unset,
/// as for every other setting), else SQLite under `.data/` unless Lakebase is configured.
fn choose_dev_database_url(database_url: Option<String>, lakebase: bool) -> Option<String> {
    database_url
        .filter(|url| !url.trim().is_empty())
        .or_else(|| (!lakebase).then(|| "sqlite://.data/app.db".to_owned()))
}

fn dev_users(fixture: &workspace_emulator::Fixture) -> Vec<dev::DevUser> {
    fixture
        .users
        .iter()
        .filter_map(|user| {
            let token = user.token.as_ref()?;
            Some(dev::DevUser {
                user_name: user.user_name.clone(),
                display_name: user.display_name.clone(),
                scim_id: user.id.clone(),
                token: token.expose_secret().to_owned(),
                active: user.active,
            })
        })
        .collect()
}

/// `app-server migrate up|down|status` against `DATABASE_URL`.
pub async fn migrate(action: MigrateAction) -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")
        .ok()
        .filter(|url| !url.trim().is_empty());
    let store = match url {
        Some(url) => store::connect(&SecretString::from(url), &StoreOptions::default()).await?,
        None => lakebase_store().await?,
    };

    match action {
        MigrateAction::Up => {
            let applied = store.migrate_up().await?;
            println!("applied {} migration(s)", applied.len());
            for migration in applied {
                println!("  {migration}");
            }
        }
        MigrateAction::Down { yes: false } => {
            anyhow::bail!(
                "migrate down reverts the latest migration and deletes the data it created; \
                 run it again with --yes to confirm"
            );
        }
        MigrateAction::Down { yes: true } => match store.migrate_down().await? {
            Some(migration) => println!("reverted {migration}"),
            None => println!("nothing to revert"),
        },
        MigrateAction::Status => {
            for status in store.migration_status().await? {
                println!("{status}");
            }
        }
    }
    Ok(())
}

#[derive(Debug, clap::Subcommand)]
pub enum LakebaseAction {
    /// Connect with the configured settings and print host, database, user, sslmode, the
    /// credential's expiry (never the password), pending migrations and missing privileges.
    Check,
}

/// `app-server lakebase check`. Fails when the app could not use the database.
pub async fn lakebase(action: LakebaseAction) -> anyhow::Result<()> {
    let LakebaseAction::Check = action;
    let config = Config::from_env()?;
    let report = if let Some(settings) = &config.lakebase {
        let client = lakebase::service_principal_client(&config)?
            .context("Lakebase needs DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET")?;
        lakebase::check(settings, &client, &store_options(&config)).await
    } else {
        let url = config.database_url.as_ref().context(
            "no database is configured: set LAKEBASE_INSTANCE_NAME or PGENDPOINT for Lakebase, \
             or DATABASE_URL",
        )?;
        lakebase::check_database_url(url, &store_options(&config)).await
    };
    print!("{report}");
    anyhow::ensure!(report.is_ok(), "the database check failed");
    Ok(())
}

/// Opens the Lakebase store for `migrate`, which works without `DATABASE_URL` when Lakebase is
/// configured.
async fn lakebase_store() -> anyhow::Result<Arc<dyn Store>> {
    anyhow::ensure!(
        lakebase_requested(),
        "DATABASE_URL is missing: set it to postgres://… or sqlite://…, or set \
         LAKEBASE_INSTANCE_NAME or PGENDPOINT for Lakebase"
    );
    let config = Config::from_env()?;
    let settings = config
        .lakebase
        .as_ref()
        .context("Lakebase is not configured")?;
    let client = lakebase::service_principal_client(&config)?
        .context("Lakebase needs DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET")?;
    let options = store_options(&config);
    let connected =
        lakebase::connect(settings, &client, &options, RefreshPolicy::default()).await?;
    Ok(connected.store)
}

/// Tells whether the environment names a Lakebase instance or endpoint.
fn lakebase_requested() -> bool {
    ["LAKEBASE_INSTANCE_NAME", "PGENDPOINT"]
        .iter()
        .any(|variable| std::env::var(variable).is_ok_and(|value| !value.trim().is_empty()))
}

fn store_options(config: &Config) -> StoreOptions {
    StoreOptions {
        max_connections: config.database_max_connections,
        ..StoreOptions::default()
    }
}

/// Connects to Lakebase or to `DATABASE_URL`, whichever is configured, and applies pending
/// migrations. Lakebase credentials are minted with `service_principal`, the client the app's own
/// calls use too, so the process fetches one OAuth token and has one circuit breaker.
async fn open_store(
    config: &Config,
    service_principal: Option<&WorkspaceClient>,
) -> anyhow::Result<Option<Arc<dyn Store>>> {
    let options = store_options(config);
    if let Some(settings) = &config.lakebase {
        let client = service_principal
            .context("Lakebase needs DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET")?;
        let connected =
            lakebase::connect(settings, client, &options, RefreshPolicy::default()).await?;
        let store: Arc<dyn Store> = connected.store;
        let applied = store.migrate_up().await?;
        tracing::info!(backend = ?store.backend(), applied_migrations = applied.len(), "app database ready");
        return Ok(Some(store));
    }
    let Some(url) = &config.database_url else {
        tracing::warn!(
            "no database is configured (DATABASE_URL, LAKEBASE_INSTANCE_NAME or PGENDPOINT): \
             routes that need the app database answer 503"
        );
        return Ok(None);
    };
    let store = store::connect(url, &options).await?;
    let applied = store.migrate_up().await?;
    tracing::info!(backend = ?store.backend(), applied_migrations = applied.len(), "app database ready");
    Ok(Some(store))
}

/// `app-server metrics-summary`: prints the figures of a `/metrics` endpoint for people.
pub async fn metrics_summary(args: MetricsSummaryArgs) -> anyhow::Result<()> {
    let window = std::time::Duration::from_secs(args.window);
    let summary = app_server::telemetry::summary::collect(&args.url, window).await?;
    print!("{summary}");
    Ok(())
}

/// `app-server openapi`: prints the OpenAPI document, as `GET /openapi.json` serves it.
pub fn openapi() -> anyhow::Result<()> {
    let document = http::openapi::document();
    let json = serde_json::to_string_pretty(&document)
        .context("failed to serialise the OpenAPI document")?;
    println!("{json}");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::choose_dev_database_url;

    #[test]
    fn dev_url_unset_or_blank_is_sqlite() {
        for unset in [None, Some(String::new()), Some("  ".to_owned())] {
            assert_eq!(
                choose_dev_database_url(unset, false).as_deref(),
                Some("sqlite://.data/app.db")
            );
        }
    }

    #[test]
    fn dev_url_set_or_lakebase_wins() {
        let url = "postgres://app@127.0.0.1:5432/app".to_owned();
        assert_eq!(choose_dev_database_url(Some(url.clone()), false), Some(url));
        assert_eq!(choose_dev_database_url(None, true), None);
    }
}

//! The subcommands of `app-server`.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use secrecy::{ExposeSecret, SecretString};

use app_server::config::Config;
use app_server::state::AppState;
use app_server::store::{self, Store, StoreOptions};
use app_server::{dev, http, serve};

#[derive(Debug, clap::Args)]
pub struct DevArgs {
    /// Port of the app on 127.0.0.1.
    #[arg(long, env = "DEV_PORT", default_value_t = 8000)]
    port: u16,
    /// Workspace fixture (TOML) for the emulator; the built-in default when omitted.
    #[arg(long)]
    fixture: Option<PathBuf>,
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
    let config = Config::from_env()?;
    let store = open_store(&config).await?;
    let addr = SocketAddr::from((config.bind_address, config.port));
    let state = AppState::new(config, store)?;
    serve::run(addr, http::router(state.clone()), state).await
}

/// `app-server dev`: the emulator in-process, SQLite under `.data/`, and the dev proxy layer.
pub async fn dev(args: DevArgs) -> anyhow::Result<()> {
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
        "DATABASE_URL" => std::env::var(name)
            .ok()
            .or_else(|| Some("sqlite://.data/app.db".to_owned())),
        _ => std::env::var(name).ok(),
    })?;
    let store = open_store(&config).await?;
    let state = AppState::new(config, store)?;

    let proxy = dev::DevProxy::new(dev_users(&fixture), fixture.workspace.workspace_id.clone());
    let router = proxy.wrap(http::router(state.clone()));
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    println!("app-server dev: open http://{addr}/ (workspace emulator at {host})");
    let result = serve::run(addr, router, state).await;
    emulator.shutdown().await;
    result
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
        .filter(|url| !url.trim().is_empty())
        .context("DATABASE_URL is missing: set it to postgres://… or sqlite://…")?;
    let store = store::connect(&SecretString::from(url), &StoreOptions::default()).await?;

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

/// Connects to `DATABASE_URL` when set and applies pending migrations.
async fn open_store(config: &Config) -> anyhow::Result<Option<Arc<dyn Store>>> {
    let Some(url) = &config.database_url else {
        tracing::warn!("DATABASE_URL is not set: routes that need the app database answer 503");
        return Ok(None);
    };
    let options = StoreOptions {
        max_connections: config.database_max_connections,
        ..StoreOptions::default()
    };
    let store = store::connect(url, &options).await?;
    let applied = store.migrate_up().await?;
    tracing::info!(backend = ?store.backend(), applied_migrations = applied.len(), "app database ready");
    Ok(Some(store))
}

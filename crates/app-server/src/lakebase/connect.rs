//! Opening the Lakebase store: resolve the user and host, mint the first credential, log in once
//! to check the settings, then build the pool whose password rotates.

use std::fmt;
use std::sync::Arc;

use databricks_client::WorkspaceClient;
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions as _, Connection as _};

use super::credential::WorkspaceCredentialSource;
use super::pool::RotatingPassword;
use super::provider::{CredentialProvider, RefreshPolicy};
use super::settings::{CredentialTarget, LakebaseSettings, SslMode};
use crate::store::{PostgresStore, StoreOptions, pool_options};

/// A failed step of opening the Lakebase store, with what to change. Never contains a password.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct LakebaseError(pub String);

/// The host, port, database, user and sslmode of the connection, after the defaults and the
/// workspace lookups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedConnection {
    pub target: CredentialTarget,
    pub host: String,
    /// True when the host came from the instance API, not `PGHOST`.
    pub host_from_instance: bool,
    pub port: u16,
    pub database: String,
    pub user: String,
    /// True when the user is the service principal's SCIM userName, not `PGUSER`.
    pub user_from_scim: bool,
    pub ssl_mode: SslMode,
    /// True when `PGSSLMODE` set the mode.
    pub ssl_mode_explicit: bool,
}

impl ResolvedConnection {
    /// Returns the connect options without a password. Every value is set here, so `PG*`
    /// variables that sqlx reads by itself cannot change them.
    pub fn base_options(&self) -> PgConnectOptions {
        PgConnectOptions::new_without_pgpass()
            .host(&self.host)
            .port(self.port)
            .username(&self.user)
            .database(&self.database)
            .ssl_mode(self.ssl_mode.to_sqlx())
    }
}

impl fmt::Display for CredentialTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Instance(name) => write!(f, "instance {name} (LAKEBASE_INSTANCE_NAME)"),
            Self::Endpoint(name) => write!(f, "endpoint {name} (PGENDPOINT)"),
        }
    }
}

/// Fills in the user (the service principal's SCIM userName unless `PGUSER` is set) and the host
/// (the instance's `read_write_dns` unless `PGHOST` is set). `client` must authenticate as the
/// service principal.
pub async fn resolve(
    settings: &LakebaseSettings,
    client: &WorkspaceClient,
) -> Result<ResolvedConnection, LakebaseError> {
    let (user, user_from_scim) = if let Some(user) = &settings.user {
        (user.clone(), false)
    } else {
        let me = client.current_user().await.map_err(|error| {
            LakebaseError(format!(
                "cannot read the service principal's userName, the default Postgres user \
                 (SCIM Me): {error}; set PGUSER to the role name to skip this lookup"
            ))
        })?;
        (me.user_name, true)
    };
    let (host, host_from_instance) = match (&settings.host, &settings.target) {
        (Some(host), _) => (host.clone(), false),
        (None, CredentialTarget::Instance(name)) => (instance_host(client, name).await?, true),
        (None, CredentialTarget::Endpoint(_)) => {
            return Err(LakebaseError(
                "PGHOST is missing: Lakebase Autoscaling needs the endpoint's host".to_owned(),
            ));
        }
    };
    Ok(ResolvedConnection {
        target: settings.target.clone(),
        ssl_mode: settings.effective_ssl_mode(&host),
        ssl_mode_explicit: settings.ssl_mode.is_some(),
        host,
        host_from_instance,
        port: settings.port,
        database: settings.database.clone(),
        user,
        user_from_scim,
    })
}

async fn instance_host(client: &WorkspaceClient, name: &str) -> Result<String, LakebaseError> {
    let instance = client.get_database_instance(name).await.map_err(|error| {
        LakebaseError(format!(
            "cannot look up Lakebase instance {name:?} (LAKEBASE_INSTANCE_NAME) for its host: \
             {error}; check the name, or set PGHOST"
        ))
    })?;
    if let Some(state) = instance.state.as_deref()
        && state != "AVAILABLE"
    {
        tracing::warn!(
            database.instance = name,
            database.instance_state = state,
            "the Lakebase instance is not AVAILABLE: connections may fail until it is"
        );
    }
    instance
        .read_write_dns
        .filter(|host| !host.trim().is_empty())
        .ok_or_else(|| {
            LakebaseError(format!(
                "Lakebase instance {name:?} reports no read_write_dns: set PGHOST"
            ))
        })
}

/// Mints the first credential with the service principal's `client`.
pub async fn start_provider(
    resolved: &ResolvedConnection,
    client: &WorkspaceClient,
    policy: RefreshPolicy,
) -> Result<Arc<CredentialProvider>, LakebaseError> {
    let source = Arc::new(WorkspaceCredentialSource::new(
        client.clone(),
        resolved.target.clone(),
    ));
    let provider = CredentialProvider::start(source, policy)
        .await
        .map_err(|error| {
            LakebaseError(format!(
                "cannot mint a database credential for {}: {error}",
                resolved.target
            ))
        })?;
    Ok(Arc::new(provider))
}

/// Logs in once with the current credential, replacing it once when the login fails with
/// SQLSTATE `28P01`. The error names the setting to change.
pub async fn first_login(
    resolved: &ResolvedConnection,
    provider: &CredentialProvider,
) -> Result<(), LakebaseError> {
    let base = resolved.base_options();
    let credential = provider.current();
    let result = RotatingPassword::options_with(&base, &credential)
        .connect()
        .await;
    let connection = match result {
        Err(error) if crate::store::is_invalid_password(&error) => {
            tracing::warn!("database login rejected (SQLSTATE 28P01): minting a new credential");
            let credential = provider
                .replace(credential.generation, "first login rejected")
                .await
                .map_err(|error| {
                    LakebaseError(format!("cannot mint a new database credential: {error}"))
                })?;
            RotatingPassword::options_with(&base, &credential)
                .connect()
                .await
        }
        other => other,
    }
    .map_err(|error| LakebaseError(explain_connect_error(resolved, &error)))?;
    connection.close().await.ok();
    Ok(())
}

/// Opens the store: a lazily connecting pool whose password the provider keeps current.
pub fn open_store(
    resolved: &ResolvedConnection,
    provider: Arc<CredentialProvider>,
    options: &StoreOptions,
) -> (PostgresStore, Arc<RotatingPassword>) {
    let base = resolved.base_options();
    let pool = pool_options(options)
        .connect_lazy_with(RotatingPassword::options_with(&base, &provider.current()));
    let rotation = RotatingPassword::start(provider, pool.clone(), base);
    let store = PostgresStore::with_rotation(pool, rotation.clone());
    (store, rotation)
}

/// Explains a failed login: what failed, and the setting to change.
pub fn explain_connect_error(resolved: &ResolvedConnection, error: &sqlx::Error) -> String {
    let place = format!(
        "{}:{} (database {}, user {})",
        resolved.host, resolved.port, resolved.database, resolved.user
    );
    let sslmode_source = if resolved.ssl_mode_explicit {
        "PGSSLMODE"
    } else {
        "PGSSLMODE, defaulted for this host,"
    };
    match error {
        sqlx::Error::Tls(tls) if resolved.ssl_mode.requires_tls() => format!(
            "TLS connection to {place} failed ({tls}), and {sslmode_source} is {}: Lakebase \
             always accepts TLS, so check PGHOST and PGPORT; only for a local PostgreSQL server \
             without TLS set PGSSLMODE=disable",
            resolved.ssl_mode.as_str()
        ),
        sqlx::Error::Tls(tls) => format!("TLS connection to {place} failed: {tls}"),
        sqlx::Error::Io(io) => format!(
            "cannot reach {place}: {io}; check PGHOST and PGPORT and that the database is running"
        ),
        sqlx::Error::Database(database) => {
            let code = database.code().unwrap_or_default();
            let fix = match code.as_ref() {
                "28P01" => {
                    "the credential was rejected even after a new one was minted: check that \
                     PGUSER is the role of the identity that mints it (the service principal's \
                     client id)"
                }
                "28000" => {
                    "the role does not exist or may not log in: create a Postgres role for the \
                     service principal (add the database as an app resource, or use the \
                     databricks_auth extension), or fix PGUSER"
                }
                "3D000" => "the database does not exist: fix PGDATABASE",
                "42501" => "the role lacks the CONNECT privilege on the database: grant it",
                _ => "see the PostgreSQL error above",
            };
            format!("login to {place} failed with SQLSTATE {code}: {database}; {fix}")
        }
        other => format!("connection to {place} failed: {other}"),
    }
}

//! Lakebase: PostgreSQL whose password is a short-lived credential minted for the app's service
//! principal.
//!
//! [`connect`] resolves the settings: the user defaults to the service principal's SCIM userName,
//! and the host of a Provisioned instance to its `read_write_dns`. It then mints the first
//! credential, logs in once to check the settings, and opens a pool whose new connections always
//! use the current credential. A background task refreshes the credential well before it
//! expires; a login rejected with SQLSTATE `28P01` replaces it once. `check` runs the same steps
//! and reports each one for `app-server lakebase check`.

mod check;
mod connect;
mod credential;
mod pool;
mod provider;
pub mod settings;

use std::sync::Arc;

use databricks_client::WorkspaceClient;

use crate::config::Config;
use crate::store::{PostgresStore, StoreOptions};

pub use check::{CheckReport, Finding, Severity, check, check_database_url};
pub use connect::{LakebaseError, ResolvedConnection, explain_connect_error};
pub use credential::{CredentialSource, MintError, MintedCredential, WorkspaceCredentialSource};
pub use pool::RotatingPassword;
pub use provider::{Credential, CredentialProvider, RefreshPolicy};
pub use settings::{CredentialTarget, LakebaseSettings, SslMode};

/// An open Lakebase store and the parts tests and the `check` command look at.
#[derive(Debug, Clone)]
pub struct LakebaseStore {
    pub store: Arc<PostgresStore>,
    pub rotation: Arc<RotatingPassword>,
    pub resolved: ResolvedConnection,
}

/// Opens the Lakebase store. `client` must authenticate as the app's service principal.
pub async fn connect(
    settings: &LakebaseSettings,
    client: &WorkspaceClient,
    options: &StoreOptions,
    policy: RefreshPolicy,
) -> Result<LakebaseStore, LakebaseError> {
    let resolved = connect::resolve(settings, client).await?;
    let provider = connect::start_provider(&resolved, client, policy).await?;
    connect::first_login(&resolved, &provider).await?;
    let (store, rotation) = connect::open_store(&resolved, provider, options);
    tracing::info!(
        database.host = resolved.host,
        database.port = resolved.port,
        database.name = resolved.database,
        database.user = resolved.user,
        database.sslmode = resolved.ssl_mode.as_str(),
        "connected to Lakebase"
    );
    Ok(LakebaseStore {
        store: Arc::new(store),
        rotation,
        resolved,
    })
}

/// Builds a workspace client for the configured service principal, the only identity that
/// mints the app's database credentials. `None` when no service principal is configured.
///
/// For a command that needs nothing else; the server shares its own client through
/// [`crate::state::WorkspaceClients`] instead.
pub fn service_principal_client(config: &Config) -> anyhow::Result<Option<WorkspaceClient>> {
    Ok(crate::state::WorkspaceClients::from_config(config)?.service_principal)
}

//! Shared state of the running app.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use databricks_client::{Credentials, Workspace, WorkspaceClient, WorkspaceOptions};
use moka::future::Cache;

use crate::auth::identity::IdentityCacheOptions;
use crate::auth::{IdentityResolver, UserIdentity};
use crate::background::BackgroundTasks;
use crate::config::Config;
use crate::domain::UserId;
use crate::store::Store;

/// How often at most `users.last_seen_at` is written for one user.
const LAST_SEEN_INTERVAL: Duration = Duration::from_mins(1);

/// Upper bound on users remembered by the last-seen throttle.
const LAST_SEEN_CAPACITY: u64 = 100_000;

/// Everything handlers share. A clone is one reference count increment: axum clones the state
/// for every extractor and middleware that takes it, many times per request.
#[derive(Debug, Clone)]
pub struct AppState(Arc<SharedState>);

/// The fields of [`AppState`], reached through `Deref`.
#[derive(Debug)]
pub struct SharedState {
    pub config: Arc<Config>,
    pub workspace: Workspace,
    /// The app's own identity; `None` when no service principal is configured.
    pub service_principal: Option<WorkspaceClient>,
    pub identities: IdentityResolver,
    pub store: Option<Arc<dyn Store>>,
    /// Tasks that run beside the requests; shutdown stops them before it closes the database.
    pub background: BackgroundTasks,
    recently_seen: Cache<UserId, ()>,
    draining: AtomicBool,
}

impl std::ops::Deref for AppState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// The process's workspace (one connection pool and one circuit breaker) and its service
/// principal client, whose OAuth token is cached for the whole process. Build it once and give
/// clones to everything that calls the workspace, the Lakebase credential included.
#[derive(Debug, Clone)]
pub struct WorkspaceClients {
    pub workspace: Workspace,
    /// `None` when no service principal is configured.
    pub service_principal: Option<WorkspaceClient>,
}

impl WorkspaceClients {
    /// Builds the workspace for `DATABRICKS_HOST` with the configured upstream timeout.
    pub fn from_config(config: &Config) -> anyhow::Result<Self> {
        let options = WorkspaceOptions {
            request_timeout: config.upstream_timeout,
            ..WorkspaceOptions::default()
        };
        let workspace = Workspace::new(&config.databricks_host, options)?;
        let service_principal = config.service_principal.as_ref().map(|sp| {
            workspace.client(Credentials::ServicePrincipal {
                client_id: sp.client_id.clone(),
                client_secret: sp.client_secret.clone(),
            })
        });
        Ok(Self {
            workspace,
            service_principal,
        })
    }
}

impl AppState {
    /// Builds the state with workspace clients of its own.
    pub fn new(config: Config, store: Option<Arc<dyn Store>>) -> anyhow::Result<Self> {
        let clients = WorkspaceClients::from_config(&config)?;
        Ok(Self::with_clients(config, store, clients))
    }

    /// Builds the state around `clients`, which the caller may share with the database.
    pub fn with_clients(
        config: Config,
        store: Option<Arc<dyn Store>>,
        clients: WorkspaceClients,
    ) -> Self {
        let WorkspaceClients {
            workspace,
            service_principal,
        } = clients;

        Self(Arc::new(SharedState {
            identities: IdentityResolver::new(
                workspace.clone(),
                IdentityCacheOptions {
                    ttl: config.identity_cache_ttl,
                    max_entries: config.identity_cache_max_entries,
                },
            ),
            config: Arc::new(config),
            workspace,
            service_principal,
            store,
            background: BackgroundTasks::new(),
            recently_seen: Cache::builder()
                .max_capacity(LAST_SEEN_CAPACITY)
                .time_to_live(LAST_SEEN_INTERVAL)
                .build(),
            draining: AtomicBool::new(false),
        }))
    }

    /// Updates the user's row at most once per `LAST_SEEN_INTERVAL`. A database failure is logged
    /// and does not fail the request, because the request itself may not need the database.
    pub async fn record_user_seen(&self, identity: &UserIdentity) {
        let Some(store) = &self.store else {
            return;
        };
        if self.recently_seen.contains_key(&identity.user_id) {
            return;
        }
        self.recently_seen
            .insert(identity.user_id.clone(), ())
            .await;

        if let Err(error) = store
            .record_user_seen(&identity.user_id, identity.display_name.as_deref())
            .await
        {
            self.recently_seen.invalidate(&identity.user_id).await;
            tracing::warn!(error = %error, "failed to record that the user was seen");
        }
    }

    /// Makes `/api/ready` answer 503 from now on.
    pub fn start_draining(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }
}

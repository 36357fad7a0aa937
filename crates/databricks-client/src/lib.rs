//! A typed client for the Databricks workspace REST API calls an on-behalf-of-user app needs.
//!
//! Build one [`Workspace`] per process, then one [`WorkspaceClient`] per set of
//! [`Credentials`]: the user's forwarded token for calls made on the user's behalf, or the app's
//! service principal (OAuth M2M). A client never reads credentials from the environment.
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use databricks_client::{Credentials, SecretString, Workspace, WorkspaceOptions};
//!
//! let workspace = Workspace::new("adb-123.azuredatabricks.net", WorkspaceOptions::default())?;
//! let user = workspace.client(Credentials::UserToken(SecretString::from("dapi-...")));
//! let me = user.current_user().await?;
//! println!("{} in workspace {:?}", me.user_name, me.workspace_id);
//! # Ok(())
//! # }
//! ```

mod client;
mod credentials;
mod current_user;
mod error;
mod host;
mod oauth;
mod request;
mod transport;
mod workspace;

pub use secrecy::{ExposeSecret, SecretString};

pub use client::WorkspaceClient;
pub use credentials::{AuthType, Credentials};
pub use current_user::CurrentUser;
pub use error::{ApiError, ErrorKind, MAX_RETRY_AFTER};
pub use host::{ConfigError, normalize_host};
pub use workspace::{Workspace, WorkspaceOptions};

//! Where database credentials come from: the workspace's credential API, called with the app's
//! service principal.

use chrono::{DateTime, Utc};
use databricks_client::WorkspaceClient;
use secrecy::SecretString;

use super::settings::CredentialTarget;
use crate::telemetry::metrics::upstream::{LAKEBASE, observe};

/// A credential as the API returned it.
#[derive(Debug, Clone)]
pub struct MintedCredential {
    /// The password for PostgreSQL logins.
    pub token: SecretString,
    /// The expiry as sent (`expiration_time` or `expire_time`), unparsed.
    pub expiration_time: Option<String>,
}

/// A failed credential request. The message never contains a token.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct MintError(pub String);

/// Mints database credentials.
#[async_trait::async_trait]
pub trait CredentialSource: Send + Sync + std::fmt::Debug + 'static {
    async fn mint(&self) -> Result<MintedCredential, MintError>;
}

/// The credential API of a workspace, called with the service principal's client.
#[derive(Debug, Clone)]
pub struct WorkspaceCredentialSource {
    client: WorkspaceClient,
    target: CredentialTarget,
}

impl WorkspaceCredentialSource {
    /// Wraps `client`, which must authenticate as the app's service principal: a user's token
    /// would mint a credential for that user's role.
    pub fn new(client: WorkspaceClient, target: CredentialTarget) -> Self {
        Self { client, target }
    }
}

#[async_trait::async_trait]
impl CredentialSource for WorkspaceCredentialSource {
    async fn mint(&self) -> Result<MintedCredential, MintError> {
        let result = match &self.target {
            CredentialTarget::Instance(instance) => {
                let names = [instance.as_str()];
                let call = self.client.generate_database_credential(&names);
                observe(LAKEBASE, "generate_database_credential", call).await
            }
            CredentialTarget::Endpoint(endpoint) => {
                let call = self.client.generate_postgres_credential(endpoint);
                observe(LAKEBASE, "generate_postgres_credential", call).await
            }
        };
        let credential = result.map_err(|error| MintError(error.to_string()))?;
        Ok(MintedCredential {
            token: credential.token,
            expiration_time: credential.expiration_time,
        })
    }
}

/// Parses an RFC 3339 expiry. `None` for a missing or unparseable one.
pub fn parse_expiry(expiration_time: Option<&str>) -> Option<DateTime<Utc>> {
    let text = expiration_time?;
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|time| time.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_parses_with_and_without_fraction() {
        let expected = DateTime::parse_from_rfc3339("2026-12-04T20:47:05Z")
            .expect("valid")
            .with_timezone(&Utc);
        assert_eq!(parse_expiry(Some("2026-12-04T20:47:05Z")), Some(expected));
        assert_eq!(
            parse_expiry(Some("2026-12-04T21:47:05.000+01:00")),
            Some(expected)
        );
    }

    #[test]
    fn unparseable_expiry_is_none() {
        for text in ["", "tomorrow", "1733345225", "2026-13-40T00:00:00Z"] {
            assert_eq!(parse_expiry(Some(text)), None, "{text}");
        }
        assert_eq!(parse_expiry(None), None);
    }
}

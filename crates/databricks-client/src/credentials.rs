//! Credentials chosen by the caller, and the SDK name of the authentication they select.

use std::fmt;

use secrecy::SecretString;

/// Credentials for one [`crate::WorkspaceClient`]. This crate never reads them from the
/// environment, so a client cannot end up with two authentication methods at once.
pub enum Credentials {
    /// A user's token (for example the one the Apps proxy forwards in
    /// `X-Forwarded-Access-Token`), sent as `Authorization: Bearer <token>`. The SDKs call this
    /// auth type `pat`.
    UserToken(SecretString),
    /// A service principal's OAuth client credentials, exchanged for short-lived access tokens
    /// (auth type `oauth-m2m`).
    ServicePrincipal {
        /// The application (client) id.
        client_id: String,
        /// The OAuth client secret.
        client_secret: SecretString,
    },
}

impl Credentials {
    /// Returns the authentication type these credentials select.
    pub fn auth_type(&self) -> AuthType {
        match self {
            Credentials::UserToken(_) => AuthType::Pat,
            Credentials::ServicePrincipal { .. } => AuthType::OAuthM2m,
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Credentials::UserToken(_) => formatter
                .debug_tuple("UserToken")
                .field(&"[REDACTED]")
                .finish(),
            Credentials::ServicePrincipal { client_id, .. } => formatter
                .debug_struct("ServicePrincipal")
                .field("client_id", client_id)
                .field("client_secret", &"[REDACTED]")
                .finish(),
        }
    }
}

/// The authentication type of a client, named as the Databricks SDKs name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthType {
    /// A bearer token supplied by the caller (`pat`).
    Pat,
    /// OAuth machine-to-machine client credentials (`oauth-m2m`).
    OAuthM2m,
}

impl AuthType {
    /// Returns the SDK name: `"pat"` or `"oauth-m2m"`.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::Pat => "pat",
            AuthType::OAuthM2m => "oauth-m2m",
        }
    }
}

impl fmt::Display for AuthType {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_secrets() {
        let user = Credentials::UserToken(SecretString::from("dapi-secret-token"));
        let principal = Credentials::ServicePrincipal {
            client_id: "client-1".to_owned(),
            client_secret: SecretString::from("very-secret"),
        };
        let user_debug = format!("{user:?}");
        let principal_debug = format!("{principal:?}");
        assert!(!user_debug.contains("dapi-secret-token"), "{user_debug}");
        assert!(
            !principal_debug.contains("very-secret"),
            "{principal_debug}"
        );
        assert!(principal_debug.contains("client-1"), "{principal_debug}");
    }

    #[test]
    fn auth_type_names() {
        let user = Credentials::UserToken(SecretString::from("t"));
        assert_eq!(user.auth_type().as_str(), "pat");
        assert_eq!(AuthType::OAuthM2m.to_string(), "oauth-m2m");
    }
}

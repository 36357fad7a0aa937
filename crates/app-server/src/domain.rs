//! Types shared by the HTTP layer, the services and the store.

use std::fmt;

/// The verified identity key of a user: the SCIM `userName` returned by the workspace for the
/// user's own token (an email for people, an application id for service principals).
///
/// Only the identity resolver constructs it from a workspace answer, so a value of this type never
/// comes from client input.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserId(String);

impl UserId {
    /// Wraps a `userName` that the workspace has verified.
    pub fn verified(user_name: impl Into<String>) -> Self {
        Self(user_name.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for UserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

//! App administrators: the users listed in `ADMIN_USERS`, and the extractor of admin routes, which
//! writes an audit log line for every call, allowed or denied.

use std::collections::BTreeSet;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;

use super::UserIdentity;
use crate::domain::UserId;
use crate::error::{AppError, ErrorCode};
use crate::state::AppState;

/// The emails of the app's administrators, lowercased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AdminUsers(BTreeSet<String>);

impl AdminUsers {
    /// Parses a comma-separated list of emails. Entries are trimmed and compared
    /// case-insensitively, and empty entries are ignored.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut emails = BTreeSet::new();
        for entry in list.split(',').map(str::trim) {
            if entry.is_empty() {
                continue;
            }
            if !looks_like_email(entry) {
                return Err(format!(
                    "{entry:?} is not an email address: list the admins' emails separated by commas"
                ));
            }
            emails.insert(entry.to_lowercase());
        }
        Ok(Self(emails))
    }

    /// Tells whether `user_id` is an administrator, ignoring case.
    pub fn contains(&self, user_id: &UserId) -> bool {
        self.0.contains(&user_id.as_str().to_lowercase())
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Checks the shape of an email: a local part without whitespace or separators, one `@`, and a
/// domain of dot-separated labels of letters, digits and `-` with at least one dot.
fn looks_like_email(entry: &str) -> bool {
    let Some((local, domain)) = entry.split_once('@') else {
        return false;
    };
    let local_is_valid = !local.is_empty()
        && !local
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '@' | ',' | ';'));
    let domain_is_valid = domain.contains('.')
        && domain.split('.').all(|label| {
            !label.is_empty() && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        });
    local_is_valid && domain_is_valid
}

/// A verified user who is in `ADMIN_USERS`.
///
/// Extracting it logs one `admin.audit` line at INFO for an allowed call and at WARN for a
/// denied one, with the method, the path, `allowed`, and the caller's verified user id when the
/// token could be verified. A caller who is not an admin gets 403 `ADMIN_REQUIRED`, and a call
/// without a usable token gets the authentication error of [`UserIdentity`].
#[derive(Debug, Clone)]
pub struct AdminIdentity(pub UserIdentity);

impl FromRequestParts<AppState> for AdminIdentity {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let identity = match UserIdentity::from_request_parts(parts, state).await {
            Ok(identity) => identity,
            Err(error) => {
                audit(parts, None, false, error.code.as_str());
                return Err(error);
            }
        };

        if !state.config.admin_users.contains(&identity.user_id) {
            audit(parts, Some(&identity.user_id), false, "not in ADMIN_USERS");
            return Err(AppError::new(
                StatusCode::FORBIDDEN,
                ErrorCode::AdminRequired,
                "This route is for app administrators, and your user is not in ADMIN_USERS",
            ));
        }
        audit(parts, Some(&identity.user_id), true, "in ADMIN_USERS");
        Ok(Self(identity))
    }
}

/// Writes the audit line of one admin call. The user id is logged in full, because an audit
/// trail must name who acted.
fn audit(parts: &Parts, user_id: Option<&UserId>, allowed: bool, reason: &str) {
    let user_id = user_id.map(UserId::as_str);
    let method = parts.method.as_str();
    let route = parts.uri.path();
    if allowed {
        tracing::info!(
            event = "admin.audit",
            user_id,
            method,
            route,
            allowed,
            reason,
            "admin API call allowed"
        );
    } else {
        tracing::warn!(
            event = "admin.audit",
            user_id,
            method,
            route,
            allowed,
            reason,
            "admin API call denied"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_trims_and_lowercases() {
        let admins =
            AdminUsers::parse(" Carol@Example.com , bob@example.com,,").expect("valid list");

        assert_eq!(admins.len(), 2);
        assert!(admins.contains(&UserId::verified("carol@example.com")));
        assert!(admins.contains(&UserId::verified("CAROL@EXAMPLE.COM")));
        assert!(admins.contains(&UserId::verified("bob@example.com")));
        assert!(!admins.contains(&UserId::verified("alice@example.com")));
    }

    #[test]
    fn empty_list_has_no_admins() {
        let admins = AdminUsers::parse(" , ").expect("valid list");
        assert!(admins.is_empty());
    }

    #[test]
    fn parse_rejects_non_emails() {
        for list in [
            "carol",
            "carol@example.com;bob@example.com",
            "carol smith@example.com",
            "@example.com",
            "carol@",
            "a@b@c.com",
            "carol@localhost",
            "carol@example..com",
        ] {
            let error = AdminUsers::parse(list).expect_err(list);
            assert!(error.contains("not an email address"), "{list}: {error}");
        }
    }
}

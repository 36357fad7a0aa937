//! Principals and the token table.

use std::collections::HashMap;

use chrono::{DateTime, TimeDelta, Utc};
use secrecy::ExposeSecret as _;

use crate::fixture::Fixture;
use crate::principal::{Principal, principals_from};
use crate::scopes::ALL_APIS;
use crate::token::{Claims, TokenHash, TokenRecord, encode_jwt, hash_token};

/// Result of checking a bearer token.
#[derive(Debug)]
pub(crate) enum TokenCheck {
    Valid(Principal),
    /// Not issued by this workspace, or its principal was deleted.
    Unknown,
    /// Expired, or expiring within the fixture's rejection window.
    Expiring,
    /// The principal is deactivated.
    Inactive,
}

/// A newly issued access token. `token` is the only copy.
#[derive(Debug)]
pub(crate) struct IssuedToken {
    pub(crate) token: String,
    pub(crate) expires_at: DateTime<Utc>,
}

#[derive(Debug)]
pub(crate) struct Directory {
    /// Principals not deleted, users first, in fixture order.
    principals: Vec<Principal>,
    tokens: HashMap<TokenHash, TokenRecord>,
    /// Tokens that expire within this window are rejected. The platform uses 30 seconds
    /// ("Token is expiring within 30 seconds"), which is why the SDKs refresh 40 s before expiry.
    rejection_window: TimeDelta,
}

impl Directory {
    pub(crate) fn from_fixture(fixture: &Fixture) -> Self {
        let tokens = fixture
            .users
            .iter()
            .filter_map(|user| {
                let token = user.token.as_ref()?;
                let record = TokenRecord {
                    user_name: user.user_name.clone(),
                    expires_at: None,
                    scope: ALL_APIS.to_owned(),
                };
                Some((hash_token(token.expose_secret()), record))
            })
            .collect();
        let window_seconds = fixture.workspace.token_rejection_window_seconds;
        Self {
            principals: principals_from(fixture),
            tokens,
            rejection_window: i64::try_from(window_seconds)
                .ok()
                .and_then(TimeDelta::try_seconds)
                .unwrap_or(TimeDelta::MAX),
        }
    }

    pub(crate) fn principals(&self) -> &[Principal] {
        &self.principals
    }

    pub(crate) fn principal(&self, user_name: &str) -> Option<&Principal> {
        self.principals.iter().find(|p| p.has_user_name(user_name))
    }

    pub(crate) fn check_token(&self, token: &str, now: DateTime<Utc>) -> TokenCheck {
        let Some(record) = self.tokens.get(&hash_token(token)) else {
            return TokenCheck::Unknown;
        };
        if record
            .expires_at
            .is_some_and(|expires_at| expires_at - now <= self.rejection_window)
        {
            return TokenCheck::Expiring;
        }
        match self.principal(&record.user_name) {
            None => TokenCheck::Unknown,
            Some(principal) if !principal.active => TokenCheck::Inactive,
            Some(principal) => TokenCheck::Valid(principal.clone()),
        }
    }

    /// Returns the space-separated scopes of a token this workspace issued.
    pub(crate) fn token_scope(&self, token: &str) -> Option<&str> {
        self.tokens
            .get(&hash_token(token))
            .map(|record| record.scope.as_str())
    }

    /// Mints a JWT-shaped access token for an existing principal, or returns `None` when there is
    /// no principal with that user name. `lifetime` may be negative to mint an expired token.
    pub(crate) fn issue_token(
        &mut self,
        user_name: &str,
        lifetime: TimeDelta,
        scope: &str,
        issuer: &str,
        now: DateTime<Utc>,
    ) -> Option<IssuedToken> {
        let user_name = self.principal(user_name)?.user_name.clone();
        let expires_at = now + lifetime;
        let token = encode_jwt(&Claims {
            iss: issuer,
            sub: &user_name,
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
            scope,
            jti: uuid::Uuid::new_v4().to_string(),
        });
        let record = TokenRecord {
            user_name,
            expires_at: Some(expires_at),
            scope: scope.to_owned(),
        };
        self.tokens.insert(hash_token(&token), record);
        Some(IssuedToken { token, expires_at })
    }

    /// Sets `active`, or returns `None` when there is no such principal.
    pub(crate) fn set_active(&mut self, user_name: &str, active: bool) -> Option<&Principal> {
        let principal = self
            .principals
            .iter_mut()
            .find(|p| p.has_user_name(user_name))?;
        principal.active = active;
        Some(principal)
    }

    /// Removes a principal, whose tokens then stop working. Returns whether it existed.
    pub(crate) fn delete(&mut self, user_name: &str) -> bool {
        let before = self.principals.len();
        self.principals.retain(|p| !p.has_user_name(user_name));
        self.principals.len() != before
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn directory() -> Directory {
        Directory::from_fixture(&Fixture::default_fixture())
    }

    #[test]
    fn fixture_token_is_valid_without_expiry() {
        let check = directory().check_token("dapi-alice-dev", Utc::now());
        assert!(
            matches!(check, TokenCheck::Valid(ref p) if p.user_name == "alice@example.com"),
            "{check:?}"
        );
    }

    #[test]
    fn token_expiring_within_margin_is_rejected() {
        let mut directory = directory();
        let now = Utc::now();
        let issued = directory
            .issue_token(
                "bob@example.com",
                TimeDelta::seconds(60),
                "all-apis",
                "x",
                now,
            )
            .expect("bob exists");
        let at_29s = now + TimeDelta::seconds(29);
        let at_30s = now + TimeDelta::seconds(30);
        assert!(matches!(
            directory.check_token(&issued.token, at_29s),
            TokenCheck::Valid(_)
        ));
        assert!(matches!(
            directory.check_token(&issued.token, at_30s),
            TokenCheck::Expiring
        ));
    }

    #[test]
    fn zero_window_rejects_only_expired_tokens() {
        let mut fixture = Fixture::default_fixture();
        fixture.workspace.token_rejection_window_seconds = 0;
        let mut directory = Directory::from_fixture(&fixture);
        let now = Utc::now();
        let issued = directory
            .issue_token(
                "bob@example.com",
                TimeDelta::seconds(5),
                "all-apis",
                "x",
                now,
            )
            .expect("bob exists");
        let before_expiry = now + TimeDelta::milliseconds(4_900);
        let at_expiry = now + TimeDelta::seconds(5);
        assert!(matches!(
            directory.check_token(&issued.token, before_expiry),
            TokenCheck::Valid(_)
        ));
        assert!(matches!(
            directory.check_token(&issued.token, at_expiry),
            TokenCheck::Expiring
        ));
    }

    #[test]
    fn deleted_principal_token_is_unknown() {
        let mut directory = directory();
        assert!(directory.delete("ALICE@example.com"));
        assert!(matches!(
            directory.check_token("dapi-alice-dev", Utc::now()),
            TokenCheck::Unknown
        ));
        assert!(!directory.delete("alice@example.com"));
    }

    #[test]
    fn deactivated_principal_token_is_inactive() {
        let check = directory().check_token("dapi-dave-dev", Utc::now());
        assert!(matches!(check, TokenCheck::Inactive), "{check:?}");
    }

    #[test]
    fn issue_for_unknown_principal_returns_none() {
        let issued = directory().issue_token(
            "nobody@example.com",
            TimeDelta::seconds(60),
            "all-apis",
            "x",
            Utc::now(),
        );
        assert!(issued.is_none());
    }
}

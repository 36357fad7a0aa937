//! A look at the unverified payload of a JWT-shaped token.
//!
//! The payload is a hint (expiry, scopes) used to fail fast; it is never proof of identity, which
//! only the workspace gives.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Claims {
    exp: Option<f64>,
    /// Space-separated OAuth scopes.
    scope: Option<String>,
}

/// Returns the `exp` claim of a JWT-shaped token, or `None` for opaque tokens (such as PATs) and
/// payloads without a usable `exp`.
pub fn expiry(token: &str) -> Option<SystemTime> {
    let seconds = claims(token)?.exp?;
    if !seconds.is_finite() || seconds < 0.0 {
        return None;
    }
    UNIX_EPOCH.checked_add(Duration::try_from_secs_f64(seconds).ok()?)
}

/// Returns the `scope` claim of a JWT-shaped token as a list, or `None` for opaque tokens and
/// payloads without one.
pub fn scopes(token: &str) -> Option<Vec<String>> {
    let scope = claims(token)?.scope?;
    Some(scope.split_whitespace().map(str::to_owned).collect())
}

fn claims(token: &str) -> Option<Claims> {
    let mut parts = token.split('.');
    let (Some(_header), Some(payload), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };

    let bytes = URL_SAFE_NO_PAD
        .decode(payload)
        .or_else(|_| URL_SAFE.decode(payload))
        .ok()?;
    serde_json::from_slice(&bytes).ok()
}

/// Returns true when the token is a JWT whose `exp` is not after `now`.
pub fn has_expired(token: &str, now: SystemTime) -> bool {
    expiry(token).is_some_and(|exp| exp <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jwt(payload: &str) -> String {
        format!("e30.{}.c2ln", URL_SAFE_NO_PAD.encode(payload))
    }

    #[test]
    fn reads_exp_claim() {
        let token = jwt(r#"{"sub":"a","exp":1700000000}"#);
        assert_eq!(
            expiry(&token),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
    }

    #[test]
    fn opaque_and_broken_tokens_have_no_expiry() {
        for token in [
            "dapi-alice-dev",
            "a.b",
            "a.b.c.d",
            "e30.!!!.c2ln",
            &jwt("[]"),
            &jwt(r#"{"exp":"soon"}"#),
            &jwt(r#"{"exp":-5}"#),
        ] {
            assert_eq!(expiry(token), None, "token {token:?}");
        }
    }

    #[test]
    fn reads_scope_claim() {
        let token = jwt(r#"{"exp":1,"scope":"unity-catalog  model-serving"}"#);
        assert_eq!(
            scopes(&token),
            Some(vec!["unity-catalog".to_owned(), "model-serving".to_owned()])
        );
        assert_eq!(scopes(&jwt(r#"{"exp":1}"#)), None);
        assert_eq!(scopes("dapi-alice-dev"), None);
    }

    #[test]
    fn expired_only_after_exp() {
        let token = jwt(r#"{"exp":100}"#);
        assert!(has_expired(&token, UNIX_EPOCH + Duration::from_secs(100)));
        assert!(!has_expired(&token, UNIX_EPOCH + Duration::from_secs(99)));
        assert!(!has_expired("dapi-alice-dev", SystemTime::now()));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    use super::*;

    fn jwt_with_payload(payload: &[u8]) -> String {
        format!("e30.{}.c2ln", URL_SAFE_NO_PAD.encode(payload))
    }

    proptest! {
        #[test]
        fn any_token_is_peeked_without_panic(token in "\\PC{0,300}") {
            let _ = expiry(&token);
            let _ = scopes(&token);
            let _ = has_expired(&token, SystemTime::now());
        }

        #[test]
        fn any_payload_bytes_are_peeked_without_panic(payload in prop::collection::vec(any::<u8>(), 0..400)) {
            let token = jwt_with_payload(&payload);
            let _ = expiry(&token);
            let _ = scopes(&token);
        }

        #[test]
        fn exp_claim_is_read_back(exp in 0_u64..=10_000_000_000) {
            let token = jwt_with_payload(format!(r#"{{"exp":{exp}}}"#).as_bytes());
            prop_assert_eq!(expiry(&token), Some(UNIX_EPOCH + Duration::from_secs(exp)));
        }

        #[test]
        fn expired_exactly_when_exp_is_not_after_now(exp in 0_u64..1_000_000, now in 0_u64..1_000_000) {
            let token = jwt_with_payload(format!(r#"{{"exp":{exp}}}"#).as_bytes());
            let expired = has_expired(&token, UNIX_EPOCH + Duration::from_secs(now));
            prop_assert_eq!(expired, exp <= now);
        }

        #[test]
        fn scope_claim_is_split_on_whitespace(list in prop::collection::vec("[a-z:.-]{1,20}", 0..6)) {
            let claims = serde_json::json!({ "exp": 1, "scope": list.join(" ") });
            let token = jwt_with_payload(claims.to_string().as_bytes());
            prop_assert_eq!(scopes(&token), Some(list));
        }
    }
}

//! Access tokens: JWT-shaped minting and the hashed token table entries.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest as _, Sha256};

/// SHA-256 of a token. The token table is keyed by it, so the emulator keeps no copy of issued
/// tokens.
pub(crate) type TokenHash = [u8; 32];

pub(crate) fn hash_token(token: &str) -> TokenHash {
    Sha256::digest(token.as_bytes()).into()
}

/// Principal and expiry of an issued token.
#[derive(Debug, Clone)]
pub(crate) struct TokenRecord {
    /// `userName` of the principal (email or application id).
    pub(crate) user_name: String,
    /// `None` for fixture personal access tokens, which never expire.
    pub(crate) expires_at: Option<DateTime<Utc>>,
    /// Space-separated OAuth scopes; `all-apis` for fixture personal access tokens.
    pub(crate) scope: String,
}

/// Claims of a minted token. Databricks OAuth access tokens are JWTs whose payload clients read
/// for expiry and scopes.
#[derive(Debug, Serialize)]
pub(crate) struct Claims<'a> {
    pub(crate) iss: &'a str,
    pub(crate) sub: &'a str,
    pub(crate) iat: i64,
    pub(crate) exp: i64,
    /// Space-separated scopes, as in OAuth.
    pub(crate) scope: &'a str,
    pub(crate) jti: String,
}

/// Encodes claims as `base64url(header).base64url(payload).base64url(signature)`.
///
/// The signature is random bytes: nothing verifies it, and the emulator recognises its tokens by
/// looking them up in its table.
pub(crate) fn encode_jwt(claims: &Claims<'_>) -> String {
    let header = serde_json::json!({"alg": "RS256", "typ": "JWT", "kid": "workspace-emulator"});
    let payload = serde_json::to_vec(claims).expect("claims of strings and integers serialize");
    let signature: [u8; 32] = rand::random();
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload),
        URL_SAFE_NO_PAD.encode(signature)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_claims() -> Claims<'static> {
        Claims {
            iss: "http://127.0.0.1:1/oidc",
            sub: "alice@example.com",
            iat: 1_700_000_000,
            exp: 1_700_003_600,
            scope: "all-apis sql",
            jti: uuid::Uuid::new_v4().to_string(),
        }
    }

    #[test]
    fn jwt_payload_decodes_to_claims() {
        let token = encode_jwt(&sample_claims());
        let parts: Vec<&str> = token.split('.').collect();
        assert_eq!(parts.len(), 3);
        let payload = URL_SAFE_NO_PAD.decode(parts[1]).expect("base64url payload");
        let claims: serde_json::Value = serde_json::from_slice(&payload).expect("JSON payload");
        assert_eq!(claims["sub"], "alice@example.com");
        assert_eq!(claims["exp"], 1_700_003_600);
        assert_eq!(claims["scope"], "all-apis sql");
    }

    #[test]
    fn same_claims_give_different_tokens() {
        assert_ne!(encode_jwt(&sample_claims()), encode_jwt(&sample_claims()));
    }

    #[test]
    fn hash_differs_per_token() {
        assert_ne!(hash_token("a"), hash_token("b"));
        assert_eq!(hash_token("a"), hash_token("a"));
    }
}

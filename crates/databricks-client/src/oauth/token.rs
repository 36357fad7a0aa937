//! An OAuth access token with its refresh deadlines, and parsing of the token response.

use std::fmt;
use std::time::Duration;

use secrecy::SecretString;
use serde_json::Value;
use tokio::time::Instant;

/// The maximum token lifetime taken from `expires_in`. A longer one is cut to this, which only
/// makes the refresh earlier.
const MAX_TOKEN_LIFETIME: Duration = Duration::from_hours(24);

/// When a cached token is refreshed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RefreshPolicy {
    /// The maximum lead before expiry at which a token counts as expired. The lead is a quarter
    /// of the lifetime when that is shorter, so that a token living a few seconds is still used.
    /// The platform rejects tokens that expire within 30 seconds, so the Python SDK uses 40
    /// seconds. NOTE: a lifetime under 120 s gets a lead under those 30 s, which only a workspace
    /// with a shorter rejection window (such as the emulator configured for tests) accepts.
    pub(crate) expiry_margin: Duration,
    /// The maximum lead before expiry at which a token turns stale. The lead is half the lifetime
    /// when that is shorter.
    pub(crate) max_refresh_lead: Duration,
    /// The wait after a failed background refresh before another one starts.
    pub(crate) background_retry_delay: Duration,
}

impl Default for RefreshPolicy {
    /// 40 s expiry margin, 20 min maximum lead and 1 min retry delay, as in the Python SDK.
    fn default() -> Self {
        RefreshPolicy {
            expiry_margin: Duration::from_secs(40),
            max_refresh_lead: Duration::from_mins(20),
            background_retry_delay: Duration::from_mins(1),
        }
    }
}

/// The usability of a cached token at a given instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Freshness {
    /// Use it.
    Fresh,
    /// Use it, and start a background refresh.
    Stale,
    /// Do not use it: refresh first.
    Expired,
}

/// A cached access token.
#[derive(Clone)]
pub(crate) struct AccessToken {
    value: SecretString,
    expiry: Instant,
    stale_at: Instant,
    expired_at: Instant,
}

impl AccessToken {
    /// Builds a token issued at `issued_at` that lives for `lifetime`.
    pub(crate) fn new(
        value: SecretString,
        issued_at: Instant,
        lifetime: Duration,
        policy: &RefreshPolicy,
    ) -> AccessToken {
        let lifetime = lifetime.min(MAX_TOKEN_LIFETIME);
        let expiry = issued_at + lifetime;
        let lead = (lifetime / 2).min(policy.max_refresh_lead);
        AccessToken {
            value,
            expiry,
            stale_at: expiry - lead,
            expired_at: expiry - policy.expiry_margin.min(lifetime / 4),
        }
    }

    pub(crate) fn value(&self) -> SecretString {
        self.value.clone()
    }

    pub(crate) fn freshness(&self, now: Instant) -> Freshness {
        if now >= self.expired_at {
            Freshness::Expired
        } else if now >= self.stale_at {
            Freshness::Stale
        } else {
            Freshness::Fresh
        }
    }

    /// Returns whether the token has not reached its expiry. A token inside the expiry margin is still
    /// handed to callers that waited for the refresh that fetched it.
    pub(crate) fn is_unexpired(&self, now: Instant) -> bool {
        now < self.expiry
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("AccessToken")
            .field("value", &"[REDACTED]")
            .field("expiry", &self.expiry)
            .finish_non_exhaustive()
    }
}

/// Reads `access_token`, `token_type` and `expires_in` (a number or a numeric string) from a
/// token endpoint response. Error messages never contain the token.
pub(crate) fn parse_token_response(body: &[u8]) -> Result<(SecretString, Duration), String> {
    let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(body) else {
        return Err("the body is not a JSON object".to_owned());
    };

    let access_token = match object.get("access_token") {
        Some(Value::String(token)) if !token.trim().is_empty() => SecretString::from(token.trim()),
        Some(_) => return Err("access_token is empty or not a string".to_owned()),
        None => return Err("access_token is missing".to_owned()),
    };
    match object.get("token_type") {
        None => {}
        Some(Value::String(kind)) if kind.eq_ignore_ascii_case("bearer") => {}
        Some(other) => return Err(format!("token_type {other} is not Bearer")),
    }
    let lifetime = parse_expires_in(object.get("expires_in"))?;
    Ok((access_token, lifetime))
}

fn parse_expires_in(value: Option<&Value>) -> Result<Duration, String> {
    let seconds = match value {
        None => return Err("expires_in is missing".to_owned()),
        Some(Value::Number(number)) => number.as_f64(),
        Some(Value::String(text)) => text.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match seconds {
        Some(seconds) if seconds.is_finite() && seconds > 0.0 => Ok(Duration::try_from_secs_f64(
            seconds,
        )
        .map_or(MAX_TOKEN_LIFETIME, |lifetime| {
            lifetime.min(MAX_TOKEN_LIFETIME)
        })),
        _ => Err(format!(
            "expires_in {} is not a positive number of seconds",
            value.map_or_else(String::new, Value::to_string)
        )),
    }
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn token(lifetime_seconds: u64, issued_at: Instant) -> AccessToken {
        AccessToken::new(
            SecretString::from("t"),
            issued_at,
            Duration::from_secs(lifetime_seconds),
            &RefreshPolicy::default(),
        )
    }

    #[test]
    fn hour_token_deadlines() {
        let issued = Instant::now();
        let token = token(3600, issued);
        let at = |seconds| issued + Duration::from_secs(seconds);
        assert_eq!(token.freshness(at(0)), Freshness::Fresh);
        // Stale at expiry - min(1800 s, 1200 s) = 2400 s.
        assert_eq!(token.freshness(at(2399)), Freshness::Fresh);
        assert_eq!(token.freshness(at(2400)), Freshness::Stale);
        // Expired 40 s before expiry.
        assert_eq!(token.freshness(at(3559)), Freshness::Stale);
        assert_eq!(token.freshness(at(3560)), Freshness::Expired);
        assert!(token.is_unexpired(at(3599)));
        assert!(!token.is_unexpired(at(3600)));
    }

    #[test]
    fn short_token_turns_stale_at_half_life() {
        let issued = Instant::now();
        let token = token(600, issued);
        let at = |seconds| issued + Duration::from_secs(seconds);
        assert_eq!(token.freshness(at(299)), Freshness::Fresh);
        assert_eq!(token.freshness(at(300)), Freshness::Stale);
        assert_eq!(token.freshness(at(560)), Freshness::Expired);
    }

    #[test]
    fn five_second_token_expires_a_quarter_early() {
        let issued = Instant::now();
        let token = token(5, issued);
        let at = |millis| issued + Duration::from_millis(millis);
        assert_eq!(token.freshness(issued), Freshness::Fresh);
        // Stale at expiry - min(2.5 s, 20 min) = 2.5 s.
        assert_eq!(token.freshness(at(2_499)), Freshness::Fresh);
        assert_eq!(token.freshness(at(2_500)), Freshness::Stale);
        // Expired at expiry - min(40 s, 1.25 s) = 3.75 s.
        assert_eq!(token.freshness(at(3_749)), Freshness::Stale);
        assert_eq!(token.freshness(at(3_750)), Freshness::Expired);
        assert!(token.is_unexpired(at(4_999)));
    }

    #[test]
    fn two_minute_token_expires_a_quarter_early() {
        let issued = Instant::now();
        let token = token(120, issued);
        let at = |seconds| issued + Duration::from_secs(seconds);
        // Expired at expiry - min(40 s, 30 s) = 90 s.
        assert_eq!(token.freshness(at(89)), Freshness::Stale);
        assert_eq!(token.freshness(at(90)), Freshness::Expired);
    }

    #[test]
    fn token_response_numeric_and_string_expires_in() {
        for body in [
            r#"{"access_token": "abc", "token_type": "Bearer", "expires_in": 3600}"#,
            r#"{"access_token": "abc", "token_type": "bearer", "expires_in": "3600", "scope": "all-apis"}"#,
            r#"{"access_token": "abc", "expires_in": 3600.0}"#,
        ] {
            let (token, lifetime) = parse_token_response(body.as_bytes())
                .unwrap_or_else(|error| panic!("{body}: {error}"));
            assert_eq!(token.expose_secret(), "abc");
            assert_eq!(lifetime, Duration::from_hours(1), "{body}");
        }
    }

    #[test]
    fn token_response_caps_lifetime() {
        let body = r#"{"access_token": "abc", "expires_in": 1e300}"#;
        let (_, lifetime) = parse_token_response(body.as_bytes()).expect("valid");
        assert_eq!(lifetime, MAX_TOKEN_LIFETIME);
    }

    #[test]
    fn token_response_errors() {
        let cases = [
            ("not json", "not a JSON object"),
            (
                r#"{"token_type": "Bearer", "expires_in": 1}"#,
                "access_token is missing",
            ),
            (
                r#"{"access_token": "", "expires_in": 1}"#,
                "access_token is empty",
            ),
            (
                r#"{"access_token": "secret-value"}"#,
                "expires_in is missing",
            ),
            (
                r#"{"access_token": "secret-value", "expires_in": "soon"}"#,
                "not a positive number",
            ),
            (
                r#"{"access_token": "secret-value", "expires_in": -5}"#,
                "not a positive number",
            ),
            (
                r#"{"access_token": "secret-value", "expires_in": 0}"#,
                "not a positive number",
            ),
            (
                r#"{"access_token": "secret-value", "token_type": "MAC", "expires_in": 1}"#,
                "is not Bearer",
            ),
        ];
        for (body, expected) in cases {
            let error = parse_token_response(body.as_bytes()).expect_err(body);
            assert!(error.contains(expected), "{body}: {error}");
            assert!(!error.contains("secret-value"), "{body}: {error}");
        }
    }
}

//! The developer's own OAuth token, from `databricks auth token` of the Databricks CLI.
//!
//! The CLI prints the cached token of a `databricks auth login` as JSON, such as
//! `{"access_token": "…", "token_type": "Bearer", "expiry": "2026-12-04T22:47:05.1+01:00"}`. It
//! refreshes the token first only when `oauth2.Token.Valid` is false, that is within seconds of
//! its expiry (the Go SDK's `u2m.PersistentAuth.Token`). `--force-refresh` gets a new token
//! earlier, but older CLIs reject the flag. The output is never logged or shown, because it
//! contains the token.

use std::fmt;
use std::io::ErrorKind;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use serde::Deserialize;

/// The CLI program, looked up on `PATH`.
pub const CLI_PROGRAM: &str = "databricks";

/// How long one `databricks auth token` may take; a refresh calls the workspace.
const CLI_TIMEOUT: Duration = Duration::from_mins(1);

/// Characters of the CLI's error output quoted in an error message.
const MAX_QUOTED_STDERR: usize = 600;

/// The login of the CLI that tokens come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliLogin {
    /// A profile of the CLI's configuration file (`--profile`).
    Profile(String),
    /// A workspace URL as the developer typed it (`--host`).
    Host(String),
}

impl CliLogin {
    /// Returns the CLI arguments that select this login.
    fn arguments(&self) -> [&str; 2] {
        match self {
            Self::Profile(profile) => ["--profile", profile],
            Self::Host(host) => ["--host", host],
        }
    }

    /// Returns the login command that fixes a missing or expired login.
    pub fn login_command(&self) -> String {
        match self {
            Self::Profile(profile) => format!("databricks auth login --profile {profile}"),
            Self::Host(host) => format!("databricks auth login --host {host}"),
        }
    }
}

impl fmt::Display for CliLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Profile(profile) => write!(f, "profile {profile}"),
            Self::Host(host) => write!(f, "host {host}"),
        }
    }
}

/// A token printed by the CLI. `Debug` redacts the token.
#[derive(Debug, Clone)]
pub struct CliToken {
    pub access_token: SecretString,
    /// `None` when the CLI printed no usable expiry.
    pub expiry: Option<DateTime<Utc>>,
}

/// A failure to read a token from the CLI. The messages never contain the CLI's standard
/// output, which may contain a token.
#[derive(Debug, thiserror::Error)]
pub enum CliTokenError {
    #[error(
        "the Databricks CLI (`{CLI_PROGRAM}`) was not found on PATH: install it \
         (https://docs.databricks.com/dev-tools/cli/install.html), run `{login_command}`, \
         then start `app-server dev --workspace` again"
    )]
    Missing { login_command: String },
    #[error("failed to run `{CLI_PROGRAM} auth token`: {0}")]
    Spawn(std::io::Error),
    #[error(
        "`{CLI_PROGRAM} auth token` for {login} failed ({status}): {stderr}\nIf you are not \
         logged in or the login expired, run `{login_command}`, then start again"
    )]
    Failed {
        login: String,
        login_command: String,
        status: String,
        stderr: String,
    },
    #[error("`{CLI_PROGRAM} auth token` did not finish within {} s", CLI_TIMEOUT.as_secs())]
    TimedOut,
    #[error(
        "`{CLI_PROGRAM} auth token` printed no access token (expected JSON with \
         `access_token`): {0}; update the Databricks CLI"
    )]
    InvalidOutput(String),
}

/// Runs `databricks auth token` for `login`, with `--force-refresh` when `force_refresh` is set.
pub async fn fetch(login: &CliLogin, force_refresh: bool) -> Result<CliToken, CliTokenError> {
    let mut command = tokio::process::Command::new(CLI_PROGRAM);
    command
        .args(["auth", "token"])
        .args(login.arguments())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    if force_refresh {
        command.arg("--force-refresh");
    }

    let child = command.spawn().map_err(|error| match error.kind() {
        ErrorKind::NotFound => CliTokenError::Missing {
            login_command: login.login_command(),
        },
        _ => CliTokenError::Spawn(error),
    })?;
    let output = tokio::time::timeout(CLI_TIMEOUT, child.wait_with_output())
        .await
        .map_err(|_| CliTokenError::TimedOut)?
        .map_err(CliTokenError::Spawn)?;

    if !output.status.success() {
        return Err(CliTokenError::Failed {
            login: login.to_string(),
            login_command: login.login_command(),
            status: output.status.to_string(),
            stderr: quote_stderr(&output.stderr),
        });
    }
    parse_token(&output.stdout, Utc::now())
}

/// Parses the CLI's JSON output. `now` dates a relative `expires_in`.
pub fn parse_token(stdout: &[u8], now: DateTime<Utc>) -> Result<CliToken, CliTokenError> {
    #[derive(Deserialize)]
    struct TokenJson {
        access_token: Option<String>,
        expiry: Option<String>,
        expires_in: Option<i64>,
    }

    // serde_json's messages name the position, never the input, so they are safe to show.
    let json: TokenJson = serde_json::from_slice(stdout)
        .map_err(|error| CliTokenError::InvalidOutput(format!("not JSON ({error})")))?;
    let access_token = json
        .access_token
        .filter(|token| !token.trim().is_empty())
        .ok_or_else(|| CliTokenError::InvalidOutput("`access_token` is missing".to_owned()))?;

    let expiry = json
        .expiry
        .and_then(|text| DateTime::parse_from_rfc3339(&text).ok())
        .map(|expiry| expiry.with_timezone(&Utc))
        // Go writes an unset expiry as year 1.
        .filter(|expiry| expiry.timestamp() > 0)
        .or_else(|| {
            let seconds = json.expires_in.filter(|seconds| *seconds > 0)?;
            Some(now + chrono::TimeDelta::seconds(seconds))
        });
    Ok(CliToken {
        access_token: SecretString::from(access_token.trim().to_owned()),
        expiry,
    })
}

/// Returns the CLI's error output as one trimmed line, cut to `MAX_QUOTED_STDERR` characters.
fn quote_stderr(stderr: &[u8]) -> String {
    let text = String::from_utf8_lossy(stderr);
    let joined = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if joined.is_empty() {
        return "no error output".to_owned();
    }
    if joined.chars().count() <= MAX_QUOTED_STDERR {
        return joined;
    }
    let cut: String = joined.chars().take(MAX_QUOTED_STDERR).collect();
    format!("{cut}…")
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-04T21:00:00Z")
            .expect("valid time")
            .with_timezone(&Utc)
    }

    #[test]
    fn token_with_expiry_is_parsed() {
        let output = br#"{
          "access_token": "eyJ.header.sig",
          "token_type": "Bearer",
          "expiry": "2026-12-04T22:47:05.108549+01:00"
        }"#;

        let token = parse_token(output, now()).expect("valid output");

        assert_eq!(token.access_token.expose_secret(), "eyJ.header.sig");
        assert_eq!(
            token.expiry.map(|expiry| expiry.to_rfc3339()),
            Some("2026-12-04T21:47:05.108549+00:00".to_owned())
        );
    }

    #[test]
    fn zero_expiry_means_unknown() {
        let output = br#"{"access_token": "t", "expiry": "0001-01-01T00:00:00Z"}"#;

        let token = parse_token(output, now()).expect("valid output");

        assert_eq!(token.expiry, None);
    }

    #[test]
    fn expires_in_dates_from_now() {
        let output = br#"{"access_token": "t", "expires_in": 3600}"#;

        let token = parse_token(output, now()).expect("valid output");

        assert_eq!(token.expiry, Some(now() + chrono::TimeDelta::hours(1)));
    }

    #[test]
    fn missing_access_token_is_rejected() {
        for output in [
            &br#"{"token_type": "Bearer"}"#[..],
            br#"{"access_token": "  "}"#,
        ] {
            let error = parse_token(output, now()).expect_err("no token");
            assert!(error.to_string().contains("`access_token` is missing"));
        }
    }

    #[test]
    fn invalid_output_is_not_echoed() {
        let output = b"secret-looking-text that is not JSON";

        let message = parse_token(output, now())
            .expect_err("not JSON")
            .to_string();

        assert!(message.contains("not JSON"), "{message}");
        assert!(!message.contains("secret-looking-text"), "{message}");
    }

    #[test]
    fn stderr_is_joined_and_cut() {
        assert_eq!(quote_stderr(b"Error: a\n\n  b\n"), "Error: a b");
        assert_eq!(quote_stderr(b""), "no error output");
        let long = "x".repeat(MAX_QUOTED_STDERR + 10);
        assert_eq!(
            quote_stderr(long.as_bytes()).chars().count(),
            MAX_QUOTED_STDERR + 1
        );
    }

    #[test]
    fn login_selects_cli_arguments() {
        let profile = CliLogin::Profile("dev".to_owned());
        let host = CliLogin::Host("https://adb-1.azuredatabricks.net".to_owned());

        assert_eq!(profile.arguments(), ["--profile", "dev"]);
        assert_eq!(
            host.arguments(),
            ["--host", "https://adb-1.azuredatabricks.net"]
        );
        assert_eq!(
            profile.login_command(),
            "databricks auth login --profile dev"
        );
    }
}

//! `dev --workspace`: the developer's token from the Databricks CLI, checked against the
//! workspace and refreshed before it expires.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use databricks_client::{Credentials, CurrentUser, Workspace};
use secrecy::{ExposeSecret, SecretString};

use super::cli_token::{self, CliLogin, CliToken};
use crate::background::BackgroundTasks;

/// A token is refreshed this long before it expires. The workspace rejects tokens in their last
/// 30 s ("Token is expiring within 30 seconds"), so the margin leaves time for retries.
pub const REFRESH_MARGIN: Duration = Duration::from_mins(5);

/// How often the CLI is asked again when it printed no expiry.
const UNKNOWN_EXPIRY_RECHECK: Duration = Duration::from_mins(5);

/// Bounds of the wait between attempts once the token is inside the refresh margin.
const MIN_RETRY: Duration = Duration::from_secs(2);
const MAX_RETRY: Duration = Duration::from_secs(30);

/// The developer's current token and the identity the workspace returned for it.
#[derive(Debug, Clone)]
pub struct Signed {
    pub token: SecretString,
    pub expiry: Option<DateTime<Utc>>,
    pub user_name: String,
    pub scim_id: String,
    /// From the SCIM response's `X-Databricks-Org-Id` header, when present.
    pub workspace_id: Option<String>,
}

/// The developer's sign-in, shared by the proxy layer and the refresh task. Cheap to clone.
#[derive(Debug, Clone)]
pub struct DeveloperSession {
    login: CliLogin,
    workspace: Workspace,
    current: Arc<RwLock<Signed>>,
}

impl DeveloperSession {
    /// Fetches the developer's token with the CLI and checks it with SCIM `Me`.
    pub async fn start(login: CliLogin, workspace: Workspace) -> anyhow::Result<Self> {
        let token = cli_token::fetch(&login, false).await?;
        let user = current_user(&workspace, &token.access_token)
            .await
            .with_context(|| {
                format!(
                    "the workspace rejected the token from `databricks auth token` ({login}): \
                     run `{}`, then start again",
                    login.login_command()
                )
            })?;
        Ok(Self {
            login,
            workspace,
            current: Arc::new(RwLock::new(signed(token, user))),
        })
    }

    /// Returns the current token and identity.
    pub fn current(&self) -> Signed {
        self.current
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Starts the task that refreshes the token `REFRESH_MARGIN` before it expires.
    pub fn spawn_refresh(&self, tasks: &BackgroundTasks) {
        let session = self.clone();
        tasks.spawn(async move { session.refresh_loop().await });
    }

    async fn refresh_loop(self) {
        let mut consecutive_failures: u32 = 0;
        loop {
            let wait = refresh_delay(self.current().expiry, Utc::now());
            tokio::time::sleep(wait).await;
            match self.refresh().await {
                Ok(true) => {
                    consecutive_failures = 0;
                    let expiry = self.current().expiry.map(|expiry| expiry.to_rfc3339());
                    tracing::info!(expiry, "developer token refreshed");
                }
                Ok(false) => {}
                Err(error) => {
                    consecutive_failures += 1;
                    tracing::warn!(
                        error = format!("{error:#}"),
                        consecutive_failures,
                        "failed to refresh the developer token: keeping the current one and retrying"
                    );
                }
            }
        }
    }

    /// Fetches a token and, when it is a new one, checks it and makes it current. Returns
    /// whether the token changed.
    async fn refresh(&self) -> anyhow::Result<bool> {
        let mut token = cli_token::fetch(&self.login, false).await?;
        if !is_fresh(token.expiry, Utc::now()) {
            // The CLI refreshes its cached token only seconds before expiry, later than the
            // platform accepts it.
            token = cli_token::fetch(&self.login, true)
                .await
                .context("`databricks auth token --force-refresh` failed")?;
        }
        if token.access_token.expose_secret() == self.current().token.expose_secret() {
            return Ok(false);
        }

        let user = current_user(&self.workspace, &token.access_token)
            .await
            .context("the workspace rejected the refreshed token")?;
        *self
            .current
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = signed(token, user);
        Ok(true)
    }
}

fn signed(token: CliToken, user: CurrentUser) -> Signed {
    Signed {
        token: token.access_token,
        expiry: token.expiry,
        user_name: user.user_name,
        scim_id: user.id,
        workspace_id: user.workspace_id,
    }
}

async fn current_user(
    workspace: &Workspace,
    token: &SecretString,
) -> Result<CurrentUser, databricks_client::ApiError> {
    workspace
        .client(Credentials::UserToken(token.clone()))
        .current_user()
        .await
}

/// Tells whether a token with `expiry` is usable for longer than `REFRESH_MARGIN` from `now`.
/// A token without an expiry counts as fresh.
fn is_fresh(expiry: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    expiry.is_none_or(|expiry| remaining(expiry, now) > REFRESH_MARGIN)
}

fn remaining(expiry: DateTime<Utc>, now: DateTime<Utc>) -> Duration {
    (expiry - now).to_std().unwrap_or(Duration::ZERO)
}

/// Returns how long to wait before the next refresh of a token that expires at `expiry`:
/// until `REFRESH_MARGIN` before expiry, then half the time left (2 to 30 s) until it has
/// expired, then 30 s.
pub fn refresh_delay(expiry: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Duration {
    let Some(expiry) = expiry else {
        return UNKNOWN_EXPIRY_RECHECK;
    };
    let left = remaining(expiry, now);
    if let Some(until_margin) = left
        .checked_sub(REFRESH_MARGIN)
        .filter(|wait| !wait.is_zero())
    {
        until_margin
    } else if left.is_zero() {
        MAX_RETRY
    } else {
        (left / 2).clamp(MIN_RETRY, MAX_RETRY)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use super::*;

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-12-04T21:00:00Z")
            .expect("valid time")
            .with_timezone(&Utc)
    }

    #[test]
    fn refresh_waits_until_margin_before_expiry() {
        let expiry = now() + TimeDelta::hours(1);

        assert_eq!(refresh_delay(Some(expiry), now()), Duration::from_mins(55));
    }

    #[test]
    fn refresh_inside_margin_halves_time_left() {
        let cases = [
            (TimeDelta::minutes(4), MAX_RETRY),
            (TimeDelta::seconds(40), Duration::from_secs(20)),
            (TimeDelta::seconds(3), MIN_RETRY),
            (TimeDelta::seconds(-10), MAX_RETRY),
        ];
        for (left, expected) in cases {
            assert_eq!(
                refresh_delay(Some(now() + left), now()),
                expected,
                "{left} left"
            );
        }
    }

    #[test]
    fn refresh_without_expiry_rechecks() {
        assert_eq!(refresh_delay(None, now()), UNKNOWN_EXPIRY_RECHECK);
    }

    #[test]
    fn fresh_means_beyond_margin() {
        assert!(is_fresh(Some(now() + TimeDelta::minutes(6)), now()));
        assert!(!is_fresh(Some(now() + TimeDelta::minutes(4)), now()));
        assert!(is_fresh(None, now()));
    }
}

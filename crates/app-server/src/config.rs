//! Typed configuration from the environment, validated once at start-up.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `DATABRICKS_HOST` | required | workspace URL; `https://` is added when no scheme is given |
//! | `DATABRICKS_CLIENT_ID` | none | the app's service principal (OAuth M2M); set together with the secret |
//! | `DATABRICKS_CLIENT_SECRET` | none | the service principal's OAuth secret |
//! | `DATABRICKS_WORKSPACE_ID` | none | numeric workspace id; otherwise read from SCIM `Me` |
//! | `DATABRICKS_APP_NAME` | none | the app's name, in the `listening` log line |
//! | `DATABRICKS_APP_PORT` | `8000` | port `serve` listens on; `0` picks a free port, which the `listening` log line shows |
//! | `BIND_ADDRESS` | `0.0.0.0` | address `serve` listens on; the platform requires `0.0.0.0`, `127.0.0.1` keeps a local run private |
//! | `DATABASE_URL` | none | `postgres://…` or `sqlite://…` with a static password; without it (and without Lakebase), routes that need the database answer 503 |
//! | `LAKEBASE_INSTANCE_NAME` | none | Lakebase Provisioned instance the app mints its database credential for (`POST /api/2.0/database/credentials`) |
//! | `PGENDPOINT` | none | Lakebase Autoscaling endpoint `projects/…/branches/…/endpoints/…` (`POST /api/2.0/postgres/credentials`); set this or `LAKEBASE_INSTANCE_NAME` |
//! | `PGHOST` (`LAKEBASE_HOST`) | the instance's `read_write_dns` | Lakebase host; required with `PGENDPOINT` |
//! | `PGPORT` (`LAKEBASE_PORT`) | `5432` | Lakebase port |
//! | `PGDATABASE` (`LAKEBASE_DATABASE`) | `databricks_postgres` | database name |
//! | `PGUSER` | the service principal's SCIM userName | Postgres role |
//! | `PGSSLMODE` | `require`; `prefer` for a loopback host | `disable`, `allow`, `prefer`, `require`, `verify-ca` or `verify-full`; a non-loopback host needs TLS |
//! | `DATABASE_MAX_CONNECTIONS` | `10` | size of the database connection pool, 1 to 1000 |
//! | `UPSTREAM_TIMEOUT_SECONDS` | `30` | time limit of one workspace API call, retries included, 1 to 600 |
//! | `IDENTITY_CACHE_TTL_SECONDS` | `60` | how long a verified user identity is reused, at most 3600; `0` re-verifies every request |
//! | `IDENTITY_CACHE_MAX_ENTRIES` | `50000` | the most identities cached at once |
//! | `REQUIRED_USER_SCOPES` | `unity-catalog model-serving` | OAuth scopes the app's pages need from user tokens; `/api/auth/status` lists the missing ones |
//! | `SHUTDOWN_DRAIN_SECONDS` | `14` | seconds from SIGTERM to exit, 1 to 14: the platform kills the app 15 s after SIGTERM |
//! | `SHUTDOWN_READINESS_DELAY_MS` | `0` | milliseconds after SIGTERM during which `/api/ready` returns 503 while new connections are still served, so that a load balancer polling it stops routing first; counts toward the drain deadline |
//! | `STATIC_DIR` | `client/dist` | built front end served at `/` |
//! | `REQUEST_BODY_TIMEOUT_SECONDS` | `30` | seconds a client may pause while sending a request body, 1 to 300; past it the request gets 408 `REQUEST_TIMEOUT` |
//! | `CORS_ALLOWED_ORIGINS` | none | comma-separated origins (`https://host[:port]`, or `http://` for local use) other than the app's own that may call the API from a browser, with credentials; without it no response carries CORS headers |
//! | `ADMIN_USERS` | none | comma-separated emails of the app's administrators, who may call `/api/admin/*`; entries are trimmed and compared case-insensitively |
//! | `RETENTION_DAYS` | `90` | days, 1 to 3650, from the first time the retention job finds a user deactivated or deleted in the workspace until it deletes the user's preferences and inference logs |
//! | `CLEANUP_SCHEDULE_UTC` | `02:00` | time of day `HH:MM` in UTC of the daily retention job run, or `off` for none |
//! | `LOG_FORMAT` | `json` | `json` or `text` |
//! | `RUST_LOG` | `info,sqlx::postgres::notice=warn` | log filter, `tracing_subscriber::EnvFilter` syntax; an invalid filter falls back to the default |

use std::net::IpAddr;
use std::ops::RangeInclusive;
use std::path::PathBuf;
use std::time::Duration;

use secrecy::SecretString;

use crate::retention;

/// The service principal the platform gives the app container.
#[derive(Debug, Clone)]
pub struct ServicePrincipalConfig {
    pub client_id: String,
    pub client_secret: SecretString,
}

/// The app's configuration. `Debug` never shows a secret (`SecretString` redacts itself).
#[derive(Debug, Clone)]
pub struct Config {
    pub databricks_host: String,
    pub service_principal: Option<ServicePrincipalConfig>,
    pub workspace_id: Option<String>,
    pub app_name: Option<String>,
    pub port: u16,
    pub bind_address: IpAddr,
    pub database_url: Option<SecretString>,
    /// Lakebase with a rotating credential; `None` when not configured.
    pub lakebase: Option<crate::lakebase::LakebaseSettings>,
    pub database_max_connections: u32,
    pub upstream_timeout: Duration,
    pub identity_cache_ttl: Duration,
    pub identity_cache_max_entries: u64,
    pub required_user_scopes: Vec<String>,
    pub static_dir: PathBuf,
    /// Time a client may pause while sending a request body.
    pub request_body_timeout: Duration,
    /// Origins other than the app's own that may call the API from a browser.
    pub cors_allowed_origins: crate::http::origin::AllowedOrigins,
    /// Users who may call the admin routes.
    pub admin_users: crate::auth::AdminUsers,
    /// Days from a user's deactivation mark until the retention job deletes the user's data.
    pub retention_days: u32,
    /// Time of day (UTC) of the daily retention job run; `None` when the schedule is off.
    pub cleanup_schedule: Option<chrono::NaiveTime>,
    /// Time from SIGTERM to exit, below the platform's 15 s.
    pub shutdown_drain: Duration,
    /// Time after SIGTERM during which new connections are still accepted; less than
    /// `shutdown_drain`.
    pub shutdown_readiness_delay: Duration,
}

/// The longest accepted drain deadline: the platform kills an app 15 s after SIGTERM.
pub const MAX_SHUTDOWN_DRAIN_SECONDS: u64 = 14;

/// The longest accepted identity cache TTL: one hour, the lifetime of a Databricks OAuth user token.
pub const MAX_IDENTITY_CACHE_TTL_SECONDS: u64 = 3_600;

/// The scopes the Unity Catalog and Model Serving pages need.
pub const DEFAULT_REQUIRED_USER_SCOPES: &str = "unity-catalog model-serving";

/// Every problem found in the environment, so one start-up attempt shows them all.
#[derive(Debug, thiserror::Error)]
#[error("invalid configuration:\n  - {}", problems.join("\n  - "))]
pub struct ConfigError {
    pub problems: Vec<String>,
}

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads variables through `lookup`, which returns a variable's value when it is set. Empty
    /// values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut reader = Reader {
            lookup: |name: &str| lookup(name).filter(|value| !value.trim().is_empty()),
            problems: Vec::new(),
        };

        let databricks_host = reader.required(
            "DATABRICKS_HOST",
            "the workspace URL, e.g. https://adb-123.4.azuredatabricks.net",
        );
        if let Some(host) = &databricks_host
            && let Err(error) = databricks_client::normalize_host(host)
        {
            reader.problem(format!("DATABRICKS_HOST is invalid: {error}"));
        }
        let service_principal = reader.service_principal();
        let workspace_id = reader.optional("DATABRICKS_WORKSPACE_ID");
        if let Some(id) = &workspace_id
            && !id.bytes().all(|byte| byte.is_ascii_digit())
        {
            reader.problem(format!(
                "DATABRICKS_WORKSPACE_ID must be numeric, got {id:?}"
            ));
        }
        let app_name = reader.optional("DATABRICKS_APP_NAME");
        let port = reader.in_range("DATABRICKS_APP_PORT", 8000_u16, 0..=u16::MAX);
        let bind_address = reader.parsed(
            "BIND_ADDRESS",
            IpAddr::from([0, 0, 0, 0]),
            "an IP address such as 0.0.0.0 or 127.0.0.1",
        );
        let database_url = reader.optional("DATABASE_URL").map(SecretString::from);
        let lakebase = crate::lakebase::settings::from_lookup(
            &reader.lookup,
            database_url.is_some(),
            service_principal.is_some(),
            &mut reader.problems,
        );
        let database_max_connections =
            reader.in_range("DATABASE_MAX_CONNECTIONS", 10_u32, 1..=1_000);
        let upstream_timeout_seconds = reader.in_range("UPSTREAM_TIMEOUT_SECONDS", 30_u64, 1..=600);
        let identity_cache_ttl_seconds = reader.in_range(
            "IDENTITY_CACHE_TTL_SECONDS",
            60_u64,
            0..=MAX_IDENTITY_CACHE_TTL_SECONDS,
        );
        let identity_cache_max_entries =
            reader.in_range("IDENTITY_CACHE_MAX_ENTRIES", 50_000_u64, 1..=10_000_000);
        let required_user_scopes = reader
            .optional("REQUIRED_USER_SCOPES")
            .unwrap_or_else(|| DEFAULT_REQUIRED_USER_SCOPES.to_owned())
            .split([' ', ','])
            .filter(|scope| !scope.is_empty())
            .map(str::to_owned)
            .collect();
        let static_dir = reader
            .optional("STATIC_DIR")
            .map_or_else(|| PathBuf::from("client/dist"), PathBuf::from);

        let request_body_timeout_seconds =
            reader.in_range("REQUEST_BODY_TIMEOUT_SECONDS", 30_u64, 1..=300);
        let cors_allowed_origins = reader.allowed_origins("CORS_ALLOWED_ORIGINS");
        let admin_users = reader.parsed_by(
            "ADMIN_USERS",
            crate::auth::AdminUsers::default(),
            crate::auth::AdminUsers::parse,
        );
        let retention_days = reader.in_range(
            "RETENTION_DAYS",
            retention::DEFAULT_RETENTION_DAYS,
            1..=retention::MAX_RETENTION_DAYS,
        );
        let cleanup_schedule = reader.parsed_by(
            "CLEANUP_SCHEDULE_UTC",
            Some(retention::schedule::default_time()),
            retention::schedule::parse_schedule,
        );
        let (shutdown_drain, shutdown_readiness_delay) = reader.shutdown_timing();

        if !reader.problems.is_empty() {
            return Err(ConfigError {
                problems: reader.problems,
            });
        }
        Ok(Self {
            databricks_host: databricks_host.unwrap_or_default(),
            service_principal,
            workspace_id,
            app_name,
            port,
            bind_address,
            database_url,
            lakebase,
            database_max_connections,
            upstream_timeout: Duration::from_secs(upstream_timeout_seconds),
            identity_cache_ttl: Duration::from_secs(identity_cache_ttl_seconds),
            identity_cache_max_entries,
            required_user_scopes,
            static_dir,
            request_body_timeout: Duration::from_secs(request_body_timeout_seconds),
            cors_allowed_origins,
            admin_users,
            retention_days,
            cleanup_schedule,
            shutdown_drain,
            shutdown_readiness_delay,
        })
    }
}

struct Reader<F> {
    lookup: F,
    problems: Vec<String>,
}

impl<F: Fn(&str) -> Option<String>> Reader<F> {
    fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    fn optional(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|value| value.trim().to_owned())
    }

    fn required(&mut self, name: &str, meaning: &str) -> Option<String> {
        let value = self.optional(name);
        if value.is_none() {
            self.problem(format!("{name} is missing: set it to {meaning}"));
        }
        value
    }

    fn parsed<T: std::str::FromStr + Copy>(&mut self, name: &str, default: T, expected: &str) -> T {
        match self.optional(name) {
            None => default,
            Some(raw) => raw.parse().unwrap_or_else(|_| {
                self.problem(format!(
                    "{name} is invalid: expected {expected}, got {raw:?}"
                ));
                default
            }),
        }
    }

    /// Parses a variable with `parse`, whose error says what was expected.
    fn parsed_by<T>(
        &mut self,
        name: &str,
        default: T,
        parse: impl FnOnce(&str) -> Result<T, String>,
    ) -> T {
        let Some(raw) = self.optional(name) else {
            return default;
        };
        parse(&raw).unwrap_or_else(|problem| {
            self.problem(format!("{name} is invalid: {problem}"));
            default
        })
    }

    /// Parses an integer variable and checks it lies in `range`.
    fn in_range<T>(&mut self, name: &str, default: T, range: RangeInclusive<T>) -> T
    where
        T: std::str::FromStr + Copy + PartialOrd + std::fmt::Display,
    {
        let expected = format!("a whole number from {} to {}", range.start(), range.end());
        let value = self.parsed(name, default, &expected);
        if range.contains(&value) {
            value
        } else {
            self.problem(format!(
                "{name} is invalid: expected {expected}, got {value}"
            ));
            default
        }
    }

    /// Reads a comma-separated list of web origins.
    fn allowed_origins(&mut self, name: &str) -> crate::http::origin::AllowedOrigins {
        let mut origins = Vec::new();
        for entry in self.optional(name).unwrap_or_default().split(',') {
            if entry.trim().is_empty() {
                continue;
            }
            match crate::http::origin::Origin::parse(entry) {
                Ok(origin) => origins.push(origin),
                Err(problem) => self.problem(format!("{name} is invalid: {problem}")),
            }
        }
        crate::http::origin::AllowedOrigins::new(origins)
    }

    /// Reads the drain deadline and the readiness delay, which must end before the deadline.
    fn shutdown_timing(&mut self) -> (Duration, Duration) {
        let drain_seconds = self.in_range(
            "SHUTDOWN_DRAIN_SECONDS",
            MAX_SHUTDOWN_DRAIN_SECONDS,
            1..=MAX_SHUTDOWN_DRAIN_SECONDS,
        );
        let delay_ms = self.in_range("SHUTDOWN_READINESS_DELAY_MS", 0_u64, 0..=13_000);
        let drain = Duration::from_secs(drain_seconds);
        let delay = Duration::from_millis(delay_ms);
        if delay >= drain {
            self.problem(format!(
                "SHUTDOWN_READINESS_DELAY_MS ({delay_ms}) must be less than \
                 SHUTDOWN_DRAIN_SECONDS ({drain_seconds} s), which includes it"
            ));
            return (drain, Duration::ZERO);
        }
        (drain, delay)
    }

    fn service_principal(&mut self) -> Option<ServicePrincipalConfig> {
        let client_id = self.optional("DATABRICKS_CLIENT_ID");
        let client_secret = (self.lookup)("DATABRICKS_CLIENT_SECRET");
        match (client_id, client_secret) {
            (Some(client_id), Some(secret)) => Some(ServicePrincipalConfig {
                client_id,
                client_secret: SecretString::from(secret),
            }),
            (None, None) => None,
            (Some(_), None) => {
                self.problem("DATABRICKS_CLIENT_SECRET is missing: it must be set together with DATABRICKS_CLIENT_ID".to_owned());
                None
            }
            (None, Some(_)) => {
                self.problem("DATABRICKS_CLIENT_ID is missing: it must be set together with DATABRICKS_CLIENT_SECRET".to_owned());
                None
            }
        }
    }
}

//! Lakebase settings from the environment: the platform's `PG*` variables (or their `LAKEBASE_*`
//! aliases) and the name of what the credential is minted for.

use std::net::IpAddr;
use std::str::FromStr;

use sqlx::postgres::PgSslMode;

/// The database name Lakebase creates in every instance.
pub const DEFAULT_DATABASE: &str = "databricks_postgres";

/// What the credential API mints a password for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CredentialTarget {
    /// Lakebase Provisioned: `POST /api/2.0/database/credentials` for this instance.
    Instance(String),
    /// Lakebase Autoscaling: `POST /api/2.0/postgres/credentials` for this endpoint,
    /// `projects/{project}/branches/{branch}/endpoints/{endpoint}`.
    Endpoint(String),
}

/// How to reach a Lakebase database with a minted credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LakebaseSettings {
    pub target: CredentialTarget,
    /// `PGHOST`; `None` means "ask the instance API for its `read_write_dns`" (Provisioned only).
    pub host: Option<String>,
    /// `PGPORT`, default 5432.
    pub port: u16,
    /// `PGDATABASE`, default `databricks_postgres`.
    pub database: String,
    /// `PGUSER`; `None` means "the service principal's SCIM userName".
    pub user: Option<String>,
    /// `PGSSLMODE`; `None` means `require`, or `prefer` for a loopback host.
    pub ssl_mode: Option<SslMode>,
}

impl LakebaseSettings {
    /// Returns `PGSSLMODE`, or the default for `host`: `require` unless the host is loopback.
    pub fn effective_ssl_mode(&self, host: &str) -> SslMode {
        self.ssl_mode.unwrap_or(if is_loopback(host) {
            SslMode::Prefer
        } else {
            SslMode::Require
        })
    }
}

/// The libpq `sslmode` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SslMode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Disable => "disable",
            Self::Allow => "allow",
            Self::Prefer => "prefer",
            Self::Require => "require",
            Self::VerifyCa => "verify-ca",
            Self::VerifyFull => "verify-full",
        }
    }

    /// Tells whether connections in this mode always use TLS.
    pub fn requires_tls(self) -> bool {
        matches!(self, Self::Require | Self::VerifyCa | Self::VerifyFull)
    }

    pub fn to_sqlx(self) -> PgSslMode {
        match self {
            Self::Disable => PgSslMode::Disable,
            Self::Allow => PgSslMode::Allow,
            Self::Prefer => PgSslMode::Prefer,
            Self::Require => PgSslMode::Require,
            Self::VerifyCa => PgSslMode::VerifyCa,
            Self::VerifyFull => PgSslMode::VerifyFull,
        }
    }
}

impl FromStr for SslMode {
    type Err = ();

    fn from_str(text: &str) -> Result<Self, ()> {
        match text.to_ascii_lowercase().as_str() {
            "disable" => Ok(Self::Disable),
            "allow" => Ok(Self::Allow),
            "prefer" => Ok(Self::Prefer),
            "require" => Ok(Self::Require),
            "verify-ca" => Ok(Self::VerifyCa),
            "verify-full" => Ok(Self::VerifyFull),
            _ => Err(()),
        }
    }
}

/// Tells whether `host` is `localhost` or a loopback IP address.
pub fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Reads the Lakebase variables through `lookup` (which treats empty values as unset) and adds
/// every problem to `problems`. Returns `None` when Lakebase is not configured or a problem was
/// found.
///
/// Lakebase is configured when `LAKEBASE_INSTANCE_NAME` or `PGENDPOINT` is set. `PGHOST` alone,
/// without `DATABASE_URL`, is incomplete; with `DATABASE_URL` it is ignored, because libpq tools
/// also read it.
pub fn from_lookup(
    lookup: &dyn Fn(&str) -> Option<String>,
    has_database_url: bool,
    has_service_principal: bool,
    problems: &mut Vec<String>,
) -> Option<LakebaseSettings> {
    let start = problems.len();
    let instance = lookup("LAKEBASE_INSTANCE_NAME");
    let endpoint = lookup("PGENDPOINT");
    let host = aliased(lookup, "PGHOST", "LAKEBASE_HOST", problems);

    let target = match (instance, endpoint) {
        (Some(_), Some(_)) => {
            problems.push(
                "LAKEBASE_INSTANCE_NAME and PGENDPOINT are both set: set LAKEBASE_INSTANCE_NAME \
                 for Lakebase Provisioned or PGENDPOINT for Lakebase Autoscaling, not both"
                    .to_owned(),
            );
            return None;
        }
        (Some(instance), None) => CredentialTarget::Instance(instance),
        (None, Some(endpoint)) => CredentialTarget::Endpoint(endpoint),
        (None, None) => {
            if host.is_some() && !has_database_url {
                problems.push(
                    "PGHOST is set, but neither LAKEBASE_INSTANCE_NAME (Lakebase Provisioned) nor \
                     PGENDPOINT (Lakebase Autoscaling) is: set the one the app mints its database \
                     credential for, or set DATABASE_URL for a database with a static password"
                        .to_owned(),
                );
            }
            return None;
        }
    };

    if has_database_url {
        problems.push(
            "DATABASE_URL and Lakebase (LAKEBASE_INSTANCE_NAME or PGENDPOINT) are both set: unset \
             DATABASE_URL to use Lakebase, or unset the Lakebase variables to use DATABASE_URL"
                .to_owned(),
        );
    }
    if !has_service_principal {
        problems.push(
            "Lakebase needs DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET: the database \
             credential is minted with the app's service principal"
                .to_owned(),
        );
    }
    if let CredentialTarget::Endpoint(endpoint) = &target {
        if !is_endpoint_name(endpoint) {
            problems.push(format!(
                "PGENDPOINT is invalid: expected \
                 projects/<project>/branches/<branch>/endpoints/<endpoint>, got {endpoint:?}"
            ));
        }
        if host.is_none() {
            problems.push(
                "PGHOST is missing: Lakebase Autoscaling (PGENDPOINT) needs the endpoint's host"
                    .to_owned(),
            );
        }
    }

    let port = match aliased(lookup, "PGPORT", "LAKEBASE_PORT", problems) {
        None => 5432,
        Some(raw) => raw
            .parse::<u16>()
            .ok()
            .filter(|port| *port > 0)
            .unwrap_or_else(|| {
                problems.push(format!(
                    "PGPORT is invalid: expected a port number 1-65535, got {raw:?}"
                ));
                5432
            }),
    };
    let database = aliased(lookup, "PGDATABASE", "LAKEBASE_DATABASE", problems)
        .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());
    let ssl_mode = lookup("PGSSLMODE").and_then(|raw| {
        let parsed = raw.trim().parse::<SslMode>().ok();
        if parsed.is_none() {
            problems.push(format!(
                "PGSSLMODE is invalid: expected disable, allow, prefer, require, verify-ca or \
                 verify-full, got {raw:?}"
            ));
        }
        parsed
    });
    if let (Some(mode), Some(host)) = (ssl_mode, &host)
        && !mode.requires_tls()
        && !is_loopback(host)
    {
        problems.push(format!(
            "PGSSLMODE={} is not allowed for {host}: Lakebase accepts its OAuth credentials only \
             over TLS, so set PGSSLMODE=require (or verify-ca, verify-full); weaker modes are \
             for a loopback host only",
            mode.as_str()
        ));
    }

    if problems.len() > start {
        return None;
    }
    Some(LakebaseSettings {
        target,
        host,
        port,
        database,
        user: lookup("PGUSER").map(|user| user.trim().to_owned()),
        ssl_mode,
    })
}

/// Reads `name`, or its alias when `name` is unset. Both set to different values is a problem.
fn aliased(
    lookup: &dyn Fn(&str) -> Option<String>,
    name: &str,
    alias: &str,
    problems: &mut Vec<String>,
) -> Option<String> {
    let value = lookup(name).map(|value| value.trim().to_owned());
    let alias_value = lookup(alias).map(|value| value.trim().to_owned());
    match (value, alias_value) {
        (Some(value), Some(alias_value)) if value != alias_value => {
            problems.push(format!(
                "{name} and {alias} are both set, to different values: unset {alias}"
            ));
            Some(value)
        }
        (value, alias_value) => value.or(alias_value),
    }
}

/// Tells whether `name` is `projects/{id}/branches/{id}/endpoints/{id}` with non-empty ids.
fn is_endpoint_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    matches!(
        parts.as_slice(),
        ["projects", project, "branches", branch, "endpoints", endpoint]
            if [project, branch, endpoint].iter().all(|id| !id.is_empty())
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(
        vars: &[(&str, &str)],
        has_database_url: bool,
    ) -> (Option<LakebaseSettings>, Vec<String>) {
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        };
        let mut problems = Vec::new();
        let settings = from_lookup(&lookup, has_database_url, true, &mut problems);
        (settings, problems)
    }

    #[test]
    fn instance_alone_uses_defaults() {
        let (settings, problems) = read(&[("LAKEBASE_INSTANCE_NAME", "app-db")], false);
        assert_eq!(problems, Vec::<String>::new());
        let settings = settings.expect("settings");
        assert_eq!(
            settings.target,
            CredentialTarget::Instance("app-db".to_owned())
        );
        assert_eq!(settings.host, None);
        assert_eq!(settings.port, 5432);
        assert_eq!(settings.database, DEFAULT_DATABASE);
        assert_eq!(settings.user, None);
        assert_eq!(
            settings.effective_ssl_mode("instance-1.database.example.com"),
            SslMode::Require
        );
        assert_eq!(settings.effective_ssl_mode("127.0.0.1"), SslMode::Prefer);
    }

    #[test]
    fn aliases_fill_in_platform_names() {
        let (settings, problems) = read(
            &[
                ("PGENDPOINT", "projects/p/branches/b/endpoints/e"),
                ("LAKEBASE_HOST", "ep-1.example.com"),
                ("LAKEBASE_PORT", "6543"),
                ("LAKEBASE_DATABASE", "appdb"),
                ("PGUSER", "6f1c2a3e-0000-4000-8000-000000000001"),
            ],
            false,
        );
        assert_eq!(problems, Vec::<String>::new());
        let settings = settings.expect("settings");
        assert_eq!(settings.host.as_deref(), Some("ep-1.example.com"));
        assert_eq!(settings.port, 6543);
        assert_eq!(settings.database, "appdb");
        assert_eq!(
            settings.user.as_deref(),
            Some("6f1c2a3e-0000-4000-8000-000000000001")
        );
    }

    #[test]
    fn every_problem_is_listed() {
        let (settings, problems) = read(
            &[
                ("PGENDPOINT", "ep-1"),
                ("PGPORT", "not-a-port"),
                ("PGSSLMODE", "sometimes"),
            ],
            true,
        );
        assert!(settings.is_none());
        let text = problems.join("\n");
        for expected in [
            "DATABASE_URL",
            "PGENDPOINT is invalid",
            "PGHOST is missing",
            "PGPORT",
            "PGSSLMODE",
        ] {
            assert!(text.contains(expected), "{expected} missing from:\n{text}");
        }
        assert_eq!(problems.len(), 5, "{text}");
    }

    #[test]
    fn both_targets_conflict() {
        let (settings, problems) = read(
            &[
                ("LAKEBASE_INSTANCE_NAME", "app-db"),
                ("PGENDPOINT", "projects/p/branches/b/endpoints/e"),
            ],
            false,
        );
        assert!(settings.is_none());
        assert!(problems[0].contains("not both"), "{problems:?}");
    }

    #[test]
    fn host_without_target_is_incomplete() {
        let (settings, problems) = read(&[("PGHOST", "db.example.com")], false);
        assert!(settings.is_none());
        assert!(
            problems[0].contains("LAKEBASE_INSTANCE_NAME"),
            "{problems:?}"
        );
    }

    #[test]
    fn host_with_database_url_is_ignored() {
        let (settings, problems) = read(&[("PGHOST", "db.example.com")], true);
        assert!(settings.is_none());
        assert_eq!(problems, Vec::<String>::new());
    }

    #[test]
    fn plaintext_ssl_mode_needs_loopback_host() {
        let remote = [
            ("LAKEBASE_INSTANCE_NAME", "app-db"),
            ("PGHOST", "instance-1.database.example.com"),
            ("PGSSLMODE", "disable"),
        ];
        let (_, problems) = read(&remote, false);
        assert!(problems[0].contains("PGSSLMODE=disable"), "{problems:?}");

        let local = [
            ("LAKEBASE_INSTANCE_NAME", "app-db"),
            ("PGHOST", "127.0.0.1"),
            ("PGSSLMODE", "disable"),
        ];
        let (settings, problems) = read(&local, false);
        assert_eq!(problems, Vec::<String>::new());
        assert_eq!(settings.expect("settings").ssl_mode, Some(SslMode::Disable));
    }

    #[test]
    fn conflicting_alias_is_a_problem() {
        let (_, problems) = read(
            &[
                ("LAKEBASE_INSTANCE_NAME", "app-db"),
                ("PGHOST", "a.example.com"),
                ("LAKEBASE_HOST", "b.example.com"),
            ],
            false,
        );
        assert!(problems[0].contains("LAKEBASE_HOST"), "{problems:?}");
    }

    #[test]
    fn loopback_hosts() {
        for host in ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"] {
            assert!(is_loopback(host), "{host}");
        }
        for host in ["10.0.0.1", "db.example.com", "localhost.example.com"] {
            assert!(!is_loopback(host), "{host}");
        }
    }
}

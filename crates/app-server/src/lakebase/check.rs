//! `app-server lakebase check`: connect with the configured settings and report what was used,
//! whether the migrations are current, and which privileges are missing, each with its fix.

use std::fmt;
use std::str::FromStr;

use chrono::Utc;
use databricks_client::WorkspaceClient;
use secrecy::{ExposeSecret as _, SecretString};
use sqlx::PgPool;
use sqlx::postgres::PgConnectOptions;

use super::connect::{self, ResolvedConnection};
use super::provider::RefreshPolicy;
use super::settings::LakebaseSettings;
use crate::store::{self, PostgresStore, Store, StoreOptions, pool_options};

/// The tables the migrations create, which the app reads and writes.
const APP_TABLES: [&str; 3] = ["users", "user_preferences", "model_inference_logs"];

/// The effect of one finding on the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// A setting that was used.
    Info,
    Ok,
    /// The app works, but not as intended.
    Warning,
    /// The app cannot work until this is fixed.
    Failed,
}

/// One finding, with the fix for warnings and failures.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub text: String,
    pub fix: Option<String>,
}

/// Every finding of a check, in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// Tells whether no finding is a failure.
    pub fn is_ok(&self) -> bool {
        self.findings
            .iter()
            .all(|finding| finding.severity != Severity::Failed)
    }

    fn push(&mut self, severity: Severity, text: impl Into<String>, fix: Option<String>) {
        self.findings.push(Finding {
            severity,
            text: text.into(),
            fix,
        });
    }

    fn info(&mut self, text: impl Into<String>) {
        self.push(Severity::Info, text, None);
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for finding in &self.findings {
            let label = match finding.severity {
                Severity::Info => "",
                Severity::Ok => "ok",
                Severity::Warning => "WARNING",
                Severity::Failed => "FAILED",
            };
            writeln!(f, "{label:>8}  {}", finding.text)?;
            if let Some(fix) = &finding.fix {
                writeln!(f, "{:>8}  fix: {fix}", "")?;
            }
        }
        let verdict = if self.is_ok() {
            "the app can use this database"
        } else {
            "the app cannot use this database until the failures above are fixed"
        };
        writeln!(f, "\n{verdict}")
    }
}

/// Runs every step of opening the Lakebase store and reports each. `client` must authenticate
/// as the app's service principal. The report never contains the credential.
pub async fn check(
    settings: &LakebaseSettings,
    client: &WorkspaceClient,
    options: &StoreOptions,
) -> CheckReport {
    let mut report = CheckReport::default();
    let resolved = match connect::resolve(settings, client).await {
        Ok(resolved) => resolved,
        Err(error) => {
            report.push(Severity::Failed, error.0, None);
            return report;
        }
    };
    describe(&resolved, &mut report);

    let provider = match connect::start_provider(&resolved, client, RefreshPolicy::default()).await
    {
        Ok(provider) => provider,
        Err(error) => {
            report.push(
                Severity::Failed,
                error.0,
                Some(
                    "check DATABRICKS_HOST, the service principal's credentials, and that \
                         it may use the database (add the database as an app resource)"
                        .to_owned(),
                ),
            );
            return report;
        }
    };
    describe_credential(&provider.current(), &mut report);

    if let Err(error) = connect::first_login(&resolved, &provider).await {
        report.push(Severity::Failed, error.0, None);
        return report;
    }
    report.push(Severity::Ok, "login succeeded", None);

    let (store, _rotation) = connect::open_store(&resolved, provider, options);
    check_store(&store, &resolved.user, &mut report).await;
    report
}

fn describe(resolved: &ResolvedConnection, report: &mut CheckReport) {
    let source = |derived: bool, derived_from: &str, variable: &str| {
        if derived {
            derived_from.to_owned()
        } else {
            format!("from {variable}")
        }
    };
    report.info(format!(
        "host: {} ({})",
        resolved.host,
        source(
            resolved.host_from_instance,
            "read_write_dns of the instance",
            "PGHOST"
        )
    ));
    report.info(format!("port: {}", resolved.port));
    report.info(format!("database: {}", resolved.database));
    report.info(format!(
        "user: {} ({})",
        resolved.user,
        source(
            resolved.user_from_scim,
            "the service principal's SCIM userName",
            "PGUSER"
        )
    ));
    report.info(format!(
        "sslmode: {} ({})",
        resolved.ssl_mode.as_str(),
        source(
            !resolved.ssl_mode_explicit,
            "default for this host",
            "PGSSLMODE"
        )
    ));
    report.info(format!("credential: minted for {}", resolved.target));
}

fn describe_credential(credential: &super::Credential, report: &mut CheckReport) {
    match credential.expires_at {
        Some(expires_at) if expires_at > Utc::now() => {
            let minutes = (expires_at - Utc::now()).num_minutes();
            report.info(format!(
                "credential expires at {} (in {minutes} min); the app refreshes it before then",
                expires_at.to_rfc3339()
            ));
        }
        Some(expires_at) => report.push(
            Severity::Warning,
            format!(
                "credential expired on arrival ({}): the server clock or the API is off",
                expires_at.to_rfc3339()
            ),
            Some("check the clock of this machine".to_owned()),
        ),
        None => report.push(
            Severity::Warning,
            "credential has no valid expiration_time: the app refreshes it with backoff",
            None,
        ),
    }
}

/// Checks a database with a static password in `url` (`DATABASE_URL`): what it uses, whether the
/// migrations are current and, on PostgreSQL, which privileges are missing. The report never
/// contains the password.
pub async fn check_database_url(url: &SecretString, options: &StoreOptions) -> CheckReport {
    let mut report = CheckReport::default();
    let text = url.expose_secret();
    if text.starts_with("sqlite:") {
        report.info("database: SQLite (from DATABASE_URL)");
        match store::connect(url, options).await {
            Ok(store) => check_migrations(store.as_ref(), &mut report).await,
            Err(error) => report.push(Severity::Failed, error.to_string(), None),
        }
        return report;
    }
    let connect_options = match PgConnectOptions::from_str(text) {
        Ok(connect_options) => connect_options,
        Err(error) => {
            report.push(
                Severity::Failed,
                format!("DATABASE_URL is not a valid PostgreSQL or SQLite URL: {error}"),
                Some("use postgres://user:password@host:port/database or sqlite://path".to_owned()),
            );
            return report;
        }
    };
    let user = connect_options.get_username().to_owned();
    report.info(format!(
        "host: {} (from DATABASE_URL)",
        connect_options.get_host()
    ));
    report.info(format!("port: {}", connect_options.get_port()));
    report.info(format!(
        "database: {}",
        connect_options.get_database().unwrap_or("(the user name)")
    ));
    report.info(format!("user: {user}"));
    report.info(format!("sslmode: {:?}", connect_options.get_ssl_mode()).to_lowercase());
    report.info("credential: the static password in DATABASE_URL");
    match pool_options(options).connect_with(connect_options).await {
        Ok(pool) => {
            report.push(Severity::Ok, "login succeeded", None);
            check_store(&PostgresStore::new(pool), &user, &mut report).await;
        }
        Err(error) => report.push(
            Severity::Failed,
            format!("login failed: {error}"),
            Some("check the host, port, user, password and sslmode in DATABASE_URL".to_owned()),
        ),
    }
    report
}

async fn check_migrations(store: &dyn Store, report: &mut CheckReport) {
    match store.migration_status().await {
        Ok(status) => {
            let pending: Vec<String> = status
                .iter()
                .filter(|migration| !migration.applied)
                .map(|migration| format!("{:04} {}", migration.version, migration.description))
                .collect();
            if pending.is_empty() {
                report.push(
                    Severity::Ok,
                    format!("migrations: all {} applied", status.len()),
                    None,
                );
            } else {
                report.push(
                    Severity::Failed,
                    format!("migrations: pending {}", pending.join(", ")),
                    Some(
                        "run `app-server migrate up`, or start the app, which applies them"
                            .to_owned(),
                    ),
                );
            }
        }
        Err(error) => report.push(
            Severity::Failed,
            format!("migrations: cannot read their status: {error}"),
            None,
        ),
    }
}

/// Reports pending migrations and missing privileges of `user` on an open PostgreSQL store.
pub async fn check_store(store: &PostgresStore, user: &str, report: &mut CheckReport) {
    check_migrations(store, report).await;
    if let Err(error) = check_privileges(store.pool(), user, report).await {
        report.push(
            Severity::Failed,
            format!("privileges: cannot read them: {error}"),
            None,
        );
    }
}

async fn check_privileges(
    pool: &PgPool,
    user: &str,
    report: &mut CheckReport,
) -> Result<(), sqlx::Error> {
    let role = quote_identifier(user);
    let (superuser, bypass_rls): (bool, bool) =
        sqlx::query_as("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            .fetch_one(pool)
            .await?;
    if superuser || bypass_rls {
        report.push(
            Severity::Warning,
            "row-level security does not apply to this role: it is a superuser or has BYPASSRLS, \
             so only the store's user_id filters separate users' rows",
            Some(format!("ALTER ROLE {role} NOSUPERUSER NOBYPASSRLS;")),
        );
    }

    let (usage, create): (bool, bool) = sqlx::query_as(
        "SELECT has_schema_privilege('public', 'USAGE'), has_schema_privilege('public', 'CREATE')",
    )
    .fetch_one(pool)
    .await?;
    if !usage {
        report.push(
            Severity::Failed,
            "privileges: no USAGE on schema public",
            Some(format!("GRANT USAGE ON SCHEMA public TO {role};")),
        );
    }

    let mut missing_tables = 0;
    for table in APP_TABLES {
        let row: Option<(String, bool, bool, bool, bool)> = sqlx::query_as(
            "SELECT tableowner::TEXT, \
                    has_table_privilege(format('public.%I', tablename), 'SELECT'), \
                    has_table_privilege(format('public.%I', tablename), 'INSERT'), \
                    has_table_privilege(format('public.%I', tablename), 'UPDATE'), \
                    has_table_privilege(format('public.%I', tablename), 'DELETE') \
             FROM pg_tables WHERE schemaname = 'public' AND tablename = $1",
        )
        .bind(table)
        .fetch_optional(pool)
        .await?;
        let Some((owner, select, insert, update, delete)) = row else {
            missing_tables += 1;
            continue;
        };
        let missing: Vec<&str> = [
            ("SELECT", select),
            ("INSERT", insert),
            ("UPDATE", update),
            ("DELETE", delete),
        ]
        .into_iter()
        .filter_map(|(privilege, granted)| (!granted).then_some(privilege))
        .collect();
        if !missing.is_empty() {
            report.push(
                Severity::Failed,
                format!("privileges: missing {} on {table}", missing.join(", ")),
                Some(format!(
                    "GRANT {} ON public.{table} TO {role};",
                    missing.join(", ")
                )),
            );
        }
        if owner != user {
            report.push(
                Severity::Warning,
                format!(
                    "{table} is owned by {owner}: migrations that alter it (such as row-level \
                     security) need its owner"
                ),
                Some(format!("ALTER TABLE public.{table} OWNER TO {role};")),
            );
        }
    }
    if missing_tables > 0 && !create {
        report.push(
            Severity::Failed,
            "privileges: no CREATE on schema public, so the migrations cannot create the app's \
             tables",
            Some(format!("GRANT CREATE ON SCHEMA public TO {role};")),
        );
    }
    if missing_tables == 0 && report.is_ok() {
        report.push(
            Severity::Ok,
            "privileges: the role can read and write every app table",
            None,
        );
    }
    Ok(())
}

/// Quotes `name` as a PostgreSQL identifier, for fixes printed as SQL.
fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(
            quote_identifier("6f1c2a3e-0000-4000-8000-000000000001"),
            "\"6f1c2a3e-0000-4000-8000-000000000001\""
        );
        assert_eq!(quote_identifier("a\"b"), "\"a\"\"b\"");
    }

    #[test]
    fn report_fails_on_any_failure() {
        let mut report = CheckReport::default();
        report.info("host: db.example.com (from PGHOST)");
        report.push(Severity::Warning, "owned by someone else", None);
        assert!(report.is_ok());
        report.push(
            Severity::Failed,
            "migrations: pending 0002 row level security",
            Some("run `app-server migrate up`".to_owned()),
        );
        assert!(!report.is_ok());
        let text = report.to_string();
        assert!(text.contains("FAILED  migrations: pending"), "{text}");
        assert!(text.contains("fix: run `app-server migrate up`"), "{text}");
        assert!(text.contains("cannot use this database"), "{text}");
    }
}

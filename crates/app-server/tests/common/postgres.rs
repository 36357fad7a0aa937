//! A fresh PostgreSQL database per test, created on the server that `TEST_POSTGRES_URL` names.
//!
//! `scripts/test.sh` starts a throwaway cluster and sets the variable. Each test gets a database
//! and a login role of its own, both named `app_server_test_<uuid>`, so a database left behind by
//! a killed test run is easy to spot. The role owns the database and is neither a superuser nor
//! `BYPASSRLS`, like the app's role on Lakebase, so row-level security applies to it. The test
//! cluster checks the role's password (scram-sha-256), while `TEST_POSTGRES_URL` is a superuser
//! that logs in without one.

#![allow(
    dead_code,
    reason = "each test binary uses a different part of the helpers"
)]

use secrecy::SecretString;
use sqlx::{AssertSqlSafe, Connection, PgConnection};

/// The environment variable with the server URL, such as
/// `postgres://postgres@127.0.0.1:55432/postgres`.
pub const SERVER_URL_VARIABLE: &str = "TEST_POSTGRES_URL";

/// The name prefix of every database and role these helpers create.
pub const DATABASE_PREFIX: &str = "app_server_test_";

/// Owns a test database and its role, and drops both (closing open connections) when dropped.
pub struct DatabaseGuard {
    server_url: String,
    name: String,
    role: String,
}

impl DatabaseGuard {
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The role that owns the database.
    pub fn role(&self) -> &str {
        &self.role
    }
}

/// Returns the superuser URL from `TEST_POSTGRES_URL`.
///
/// Panics when the variable is unset, so a run without PostgreSQL fails loudly instead of
/// skipping these tests.
pub fn server_url() -> String {
    std::env::var(SERVER_URL_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{SERVER_URL_VARIABLE} is not set: run the tests with scripts/test.sh, which starts a \
             throwaway PostgreSQL cluster and sets it"
        )
    })
}

/// Returns the URL of `database` on the test server, as the superuser.
pub fn superuser_url(database: &str) -> String {
    let mut url = url::Url::parse(&server_url())
        .unwrap_or_else(|error| panic!("{SERVER_URL_VARIABLE} is not a valid URL: {error}"));
    url.set_path(database);
    url.to_string()
}

/// Creates an empty database owned by a new login role with a random password, and returns the
/// URL that logs in as that role and the guard that drops both.
pub async fn fresh_postgres_database() -> (SecretString, DatabaseGuard) {
    let name = format!("{DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
    let password = uuid::Uuid::new_v4().simple().to_string();
    let guard = create_database_and_role(&name, &name, Some(&password)).await;

    let mut url = url::Url::parse(&superuser_url(&name)).expect("valid URL");
    url.set_username(&name).expect("URL accepts a user name");
    url.set_password(Some(&password))
        .expect("URL accepts a password");
    (SecretString::from(url.to_string()), guard)
}

/// Creates an empty database owned by `role`, creating the role without a password when it is
/// missing (the emulator's credential API sets one). The guard drops the database and the role.
pub async fn fresh_postgres_database_owned_by(role: &str) -> DatabaseGuard {
    let name = format!("{DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
    create_database_and_role(&name, role, None).await
}

async fn create_database_and_role(name: &str, role: &str, password: Option<&str>) -> DatabaseGuard {
    let server_url = server_url();
    let mut admin = PgConnection::connect(&server_url)
        .await
        .unwrap_or_else(|error| panic!("cannot connect to {SERVER_URL_VARIABLE}: {error}"));
    // Utility statements take no bind parameters, so the server quotes the values with format().
    let create_role: String = sqlx::query_scalar(
        "SELECT format('CREATE ROLE %I LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD %L', $1::TEXT, \
         $2::TEXT)",
    )
    .bind(role)
    .bind(password)
    .fetch_one(&mut admin)
    .await
    .expect("format CREATE ROLE");
    let role_exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(role)
            .fetch_one(&mut admin)
            .await
            .expect("query pg_roles");
    if !role_exists {
        sqlx::raw_sql(AssertSqlSafe(create_role))
            .execute(&mut admin)
            .await
            .unwrap_or_else(|error| panic!("cannot create role {role}: {error}"));
    }
    let create_database: String =
        sqlx::query_scalar("SELECT format('CREATE DATABASE %I OWNER %I', $1::TEXT, $2::TEXT)")
            .bind(name)
            .bind(role)
            .fetch_one(&mut admin)
            .await
            .expect("format CREATE DATABASE");
    sqlx::raw_sql(AssertSqlSafe(create_database))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|error| panic!("cannot create database {name}: {error}"));
    admin.close().await.ok();

    DatabaseGuard {
        server_url,
        name: name.to_owned(),
        role: role.to_owned(),
    }
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        let server_url = self.server_url.clone();
        let name = self.name.clone();
        let role = self.role.clone();
        // Drop runs on the test's async runtime, which cannot block on a future itself, so a
        // helper thread runs the drop on a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime
                .block_on(drop_database_and_role(&server_url, &name, &role))
                .map_err(|error| error.to_string())
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!("cannot drop test database {}: {error}", self.name),
            Err(_) => eprintln!(
                "cannot drop test database {}: the thread panicked",
                self.name
            ),
        }
    }
}

async fn drop_database_and_role(server_url: &str, name: &str, role: &str) -> sqlx::Result<()> {
    let mut admin = PgConnection::connect(server_url).await?;
    let statements: Vec<String> = sqlx::query_scalar(
        "SELECT unnest(ARRAY[\
             format('DROP DATABASE IF EXISTS %I WITH (FORCE)', $1::TEXT), \
             format('DROP ROLE IF EXISTS %I', $2::TEXT)])",
    )
    .bind(name)
    .bind(role)
    .fetch_all(&mut admin)
    .await?;
    for statement in statements {
        sqlx::raw_sql(AssertSqlSafe(statement))
            .execute(&mut admin)
            .await?;
    }
    admin.close().await
}

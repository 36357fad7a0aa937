//! A fresh PostgreSQL database per test, created on the server that `TEST_POSTGRES_URL` names.
//!
//! `scripts/test.sh` starts a throwaway cluster and sets the variable. Each database is named
//! `app_server_test_<uuid>`, so a database left behind by a killed test run is easy to spot.

use secrecy::{ExposeSecret, SecretString};
use sqlx::Postgres;
use sqlx::migrate::MigrateDatabase;

/// The environment variable with the server URL, such as
/// `postgres://postgres@127.0.0.1:55432/postgres`.
pub const SERVER_URL_VARIABLE: &str = "TEST_POSTGRES_URL";

/// The name prefix of every database these helpers create.
pub const DATABASE_PREFIX: &str = "app_server_test_";

/// Owns a test database and drops it, with any open connections, when dropped.
pub struct DatabaseGuard {
    url: SecretString,
    name: String,
}

impl DatabaseGuard {
    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Creates an empty database with a unique name and returns its URL and the guard that drops it.
///
/// Panics when `TEST_POSTGRES_URL` is unset, so a run without PostgreSQL fails loudly instead of
/// skipping these tests.
pub async fn fresh_postgres_database() -> (SecretString, DatabaseGuard) {
    let server_url = std::env::var(SERVER_URL_VARIABLE).unwrap_or_else(|_| {
        panic!(
            "{SERVER_URL_VARIABLE} is not set: run the tests with scripts/test.sh, which starts a \
             throwaway PostgreSQL cluster and sets it"
        )
    });
    let mut url = url::Url::parse(&server_url)
        .unwrap_or_else(|error| panic!("{SERVER_URL_VARIABLE} is not a valid URL: {error}"));
    let name = format!("{DATABASE_PREFIX}{}", uuid::Uuid::new_v4().simple());
    url.set_path(&name);
    let url = SecretString::from(url.to_string());

    Postgres::create_database(url.expose_secret())
        .await
        .unwrap_or_else(|error| {
            panic!("cannot create database {name} on the server in {SERVER_URL_VARIABLE}: {error}")
        });
    (url.clone(), DatabaseGuard { url, name })
}

impl Drop for DatabaseGuard {
    fn drop(&mut self) {
        let url = self.url.clone();
        // Drop runs on the test's async runtime, which cannot block on a future itself, so a
        // helper thread runs the drop on a runtime of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|error| error.to_string())?;
            runtime
                .block_on(Postgres::force_drop_database(url.expose_secret()))
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

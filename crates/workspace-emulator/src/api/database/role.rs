//! Sets a minted credential as a role's password on the local PostgreSQL server.

use std::str::FromStr as _;

use secrecy::{ExposeSecret as _, SecretString};
use sqlx::postgres::PgConnectOptions;
use sqlx::{AssertSqlSafe, ConnectOptions as _, Connection as _, PgConnection};

/// SQLSTATE `duplicate_object`: another request created the role first.
const DUPLICATE_OBJECT: &str = "42710";

/// Gives `role` the password `password`, valid until `valid_until` (RFC 3339), creating the role
/// with LOGIN when it is missing. Opens one admin connection per call, which suits the rate of
/// credential requests.
pub(super) async fn set_password(
    admin_url: &SecretString,
    role: &str,
    password: &SecretString,
    valid_until: &str,
) -> Result<(), sqlx::Error> {
    // The statements carry the password, so sqlx must not log them.
    let mut admin = PgConnectOptions::from_str(admin_url.expose_secret())?
        .disable_statement_logging()
        .connect()
        .await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)")
            .bind(role)
            .fetch_one(&mut admin)
            .await?;
    let result = if exists {
        run(&mut admin, "ALTER", role, password, valid_until).await
    } else {
        match run(&mut admin, "CREATE", role, password, valid_until).await {
            Err(sqlx::Error::Database(error))
                if error.code().as_deref() == Some(DUPLICATE_OBJECT) =>
            {
                run(&mut admin, "ALTER", role, password, valid_until).await
            }
            other => other,
        }
    };
    admin.close().await?;
    result
}

/// Runs `CREATE ROLE` or `ALTER ROLE` (`verb`). Utility statements take no bind parameters, so
/// the server quotes the role name and the literals with `format()`.
async fn run(
    admin: &mut PgConnection,
    verb: &'static str,
    role: &str,
    password: &SecretString,
    valid_until: &str,
) -> Result<(), sqlx::Error> {
    let statement: String = sqlx::query_scalar(
        "SELECT format('%s ROLE %I WITH LOGIN PASSWORD %L VALID UNTIL %L', \
         $1::TEXT, $2::TEXT, $3::TEXT, $4::TEXT)",
    )
    .bind(verb)
    .bind(role)
    .bind(password.expose_secret())
    .bind(valid_until)
    .fetch_one(&mut *admin)
    .await?;
    sqlx::raw_sql(AssertSqlSafe(statement))
        .execute(&mut *admin)
        .await?;
    Ok(())
}

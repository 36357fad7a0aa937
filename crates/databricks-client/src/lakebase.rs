//! Lakebase: database credentials (Provisioned and Autoscaling) and Provisioned instances.

use serde::Deserialize;
use serde_json::json;

use crate::SecretString;
use crate::client::{WorkspaceClient, decode_json};
use crate::error::ApiError;
use crate::request::ApiRequest;

const DATABASE_CREDENTIALS_PATH: &str = "/api/2.0/database/credentials";
const POSTGRES_CREDENTIALS_PATH: &str = "/api/2.0/postgres/credentials";
const INSTANCE_ROUTE: &str = "/api/2.0/database/instances/{name}";

/// A short-lived PostgreSQL password for the identity that requested it. `Debug` does not show
/// the token.
#[derive(Debug, Clone)]
pub struct DatabaseCredential {
    /// The password for PostgreSQL logins of the identity's role.
    pub token: SecretString,
    /// When the token expires, as the API sent it (RFC 3339 expected; the format is not
    /// documented). `None` when the response had none.
    pub expiration_time: Option<String>,
}

/// A Lakebase Provisioned instance. Fields the response leaves out are `None`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DatabaseInstance {
    pub name: String,
    #[serde(default)]
    pub uid: Option<String>,
    /// `AVAILABLE`, `STARTING`, `STOPPED`, `UPDATING`, `DELETING`, `FAILING_OVER` or
    /// `UPGRADING`.
    #[serde(default)]
    pub state: Option<String>,
    /// The host for read-write connections.
    #[serde(default)]
    pub read_write_dns: Option<String>,
    #[serde(default)]
    pub read_only_dns: Option<String>,
    #[serde(default)]
    pub pg_version: Option<String>,
}

/// The Provisioned response uses `expiration_time`, the Autoscaling one `expire_time`.
#[derive(Deserialize)]
struct CredentialBody {
    token: SecretString,
    #[serde(default, alias = "expire_time")]
    expiration_time: Option<String>,
}

impl WorkspaceClient {
    /// Mints a credential for the Lakebase Provisioned instances `instance_names` with
    /// `POST /api/2.0/database/credentials`, sending a new `request_id` (a UUID) as the SDKs do.
    ///
    /// The credential is for the identity behind this client, so an app calls it with its
    /// service principal.
    pub async fn generate_database_credential(
        &self,
        instance_names: &[&str],
    ) -> Result<DatabaseCredential, ApiError> {
        let body = json!({
            "instance_names": instance_names,
            "request_id": uuid::Uuid::new_v4().to_string(),
        });
        self.credential(ApiRequest::post_json(DATABASE_CREDENTIALS_PATH, body))
            .await
    }

    /// Mints a credential for the Lakebase Autoscaling `endpoint`
    /// (`projects/{project}/branches/{branch}/endpoints/{endpoint}`) with
    /// `POST /api/2.0/postgres/credentials`.
    pub async fn generate_postgres_credential(
        &self,
        endpoint: &str,
    ) -> Result<DatabaseCredential, ApiError> {
        let body = json!({ "endpoint": endpoint });
        self.credential(ApiRequest::post_json(POSTGRES_CREDENTIALS_PATH, body))
            .await
    }

    /// Fetches a Lakebase Provisioned instance with `GET /api/2.0/database/instances/{name}`.
    pub async fn get_database_instance(&self, name: &str) -> Result<DatabaseInstance, ApiError> {
        let request = ApiRequest::get(INSTANCE_ROUTE).with_path(instance_path(name));
        let response = self.send(&request).await?;
        decode_json(&request, &response)
    }

    async fn credential(&self, request: ApiRequest) -> Result<DatabaseCredential, ApiError> {
        let response = self.send(&request).await?;
        let body: CredentialBody = decode_json(&request, &response)?;
        Ok(DatabaseCredential {
            token: body.token,
            expiration_time: body.expiration_time,
        })
    }
}

/// Returns the instance path with `name` percent-encoded as one path segment.
fn instance_path(name: &str) -> String {
    let mut url = url::Url::parse("http://workspace/api/2.0/database/instances")
        .expect("the base URL is a valid constant");
    url.path_segments_mut()
        .expect("an http URL has path segments")
        .push(name);
    url.path().to_owned()
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret as _;

    use super::*;

    #[test]
    fn provisioned_body_parses() {
        let body: CredentialBody =
            serde_json::from_str(r#"{"token": "t-1", "expiration_time": "2026-12-04T20:47:05Z"}"#)
                .expect("valid body");
        assert_eq!(body.token.expose_secret(), "t-1");
        assert_eq!(
            body.expiration_time.as_deref(),
            Some("2026-12-04T20:47:05Z")
        );
    }

    #[test]
    fn autoscaling_body_parses() {
        let body: CredentialBody =
            serde_json::from_str(r#"{"token": "t-2", "expire_time": "2026-12-04T20:47:05Z"}"#)
                .expect("valid body");
        assert_eq!(
            body.expiration_time.as_deref(),
            Some("2026-12-04T20:47:05Z")
        );
    }

    #[test]
    fn missing_expiry_is_none() {
        let body: CredentialBody = serde_json::from_str(r#"{"token": "t-3"}"#).expect("valid body");
        assert_eq!(body.expiration_time, None);
    }

    #[test]
    fn credential_debug_hides_token() {
        let credential = DatabaseCredential {
            token: SecretString::from("secret-token"),
            expiration_time: None,
        };
        assert!(!format!("{credential:?}").contains("secret-token"));
    }

    #[test]
    fn instance_name_is_one_segment() {
        assert_eq!(
            instance_path("app-db"),
            "/api/2.0/database/instances/app-db"
        );
        assert_eq!(
            instance_path("a/b c"),
            "/api/2.0/database/instances/a%2Fb%20c"
        );
    }
}

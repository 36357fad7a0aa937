//! The signed-in identity: SCIM `GET /api/2.0/preview/scim/v2/Me`.

use serde::Deserialize;

use crate::client::{WorkspaceClient, decode_json};
use crate::error::ApiError;
use crate::request::ApiRequest;

const ME_PATH: &str = "/api/2.0/preview/scim/v2/Me";

/// The response header that carries the workspace id.
const ORG_ID_HEADER: &str = "x-databricks-org-id";

/// The identity behind a client's credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CurrentUser {
    /// The SCIM id (a numeric string).
    pub id: String,
    /// The email address of a person, or the application (client) id of a service principal.
    pub user_name: String,
    /// The display name, when set.
    pub display_name: Option<String>,
    /// Whether the account is active. Treated as `true` when the response omits it, because the
    /// platform accepted the credentials.
    pub active: bool,
    /// The email addresses, primary first when one is marked primary.
    pub emails: Vec<String>,
    /// The display names of the groups the identity belongs to.
    pub groups: Vec<String>,
    /// The workspace id from the `X-Databricks-Org-Id` response header, when present.
    pub workspace_id: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct MeBody {
    id: String,
    user_name: String,
    display_name: Option<String>,
    active: Option<bool>,
    #[serde(default)]
    emails: Vec<MultiValue>,
    #[serde(default)]
    groups: Vec<MultiValue>,
}

/// A SCIM multi-valued attribute entry.
#[derive(Deserialize)]
struct MultiValue {
    value: Option<String>,
    display: Option<String>,
    #[serde(default)]
    primary: bool,
}

impl WorkspaceClient {
    /// Fetches the identity behind this client's credentials with SCIM `Me`, and the workspace
    /// id from the response header.
    pub async fn current_user(&self) -> Result<CurrentUser, ApiError> {
        let request = ApiRequest::get(ME_PATH).identity_lookup();
        let response = self.send(&request).await?;
        let body: MeBody = decode_json(&request, &response)?;

        let workspace_id = response
            .headers
            .get(ORG_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(str::to_owned);
        Ok(CurrentUser::from_body(body, workspace_id))
    }
}

impl CurrentUser {
    fn from_body(body: MeBody, workspace_id: Option<String>) -> CurrentUser {
        let mut emails = body.emails;
        // A stable sort keeps the response order among equals.
        emails.sort_by_key(|email| !email.primary);
        CurrentUser {
            id: body.id,
            user_name: body.user_name,
            display_name: body.display_name.filter(|name| !name.trim().is_empty()),
            active: body.active.unwrap_or(true),
            emails: emails.into_iter().filter_map(|email| email.value).collect(),
            groups: body
                .groups
                .into_iter()
                .filter_map(|group| group.display)
                .collect(),
            workspace_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> CurrentUser {
        let body: MeBody = serde_json::from_str(json).expect("valid Me body");
        CurrentUser::from_body(body, Some("1234".to_owned()))
    }

    #[test]
    fn full_body() {
        let user = parse(
            r#"{
                "id": "1000012345",
                "userName": "alice@example.com",
                "displayName": "Alice Example",
                "active": true,
                "emails": [
                    {"type": "home", "value": "alice@home.example"},
                    {"type": "work", "value": "alice@example.com", "primary": true}
                ],
                "groups": [
                    {"display": "users", "value": "1", "$ref": "Groups/1", "type": "direct"},
                    {"value": "2"},
                    {"display": "admins", "value": "3"}
                ],
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"]
            }"#,
        );
        assert_eq!(user.id, "1000012345");
        assert_eq!(user.user_name, "alice@example.com");
        assert_eq!(user.display_name.as_deref(), Some("Alice Example"));
        assert!(user.active);
        assert_eq!(user.emails, ["alice@example.com", "alice@home.example"]);
        assert_eq!(user.groups, ["users", "admins"]);
        assert_eq!(user.workspace_id.as_deref(), Some("1234"));
    }

    #[test]
    fn minimal_body() {
        let user = parse(r#"{"id": "7", "userName": "6f1c2a3e-0000-4000-8000-000000000001"}"#);
        assert_eq!(user.user_name, "6f1c2a3e-0000-4000-8000-000000000001");
        assert_eq!(user.display_name, None);
        assert!(user.active);
        assert!(user.emails.is_empty());
        assert!(user.groups.is_empty());
    }

    #[test]
    fn inactive_user() {
        let user = parse(r#"{"id": "7", "userName": "dave@example.com", "active": false}"#);
        assert!(!user.active);
    }

    #[test]
    fn missing_user_name_is_rejected() {
        let result = serde_json::from_str::<MeBody>(r#"{"id": "7"}"#);
        assert!(result.is_err());
    }
}

//! A user's account status by `userName`: SCIM `GET /api/2.0/preview/scim/v2/Users` with a
//! `userName eq "…"` filter.

use http::StatusCode;
use serde::Deserialize;

use crate::client::{WorkspaceClient, decode_json};
use crate::error::ApiError;
use crate::request::ApiRequest;

const USERS_PATH: &str = "/api/2.0/preview/scim/v2/Users";

/// The attributes requested, so the response leaves out groups, entitlements and emails.
const ATTRIBUTES: &str = "id,userName,active";

/// The account status of one `userName` in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    /// The user exists and is active.
    Active,
    /// The user exists and is deactivated (`active: false`).
    Inactive,
    /// No user has this `userName`: the filter matched no user, or the workspace returned 404.
    NotFound,
}

#[derive(Deserialize)]
struct ListBody {
    #[serde(default, rename = "Resources")]
    resources: Vec<UserBody>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UserBody {
    user_name: String,
    active: Option<bool>,
}

impl WorkspaceClient {
    /// Looks up whether the user with `user_name` exists and is active, with SCIM `Users` and the
    /// filter `userName eq "<user_name>"`.
    ///
    /// The identity behind this client needs permission to list workspace users, which an app's
    /// service principal has. SCIM compares `userName` case-insensitively, and so does this
    /// method when it picks the match from the list. A user whose `active` attribute is missing
    /// counts as active, so a caller that deletes data of inactive users keeps it.
    pub async fn user_status(&self, user_name: &str) -> Result<UserStatus, ApiError> {
        let request = ApiRequest::get(USERS_PATH).with_query(vec![
            ("filter", user_name_filter(user_name)),
            ("attributes", ATTRIBUTES.to_owned()),
        ]);
        let response = match self.send(&request).await {
            Ok(response) => response,
            Err(error) if error.status == Some(StatusCode::NOT_FOUND) => {
                return Ok(UserStatus::NotFound);
            }
            Err(error) => return Err(error),
        };
        let body: ListBody = decode_json(&request, &response)?;
        Ok(status_in(&body, user_name))
    }
}

/// Builds `userName eq "<value>"`, with the value written as a JSON string literal, the form of
/// SCIM filter values, so quotes and backslashes in it are escaped.
fn user_name_filter(user_name: &str) -> String {
    let literal = serde_json::Value::String(user_name.to_owned()).to_string();
    format!("userName eq {literal}")
}

fn status_in(body: &ListBody, user_name: &str) -> UserStatus {
    let found = body
        .resources
        .iter()
        .find(|user| user.user_name.eq_ignore_ascii_case(user_name));
    match found {
        None => UserStatus::NotFound,
        Some(user) if user.active.unwrap_or(true) => UserStatus::Active,
        Some(_) => UserStatus::Inactive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(json: &str, user_name: &str) -> UserStatus {
        let body: ListBody = serde_json::from_str(json).expect("valid ListResponse");
        status_in(&body, user_name)
    }

    #[test]
    fn filter_quotes_the_user_name() {
        assert_eq!(
            user_name_filter("alice@example.com"),
            r#"userName eq "alice@example.com""#
        );
        assert_eq!(
            user_name_filter(r#"a"b\c@example.com"#),
            r#"userName eq "a\"b\\c@example.com""#
        );
    }

    #[test]
    fn active_user_is_active() {
        let json = r#"{"totalResults": 1, "Resources": [
            {"id": "1", "userName": "alice@example.com", "active": true}
        ]}"#;
        assert_eq!(status(json, "alice@example.com"), UserStatus::Active);
    }

    #[test]
    fn inactive_user_is_inactive() {
        let json =
            r#"{"Resources": [{"id": "4", "userName": "dave@example.com", "active": false}]}"#;
        assert_eq!(status(json, "dave@example.com"), UserStatus::Inactive);
    }

    #[test]
    fn user_name_matches_case_insensitively() {
        let json =
            r#"{"Resources": [{"id": "4", "userName": "Dave@Example.com", "active": false}]}"#;
        assert_eq!(status(json, "dave@example.com"), UserStatus::Inactive);
    }

    #[test]
    fn missing_active_counts_as_active() {
        let json = r#"{"Resources": [{"id": "1", "userName": "alice@example.com"}]}"#;
        assert_eq!(status(json, "alice@example.com"), UserStatus::Active);
    }

    #[test]
    fn empty_list_is_not_found() {
        assert_eq!(
            status(r#"{"totalResults": 0, "Resources": []}"#, "x@example.com"),
            UserStatus::NotFound
        );
        assert_eq!(
            status(r#"{"totalResults": 0}"#, "x@example.com"),
            UserStatus::NotFound
        );
    }

    #[test]
    fn other_user_name_is_not_found() {
        let json = r#"{"Resources": [{"id": "2", "userName": "bob@example.com", "active": true}]}"#;
        assert_eq!(status(json, "alice@example.com"), UserStatus::NotFound);
    }
}

//! The SCIM user resource of a principal.

use serde_json::{Value, json};

use crate::principal::{Principal, PrincipalKind};

const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const WORKSPACE_USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:extension:workspace:2.0:User";

/// Renders a principal as Databricks SCIM returns users. A service principal (through `Me`) has
/// its application id as `userName` and in `applicationId`, and no emails.
///
/// NOTE: the platform's `Me` body for a service principal token is not documented, so this uses
/// the user schemas with `applicationId` added, the closest documented shape.
pub(crate) fn user_resource(principal: &Principal) -> Value {
    let groups: Vec<Value> = principal
        .groups
        .iter()
        .map(|group| {
            json!({
                "display": group.display_name,
                "value": group.id,
                "$ref": format!("Groups/{}", group.id),
                "type": "direct",
            })
        })
        .collect();
    let entitlements: Vec<Value> = principal
        .entitlements
        .iter()
        .map(|value| json!({"value": value}))
        .collect();
    let mut body = json!({
        "schemas": [USER_SCHEMA, WORKSPACE_USER_SCHEMA],
        "id": principal.id,
        "userName": principal.user_name,
        "displayName": principal.display_name,
        "active": principal.active,
        "groups": groups,
        "entitlements": entitlements,
    });
    match principal.kind {
        PrincipalKind::User => {
            body["emails"] =
                json!([{"type": "work", "value": principal.user_name, "primary": true}]);
        }
        PrincipalKind::ServicePrincipal => {
            body["applicationId"] = json!(principal.user_name);
        }
    }
    body
}

//! A principal's permission level on a serving endpoint.

use crate::fixture::{PermissionLevel, ServingEndpointFixture};
use crate::grants::covers;
use crate::principal::Principal;

/// Members of the workspace group with this name manage every endpoint, as workspace admins do.
const WORKSPACE_ADMINS_GROUP: &str = "admins";

/// Returns the highest level the principal holds: `CAN_MANAGE` for the creator and workspace
/// admins, otherwise the best matching permission, or `None` when the principal may not see the
/// endpoint at all.
pub(crate) fn permission_level(
    endpoint: &ServingEndpointFixture,
    principal: &Principal,
) -> Option<PermissionLevel> {
    let is_admin = principal
        .groups
        .iter()
        .any(|group| group.display_name == WORKSPACE_ADMINS_GROUP);
    if is_admin || principal.has_user_name(&endpoint.creator) {
        return Some(PermissionLevel::CanManage);
    }
    endpoint
        .permissions
        .iter()
        .filter(|permission| covers(&permission.principal, principal))
        .map(|permission| permission.level)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::Fixture;
    use crate::principal::principals_from;

    fn level(endpoint: &str, user_name: &str) -> Option<PermissionLevel> {
        let fixture = Fixture::default_fixture();
        let principal = principals_from(&fixture)
            .into_iter()
            .find(|p| p.user_name == user_name)
            .expect("principal in the default fixture");
        let endpoint = fixture
            .serving_endpoints
            .iter()
            .find(|e| e.name == endpoint)
            .expect("endpoint in the default fixture");
        permission_level(endpoint, &principal)
    }

    #[test]
    fn default_sentiment_levels() {
        assert_eq!(
            level("sentiment", "alice@example.com"),
            Some(PermissionLevel::CanManage)
        );
        assert_eq!(
            level("sentiment", "bob@example.com"),
            Some(PermissionLevel::CanView)
        );
        assert_eq!(
            level("sentiment", "carol@example.com"),
            Some(PermissionLevel::CanManage)
        );
        assert_eq!(
            level("sentiment", crate::DEFAULT_SERVICE_PRINCIPAL_ID),
            None
        );
    }

    #[test]
    fn account_users_permission_covers_everyone() {
        assert_eq!(
            level("echo", crate::DEFAULT_SERVICE_PRINCIPAL_ID),
            Some(PermissionLevel::CanQuery)
        );
    }
}

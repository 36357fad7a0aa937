//! Grantees: the principals that Unity Catalog grants, owners and serving endpoint permissions
//! name.

use crate::principal::Principal;

/// The grantee that means every principal of the account, as in Unity Catalog.
pub(crate) const ACCOUNT_USERS: &str = "account users";

/// Checks whether `grantee` covers `principal`: it is the principal's user name (or application
/// id), the name of a group the principal is a member of, or [`ACCOUNT_USERS`].
pub(crate) fn covers(grantee: &str, principal: &Principal) -> bool {
    grantee == ACCOUNT_USERS
        || principal.has_user_name(grantee)
        || principal
            .groups
            .iter()
            .any(|group| group.display_name == grantee)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixture::Fixture;
    use crate::principal::principals_from;

    fn principal(user_name: &str) -> Principal {
        principals_from(&Fixture::default_fixture())
            .into_iter()
            .find(|p| p.user_name == user_name)
            .expect("principal in the default fixture")
    }

    #[test]
    fn user_name_group_and_account_users_cover() {
        let carol = principal("carol@example.com");
        assert!(covers("CAROL@example.com", &carol));
        assert!(covers("admins", &carol));
        assert!(covers(ACCOUNT_USERS, &carol));
    }

    #[test]
    fn other_names_do_not_cover() {
        let bob = principal("bob@example.com");
        assert!(!covers("alice@example.com", &bob));
        assert!(!covers("admins", &bob));
    }
}

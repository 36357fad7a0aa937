//! Principals (users and service principals) as the running emulator stores them.

use crate::fixture::{Fixture, GroupFixture};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PrincipalKind {
    User,
    ServicePrincipal,
}

/// A group membership, as SCIM lists it under `groups`.
#[derive(Debug, Clone)]
pub(crate) struct GroupRef {
    pub(crate) display_name: String,
    pub(crate) id: String,
}

#[derive(Debug, Clone)]
pub(crate) struct Principal {
    pub(crate) kind: PrincipalKind,
    /// Numeric SCIM id.
    pub(crate) id: String,
    /// Email address for users, application id for service principals.
    pub(crate) user_name: String,
    pub(crate) display_name: String,
    pub(crate) active: bool,
    pub(crate) groups: Vec<GroupRef>,
    pub(crate) entitlements: Vec<String>,
}

impl Principal {
    /// Checks whether `name` is this principal's user name, ignoring case as SCIM does for
    /// `userName`.
    pub(crate) fn has_user_name(&self, name: &str) -> bool {
        self.user_name.eq_ignore_ascii_case(name)
    }
}

/// Builds the principals of a validated fixture, users first, in fixture order.
pub(crate) fn principals_from(fixture: &Fixture) -> Vec<Principal> {
    let group_refs = |names: &[String]| -> Vec<GroupRef> {
        names
            .iter()
            .filter_map(|name| fixture.groups.iter().find(|g| &g.display_name == name))
            .map(
                |GroupFixture {
                     display_name, id, ..
                 }| GroupRef {
                    display_name: display_name.clone(),
                    id: id.clone(),
                },
            )
            .collect()
    };
    let users = fixture.users.iter().map(|user| Principal {
        kind: PrincipalKind::User,
        id: user.id.clone(),
        user_name: user.user_name.clone(),
        display_name: user.display_name.clone(),
        active: user.active,
        groups: group_refs(&user.groups),
        entitlements: user.entitlements.clone(),
    });
    let service_principals = fixture.service_principals.iter().map(|sp| Principal {
        kind: PrincipalKind::ServicePrincipal,
        id: sp.id.clone(),
        user_name: sp.application_id.clone(),
        display_name: sp.display_name.clone(),
        active: sp.active,
        groups: group_refs(&sp.groups),
        entitlements: sp.entitlements.clone(),
    });
    users.chain(service_principals).collect()
}

//! Unity Catalog permission checks for a principal.
//!
//! Privileges granted on a catalog or schema also apply to the objects inside it, and owners hold
//! every privilege on their object and its children. A catalog is usable with `USE_CATALOG`, a
//! schema with `USE_SCHEMA` and a table is readable with `SELECT`. `ALL_PRIVILEGES` implies each
//! of them. Metastore admins are not emulated.

use crate::fixture::{CatalogFixture, GrantFixture, SchemaFixture, TableFixture};
use crate::grants::covers;
use crate::principal::Principal;

const ALL_PRIVILEGES: &str = "ALL_PRIVILEGES";
const USE_CATALOG: &str = "USE_CATALOG";
const USE_SCHEMA: &str = "USE_SCHEMA";
const SELECT: &str = "SELECT";

/// Unity Catalog permission checks for one principal.
pub(crate) struct CatalogAccess<'a> {
    principal: &'a Principal,
}

impl<'a> CatalogAccess<'a> {
    pub(crate) fn new(principal: &'a Principal) -> Self {
        Self { principal }
    }

    /// Checks whether the principal owns the catalog or has `USE_CATALOG` on it.
    pub(crate) fn can_use_catalog(&self, catalog: &CatalogFixture) -> bool {
        self.owns(&catalog.owner) || self.has_privilege(USE_CATALOG, &[&catalog.grants])
    }

    /// Checks whether the principal owns the schema or its catalog, or has `USE_SCHEMA` on either.
    /// The caller checks
    /// [`CatalogAccess::can_use_catalog`] first.
    pub(crate) fn can_use_schema(&self, catalog: &CatalogFixture, schema: &SchemaFixture) -> bool {
        self.owns(&catalog.owner)
            || self.owns(schema.owner_or(&catalog.owner))
            || self.has_privilege(USE_SCHEMA, &[&catalog.grants, &schema.grants])
    }

    /// Checks whether the principal owns the table or a parent, or has `SELECT` on one of them.
    /// The caller checks the parents' `USE_*` privileges first.
    pub(crate) fn can_select(
        &self,
        catalog: &CatalogFixture,
        schema: &SchemaFixture,
        table: &TableFixture,
    ) -> bool {
        let schema_owner = schema.owner_or(&catalog.owner);
        self.owns(&catalog.owner)
            || self.owns(schema_owner)
            || self.owns(table.owner_or(schema_owner))
            || self.has_privilege(SELECT, &[&catalog.grants, &schema.grants, &table.grants])
    }

    fn owns(&self, owner: &str) -> bool {
        covers(owner, self.principal)
    }

    fn has_privilege(&self, privilege: &str, grant_lists: &[&[GrantFixture]]) -> bool {
        grant_lists
            .iter()
            .flat_map(|grants| grants.iter())
            .filter(|grant| covers(&grant.principal, self.principal))
            .flat_map(|grant| grant.privileges.iter())
            .any(|held| held == privilege || held == ALL_PRIVILEGES)
    }
}

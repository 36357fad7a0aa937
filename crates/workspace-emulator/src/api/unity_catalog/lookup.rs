//! Finds catalogs, schemas and tables by name for a principal, with the platform's 404 and 403
//! errors.
//!
//! Names compare case-insensitively, as Unity Catalog stores them in lower case. Existence is
//! checked before access at each level, so a missing catalog is 404 even for a principal who
//! could not use it.

use serde_json::json;

use super::access::CatalogAccess;
use crate::api::PlatformError;
use crate::fixture::{CatalogFixture, SchemaFixture, TableFixture, UnityCatalogFixture};
use crate::middleware::RequestId;
use crate::principal::Principal;

const DOMAIN: &str = "unity-catalog.databricks.com";

/// Name lookups for one request.
pub(crate) struct Lookup<'a> {
    metastore: &'a UnityCatalogFixture,
    access: CatalogAccess<'a>,
    request_id: Option<RequestId>,
}

impl<'a> Lookup<'a> {
    pub(crate) fn new(
        metastore: &'a UnityCatalogFixture,
        principal: &'a Principal,
        request_id: Option<RequestId>,
    ) -> Self {
        Self {
            metastore,
            access: CatalogAccess::new(principal),
            request_id,
        }
    }

    pub(crate) fn access(&self) -> &CatalogAccess<'a> {
        &self.access
    }

    /// Returns a catalog the principal may use: 404 `CATALOG_DOES_NOT_EXIST`, or 403 without
    /// `USE_CATALOG`.
    pub(crate) fn usable_catalog(&self, name: &str) -> Result<&'a CatalogFixture, PlatformError> {
        let catalog = self
            .metastore
            .catalogs
            .iter()
            .find(|catalog| catalog.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| self.not_found("CATALOG_DOES_NOT_EXIST", "Catalog", name))?;
        if !self.access.can_use_catalog(catalog) {
            return Err(self.denied("USE CATALOG", "Catalog", &catalog.name));
        }
        Ok(catalog)
    }

    /// Returns a schema the principal may use: the catalog's errors, 404 `SCHEMA_DOES_NOT_EXIST`,
    /// or 403 without `USE_SCHEMA`.
    pub(crate) fn usable_schema(
        &self,
        catalog_name: &str,
        schema_name: &str,
    ) -> Result<(&'a CatalogFixture, &'a SchemaFixture), PlatformError> {
        let catalog = self.usable_catalog(catalog_name)?;
        let full_name = format!("{}.{schema_name}", catalog.name);
        let schema = catalog
            .schemas
            .iter()
            .find(|schema| schema.name.eq_ignore_ascii_case(schema_name))
            .ok_or_else(|| self.not_found("SCHEMA_DOES_NOT_EXIST", "Schema", &full_name))?;
        if !self.access.can_use_schema(catalog, schema) {
            let full_name = format!("{}.{}", catalog.name, schema.name);
            return Err(self.denied("USE SCHEMA", "Schema", &full_name));
        }
        Ok((catalog, schema))
    }

    /// Returns a table the principal may read, by `catalog.schema.table`: 400 for another shape
    /// of name, the parents' errors, 404 `TABLE_DOES_NOT_EXIST`, or 403 without `SELECT`.
    pub(crate) fn readable_table(
        &self,
        full_name: &str,
    ) -> Result<(&'a CatalogFixture, &'a SchemaFixture, &'a TableFixture), PlatformError> {
        let parts: Vec<&str> = full_name.split('.').collect();
        let [catalog_name, schema_name, table_name] = parts[..] else {
            return Err(PlatformError::invalid_parameter(format!(
                "Invalid table name {full_name:?}: expected catalog.schema.table."
            )));
        };
        let (catalog, schema) = self.usable_schema(catalog_name, schema_name)?;
        let table = schema
            .tables
            .iter()
            .find(|table| table.name.eq_ignore_ascii_case(table_name))
            .ok_or_else(|| {
                let full_name = format!("{}.{}.{table_name}", catalog.name, schema.name);
                self.not_found("TABLE_DOES_NOT_EXIST", "Table", &full_name)
            })?;
        if !self.access.can_select(catalog, schema, table) {
            let full_name = format!("{}.{}.{}", catalog.name, schema.name, table.name);
            return Err(self.denied("SELECT", "Table", &full_name));
        }
        Ok((catalog, schema, table))
    }

    /// 403 in the shape observed from Unity Catalog, with `ErrorInfo` and `RequestInfo` details.
    fn denied(&self, privilege: &str, resource_type: &str, resource_name: &str) -> PlatformError {
        PlatformError::permission_denied(format!(
            "User does not have {privilege} on {resource_type} '{resource_name}'."
        ))
        .with_error_info(
            "PERMISSION_DENIED",
            DOMAIN,
            json!({
                "principalName": "User",
                "msg": privilege,
                "resourceType": resource_type,
                "resourceName": resource_name,
            }),
        )
        .with_request_info(self.request_id)
    }

    /// 404 with the object's code. NOTE: the platform's messages and details for missing objects
    /// are not documented; this mirrors its 403 shape.
    fn not_found(
        &self,
        error_code: &'static str,
        resource_type: &str,
        resource_name: &str,
    ) -> PlatformError {
        PlatformError::not_found(
            error_code,
            format!("{resource_type} '{resource_name}' does not exist."),
        )
        .with_error_info(
            error_code,
            DOMAIN,
            json!({"resourceType": resource_type, "resourceName": resource_name}),
        )
        .with_request_info(self.request_id)
    }
}

//! Unity Catalog list and get calls under `/api/2.1/unity-catalog/`: catalogs, schemas, tables
//! and one table with its columns. Each principal gets only the objects it owns or has privileges
//! on.

mod access;
mod lookup;
mod paging;
mod render;

use axum::Json;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use serde::Deserialize;
use serde_json::Value;

use crate::api::PlatformError;
use crate::scopes::{CatalogsScope, SchemasScope, Scoped, TablesScope};
use crate::state::AppState;
use lookup::Lookup;
use paging::{PageRequest, paginate};

/// Query parameters of the list calls. Others, such as `include_browse`, are accepted and
/// ignored.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct ListQuery {
    catalog_name: Option<String>,
    schema_name: Option<String>,
    max_results: Option<String>,
    page_token: Option<String>,
    omit_columns: Option<String>,
}

impl ListQuery {
    fn from_extracted(
        query: Result<Query<ListQuery>, QueryRejection>,
    ) -> Result<Self, PlatformError> {
        query
            .map(|Query(query)| query)
            .map_err(|rejection| PlatformError::invalid_parameter(rejection.body_text()))
    }

    fn page_request(&self) -> Result<PageRequest, PlatformError> {
        PageRequest::parse(self.max_results.as_deref(), self.page_token.as_deref())
    }

    fn required<'q>(value: Option<&'q str>, name: &str) -> Result<&'q str, PlatformError> {
        value.filter(|value| !value.is_empty()).ok_or_else(|| {
            PlatformError::invalid_parameter(format!("Missing required parameter: {name}."))
        })
    }

    fn omit_columns(&self) -> Result<bool, PlatformError> {
        match self.omit_columns.as_deref() {
            None | Some("" | "false") => Ok(false),
            Some("true") => Ok(true),
            Some(other) => Err(PlatformError::invalid_parameter(format!(
                "Invalid omit_columns {other:?}: use true or false."
            ))),
        }
    }
}

/// `GET /api/2.1/unity-catalog/catalogs`: catalogs the caller owns or has `USE_CATALOG` on,
/// sorted by name.
pub(crate) async fn list_catalogs(
    State(state): State<AppState>,
    caller: Scoped<CatalogsScope>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, PlatformError> {
    let query = ListQuery::from_extracted(query)?;
    let metastore = &state.fixture().unity_catalog;
    let lookup = Lookup::new(metastore, &caller.principal, caller.request_id);
    let mut catalogs: Vec<_> = metastore
        .catalogs
        .iter()
        .filter(|catalog| lookup.access().can_use_catalog(catalog))
        .collect();
    catalogs.sort_by(|a, b| a.name.cmp(&b.name));
    let items = catalogs
        .into_iter()
        .map(|catalog| render::catalog_info(catalog, &metastore.metastore_id))
        .collect();
    let page = paginate(items, "catalogs", &query.page_request()?, metastore)?;
    Ok(Json(render::list_body("catalogs", page)))
}

/// `GET /api/2.1/unity-catalog/schemas?catalog_name=`: schemas of a catalog the caller may use
/// that it owns or has `USE_SCHEMA` on.
pub(crate) async fn list_schemas(
    State(state): State<AppState>,
    caller: Scoped<SchemasScope>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, PlatformError> {
    let query = ListQuery::from_extracted(query)?;
    let catalog_name = ListQuery::required(query.catalog_name.as_deref(), "catalog_name")?;
    let page_request = query.page_request()?;
    let metastore = &state.fixture().unity_catalog;
    let lookup = Lookup::new(metastore, &caller.principal, caller.request_id);
    let catalog = lookup.usable_catalog(catalog_name)?;
    let mut schemas: Vec<_> = catalog
        .schemas
        .iter()
        .filter(|schema| lookup.access().can_use_schema(catalog, schema))
        .collect();
    schemas.sort_by(|a, b| a.name.cmp(&b.name));
    let items = schemas
        .into_iter()
        .map(|schema| render::schema_info(catalog, schema, &metastore.metastore_id))
        .collect();
    let listing = format!("schemas:{}", catalog.name);
    let page = paginate(items, &listing, &page_request, metastore)?;
    Ok(Json(render::list_body("schemas", page)))
}

/// `GET /api/2.1/unity-catalog/tables?catalog_name=&schema_name=`: tables the caller may read in
/// a schema it may use.
pub(crate) async fn list_tables(
    State(state): State<AppState>,
    caller: Scoped<TablesScope>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Json<Value>, PlatformError> {
    let query = ListQuery::from_extracted(query)?;
    let catalog_name = ListQuery::required(query.catalog_name.as_deref(), "catalog_name")?;
    let schema_name = ListQuery::required(query.schema_name.as_deref(), "schema_name")?;
    let page_request = query.page_request()?;
    let with_columns = !query.omit_columns()?;
    let metastore = &state.fixture().unity_catalog;
    let lookup = Lookup::new(metastore, &caller.principal, caller.request_id);
    let (catalog, schema) = lookup.usable_schema(catalog_name, schema_name)?;
    let mut tables: Vec<_> = schema
        .tables
        .iter()
        .filter(|table| lookup.access().can_select(catalog, schema, table))
        .collect();
    tables.sort_by(|a, b| a.name.cmp(&b.name));
    let items = tables
        .into_iter()
        .map(|table| {
            render::table_info(
                catalog,
                schema,
                table,
                &metastore.metastore_id,
                with_columns,
            )
        })
        .collect();
    let listing = format!("tables:{}.{}", catalog.name, schema.name);
    let page = paginate(items, &listing, &page_request, metastore)?;
    Ok(Json(render::list_body("tables", page)))
}

/// `GET /api/2.1/unity-catalog/tables/{full_name}`: one table with its columns.
pub(crate) async fn get_table(
    State(state): State<AppState>,
    caller: Scoped<TablesScope>,
    Path(full_name): Path<String>,
) -> Result<Json<Value>, PlatformError> {
    let metastore = &state.fixture().unity_catalog;
    let lookup = Lookup::new(metastore, &caller.principal, caller.request_id);
    let (catalog, schema, table) = lookup.readable_table(&full_name)?;
    Ok(Json(render::table_info(
        catalog,
        schema,
        table,
        &metastore.metastore_id,
        true,
    )))
}

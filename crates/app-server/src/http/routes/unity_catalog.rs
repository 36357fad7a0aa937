//! Unity Catalog browsing, with the caller's own permissions (service principal without a token).

use axum::Json;
use axum::extract::State;
use databricks_client::{ApiError, CatalogInfo, Page, PageRequest, SchemaInfo, TableInfo};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::AuthContext;
use crate::error::{AppError, ErrorBody};
use crate::http::openapi::responses::{LayerErrors, WorkspaceErrors};
use crate::http::path::ApiPath;
use crate::http::query::ApiQuery;
use crate::services::acting::client_with_fallback;
use crate::services::upstream::{RequiredScope, workspace_error};
use crate::state::AppState;
use crate::telemetry::metrics::upstream::{UNITY_CATALOG, observe};

/// The OAuth scope Unity Catalog calls need.
pub const UNITY_CATALOG_SCOPE: RequiredScope = RequiredScope {
    token_scope: "unity-catalog",
    app_scopes: "catalog.catalogs, catalog.schemas and catalog.tables",
};

/// Largest page a client may ask for; the platform's own maximum for these lists.
pub const MAX_PAGE_SIZE: u32 = 1_000;

/// Longest accepted `page_token`, in bytes.
const MAX_PAGE_TOKEN_BYTES: usize = 4_096;

/// Longest accepted catalog, schema or table name, in characters.
const MAX_NAME_CHARS: usize = 255;

#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// The `next_page_token` of the previous page.
    #[param(min_length = 1, max_length = 4096, pattern = r"^[!-~]+$")]
    pub page_token: Option<String>,
    /// Largest number of items in the page; the workspace chooses when absent.
    #[param(minimum = 1, maximum = 1000)]
    pub max_results: Option<u32>,
}

/// A page as the API returns it: `{"items": [...], "next_page_token": string|null}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListResponse<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

impl<T> From<Page<T>> for ListResponse<T> {
    fn from(page: Page<T>) -> Self {
        Self {
            items: page.items,
            next_page_token: page.next_page_token,
        }
    }
}

/// `GET /api/unity-catalog/catalogs`.
#[utoipa::path(
    get,
    path = "/api/unity-catalog/catalogs",
    tag = "unity-catalog",
    operation_id = "list_catalogs",
    security((), ("user_token" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page of the catalogs the caller may see", body = ListResponse<CatalogInfo>),
        (status = 400, description = "VALIDATION_ERROR: an invalid path or query parameter", body = ErrorBody),
        WorkspaceErrors,
        LayerErrors,
    )
)]
pub async fn catalogs(
    State(state): State<AppState>,
    context: AuthContext,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ListResponse<CatalogInfo>>, AppError> {
    let page = page_request(query)?;
    let (client, _mode) = client_with_fallback(&state, context)?;
    let catalogs = catalog_call("list_catalogs", client.list_catalogs(&page)).await?;
    Ok(Json(catalogs.into()))
}

/// `GET /api/unity-catalog/catalogs/{catalog}/schemas`.
#[utoipa::path(
    get,
    path = "/api/unity-catalog/catalogs/{catalog}/schemas",
    tag = "unity-catalog",
    operation_id = "list_schemas",
    security((), ("user_token" = [])),
    params(("catalog" = String, Path, description = "Catalog name", min_length = 1, max_length = 255, pattern = r"^[^./\s\x00-\x1f\x7f-\x9f]+$"), ListQuery),
    responses(
        (status = 200, description = "A page of the schemas of the catalog", body = ListResponse<SchemaInfo>),
        (status = 400, description = "VALIDATION_ERROR: an invalid path or query parameter", body = ErrorBody),
        WorkspaceErrors,
        LayerErrors,
    )
)]
pub async fn schemas(
    State(state): State<AppState>,
    context: AuthContext,
    ApiPath(catalog): ApiPath<String>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ListResponse<SchemaInfo>>, AppError> {
    validate_name("catalog", &catalog)?;
    let page = page_request(query)?;
    let (client, _mode) = client_with_fallback(&state, context)?;
    let schemas = catalog_call("list_schemas", client.list_schemas(&catalog, &page)).await?;
    Ok(Json(schemas.into()))
}

/// `GET /api/unity-catalog/catalogs/{catalog}/schemas/{schema}/tables`.
#[utoipa::path(
    get,
    path = "/api/unity-catalog/catalogs/{catalog}/schemas/{schema}/tables",
    tag = "unity-catalog",
    operation_id = "list_tables",
    security((), ("user_token" = [])),
    params(("catalog" = String, Path, description = "Catalog name", min_length = 1, max_length = 255, pattern = r"^[^./\s\x00-\x1f\x7f-\x9f]+$"), ("schema" = String, Path, description = "Schema name", min_length = 1, max_length = 255, pattern = r"^[^./\s\x00-\x1f\x7f-\x9f]+$"), ListQuery),
    responses(
        (status = 200, description = "A page of the tables of the schema", body = ListResponse<TableInfo>),
        (status = 400, description = "VALIDATION_ERROR: an invalid path or query parameter", body = ErrorBody),
        WorkspaceErrors,
        LayerErrors,
    )
)]
pub async fn tables(
    State(state): State<AppState>,
    context: AuthContext,
    ApiPath((catalog, schema)): ApiPath<(String, String)>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ListResponse<TableInfo>>, AppError> {
    validate_name("catalog", &catalog)?;
    validate_name("schema", &schema)?;
    let page = page_request(query)?;
    let (client, _mode) = client_with_fallback(&state, context)?;
    let tables = catalog_call("list_tables", client.list_tables(&catalog, &schema, &page)).await?;
    Ok(Json(tables.into()))
}

/// `GET /api/unity-catalog/tables/{full_name}`: one table with its columns.
#[utoipa::path(
    get,
    path = "/api/unity-catalog/tables/{full_name}",
    tag = "unity-catalog",
    operation_id = "get_table",
    security((), ("user_token" = [])),
    params(("full_name" = String, Path, description = "`catalog.schema.table`, each part 1 to 255 characters without `/` or whitespace", max_length = 767, pattern = r"^[^./\s\x00-\x1f\x7f-\x9f]+\.[^./\s\x00-\x1f\x7f-\x9f]+\.[^./\s\x00-\x1f\x7f-\x9f]+$")),
    responses(
        (status = 200, description = "The table with its columns", body = TableInfo),
        (status = 400, description = "VALIDATION_ERROR: an invalid path or query parameter", body = ErrorBody),
        WorkspaceErrors,
        LayerErrors,
    )
)]
pub async fn table(
    State(state): State<AppState>,
    context: AuthContext,
    ApiPath(full_name): ApiPath<String>,
) -> Result<Json<TableInfo>, AppError> {
    validate_full_name(&full_name)?;
    let (client, _mode) = client_with_fallback(&state, context)?;
    let table = catalog_call("get_table", client.get_table(&full_name)).await?;
    Ok(Json(table))
}

/// Runs one Unity Catalog call, timed under `operation`, and maps its failure to an API error.
async fn catalog_call<T>(
    operation: &'static str,
    call: impl Future<Output = Result<T, ApiError>>,
) -> Result<T, AppError> {
    observe(UNITY_CATALOG, operation, call)
        .await
        .map_err(|error| workspace_error(&error, UNITY_CATALOG_SCOPE))
}

fn page_request(query: ListQuery) -> Result<PageRequest, AppError> {
    if let Some(max_results) = query.max_results
        && !(1..=MAX_PAGE_SIZE).contains(&max_results)
    {
        return Err(AppError::invalid_parameter(format!(
            "max_results must be from 1 to {MAX_PAGE_SIZE}, got {max_results}"
        )));
    }
    if let Some(token) = &query.page_token
        && (token.is_empty()
            || token.len() > MAX_PAGE_TOKEN_BYTES
            || !token.bytes().all(|b| b.is_ascii_graphic()))
    {
        return Err(AppError::invalid_parameter(format!(
            "page_token must be 1 to {MAX_PAGE_TOKEN_BYTES} printable ASCII characters, as returned in next_page_token"
        )));
    }
    Ok(PageRequest {
        max_results: query.max_results,
        page_token: query.page_token,
    })
}

/// Checks one catalog, schema or table name: 1 to 255 characters, no `.`, `/`, whitespace or
/// control characters.
fn validate_name(field: &str, name: &str) -> Result<(), AppError> {
    let length = name.chars().count();
    if length == 0 || length > MAX_NAME_CHARS {
        return Err(AppError::invalid_parameter(format!(
            "{field} name must be 1 to {MAX_NAME_CHARS} characters long, got {length}"
        )));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| *c == '.' || *c == '/' || c.is_whitespace() || c.is_control())
    {
        return Err(AppError::invalid_parameter(format!(
            "{field} name must not contain {bad:?}"
        )));
    }
    Ok(())
}

/// Checks `catalog.schema.table`.
fn validate_full_name(full_name: &str) -> Result<(), AppError> {
    let parts: Vec<&str> = full_name.split('.').collect();
    let [catalog, schema, table] = parts.as_slice() else {
        return Err(AppError::invalid_parameter(format!(
            "full_name must be catalog.schema.table, got {} part(s)",
            parts.len()
        )));
    };
    validate_name("catalog", catalog)?;
    validate_name("schema", schema)?;
    validate_name("table", table)
}

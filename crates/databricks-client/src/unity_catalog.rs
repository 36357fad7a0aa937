//! Unity Catalog: catalogs, schemas and tables, one page at a time or every page.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::client::{WorkspaceClient, decode_json};
use crate::error::ApiError;
use crate::request::ApiRequest;

const CATALOGS_ROUTE: &str = "/api/2.1/unity-catalog/catalogs";
const SCHEMAS_ROUTE: &str = "/api/2.1/unity-catalog/schemas";
const TABLES_ROUTE: &str = "/api/2.1/unity-catalog/tables";
const TABLE_ROUTE: &str = "/api/2.1/unity-catalog/tables/{full_name}";

/// The most pages [`WorkspaceClient::list_all_catalogs`] and its siblings follow, so a workspace
/// that keeps returning a `next_page_token` cannot make a call loop for ever.
pub const MAX_PAGES: usize = 1_000;

/// Paging parameters of a Unity Catalog list call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PageRequest {
    /// The page size. `None` lets the workspace decide; Unity Catalog then returns every item.
    pub max_results: Option<u32>,
    /// The `next_page_token` of the previous page.
    pub page_token: Option<String>,
}

/// One page of a list. `next_page_token` is `None` on the last page; a page may be empty and still
/// carry a token.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_page_token: Option<String>,
}

/// A catalog, with the fields the app shows. Other fields of the response are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CatalogInfo {
    pub name: String,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub catalog_type: Option<String>,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub created_at: Option<i64>,
}

/// A schema inside a catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SchemaInfo {
    pub name: String,
    pub catalog_name: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
}

/// A table, with its columns when the call returns them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct TableInfo {
    pub name: String,
    pub catalog_name: String,
    pub schema_name: String,
    #[serde(default)]
    pub full_name: Option<String>,
    #[serde(default)]
    pub table_type: Option<String>,
    #[serde(default)]
    pub data_source_format: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub owner: Option<String>,
    #[serde(default)]
    pub columns: Vec<ColumnInfo>,
}

/// A column of a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ColumnInfo {
    pub name: String,
    #[serde(default)]
    pub type_text: Option<String>,
    #[serde(default)]
    pub type_name: Option<String>,
    #[serde(default)]
    pub position: Option<i64>,
    #[serde(default)]
    pub nullable: Option<bool>,
    #[serde(default)]
    pub comment: Option<String>,
}

#[derive(Deserialize)]
struct ListBody<T> {
    #[serde(
        default = "Vec::new",
        alias = "catalogs",
        alias = "schemas",
        alias = "tables"
    )]
    items: Vec<T>,
    #[serde(default)]
    next_page_token: Option<String>,
}

impl WorkspaceClient {
    /// Lists one page of the catalogs the caller may see.
    pub async fn list_catalogs(&self, page: &PageRequest) -> Result<Page<CatalogInfo>, ApiError> {
        self.list_page(CATALOGS_ROUTE, &[], page).await
    }

    /// Lists one page of the schemas of `catalog` the caller may see.
    pub async fn list_schemas(
        &self,
        catalog: &str,
        page: &PageRequest,
    ) -> Result<Page<SchemaInfo>, ApiError> {
        self.list_page(SCHEMAS_ROUTE, &[("catalog_name", catalog)], page)
            .await
    }

    /// Lists one page of the tables of `catalog.schema` the caller may see.
    pub async fn list_tables(
        &self,
        catalog: &str,
        schema: &str,
        page: &PageRequest,
    ) -> Result<Page<TableInfo>, ApiError> {
        let filters = [("catalog_name", catalog), ("schema_name", schema)];
        self.list_page(TABLES_ROUTE, &filters, page).await
    }

    /// Lists every catalog the caller may see, following `next_page_token` to the end.
    pub async fn list_all_catalogs(
        &self,
        page_size: Option<u32>,
    ) -> Result<Vec<CatalogInfo>, ApiError> {
        self.list_every_page(CATALOGS_ROUTE, &[], page_size).await
    }

    /// Lists every schema of `catalog` the caller may see, following `next_page_token` to the end.
    pub async fn list_all_schemas(
        &self,
        catalog: &str,
        page_size: Option<u32>,
    ) -> Result<Vec<SchemaInfo>, ApiError> {
        self.list_every_page(SCHEMAS_ROUTE, &[("catalog_name", catalog)], page_size)
            .await
    }

    /// Fetches one table with its columns by its full name `catalog.schema.table`.
    pub async fn get_table(&self, full_name: &str) -> Result<TableInfo, ApiError> {
        let request =
            ApiRequest::get(TABLE_ROUTE).with_path(path_with_segment(TABLES_ROUTE, full_name));
        let response = self.send(&request).await?;
        decode_json(&request, &response)
    }

    async fn list_page<T: DeserializeOwned>(
        &self,
        route: &'static str,
        filters: &[(&'static str, &str)],
        page: &PageRequest,
    ) -> Result<Page<T>, ApiError> {
        let mut query: Vec<(&'static str, String)> = filters
            .iter()
            .map(|(key, value)| (*key, (*value).to_owned()))
            .collect();
        if let Some(max_results) = page.max_results {
            query.push(("max_results", max_results.to_string()));
        }
        if let Some(token) = &page.page_token {
            query.push(("page_token", token.clone()));
        }

        let request = ApiRequest::get(route).with_query(query);
        let response = self.send(&request).await?;
        let body: ListBody<T> = decode_json(&request, &response)?;
        Ok(Page {
            items: body.items,
            next_page_token: body.next_page_token.filter(|token| !token.is_empty()),
        })
    }

    async fn list_every_page<T: DeserializeOwned>(
        &self,
        route: &'static str,
        filters: &[(&'static str, &str)],
        page_size: Option<u32>,
    ) -> Result<Vec<T>, ApiError> {
        let mut items = Vec::new();
        let mut page = PageRequest {
            max_results: page_size,
            page_token: None,
        };
        for _ in 0..MAX_PAGES {
            let current: Page<T> = self.list_page(route, filters, &page).await?;
            items.extend(current.items);
            match current.next_page_token {
                Some(token) => page.page_token = Some(token),
                None => return Ok(items),
            }
        }
        Err(ApiError::without_response(
            crate::error::ErrorKind::Decode,
            format!("GET {route} returned more than {MAX_PAGES} pages"),
        ))
    }
}

/// Returns `base/segment` with `segment` percent-encoded as one path segment.
pub(crate) fn path_with_segment(base: &str, segment: &str) -> String {
    let mut url = url::Url::parse("http://workspace/").expect("the base URL is a valid constant");
    url.set_path(base);
    url.path_segments_mut()
        .expect("an http URL has path segments")
        .push(segment);
    url.path().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segment_is_encoded() {
        assert_eq!(
            path_with_segment(TABLES_ROUTE, "main.sales.orders"),
            "/api/2.1/unity-catalog/tables/main.sales.orders"
        );
        assert_eq!(
            path_with_segment(TABLES_ROUTE, "a/b c"),
            "/api/2.1/unity-catalog/tables/a%2Fb%20c"
        );
    }

    #[test]
    fn list_body_accepts_each_collection_name() {
        let catalogs: ListBody<CatalogInfo> =
            serde_json::from_str(r#"{"catalogs":[{"name":"main"}],"next_page_token":"t"}"#)
                .expect("catalogs");
        assert_eq!(catalogs.items.len(), 1);
        let empty: ListBody<SchemaInfo> =
            serde_json::from_str(r#"{"next_page_token":"t"}"#).expect("empty page");
        assert!(empty.items.is_empty());
        assert_eq!(empty.next_page_token.as_deref(), Some("t"));
    }
}

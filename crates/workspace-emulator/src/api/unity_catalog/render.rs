//! JSON of `CatalogInfo`, `SchemaInfo`, `TableInfo` and list responses.
//!
//! Like proto3 JSON, absent optional fields are left out rather than sent as `null`.

use serde_json::{Map, Value, json};
use sha2::{Digest as _, Sha256};

use super::paging::Page;
use crate::fixture::{CatalogFixture, ColumnFixture, SchemaFixture, TableFixture};

/// `created_at` and `updated_at` of every object, in epoch milliseconds (2024-01-01T00:00:00Z).
const CREATED_AT_MS: i64 = 1_704_067_200_000;

pub(crate) fn catalog_info(catalog: &CatalogFixture, metastore_id: &str) -> Value {
    let mut info = json!({
        "name": catalog.name,
        "full_name": catalog.name,
        "owner": catalog.owner,
        "catalog_type": "MANAGED_CATALOG",
        "isolation_mode": "OPEN",
        "metastore_id": metastore_id,
        "created_at": CREATED_AT_MS,
        "created_by": catalog.owner,
        "updated_at": CREATED_AT_MS,
        "updated_by": catalog.owner,
    });
    insert_optional(&mut info, "comment", catalog.comment.as_deref());
    info
}

pub(crate) fn schema_info(
    catalog: &CatalogFixture,
    schema: &SchemaFixture,
    metastore_id: &str,
) -> Value {
    let full_name = format!("{}.{}", catalog.name, schema.name);
    let owner = schema.owner_or(&catalog.owner);
    let mut info = json!({
        "name": schema.name,
        "catalog_name": catalog.name,
        "full_name": full_name,
        "owner": owner,
        "catalog_type": "MANAGED_CATALOG",
        "metastore_id": metastore_id,
        "schema_id": stable_uuid("schema", &full_name),
        "created_at": CREATED_AT_MS,
        "created_by": owner,
        "updated_at": CREATED_AT_MS,
        "updated_by": owner,
    });
    insert_optional(&mut info, "comment", schema.comment.as_deref());
    info
}

pub(crate) fn table_info(
    catalog: &CatalogFixture,
    schema: &SchemaFixture,
    table: &TableFixture,
    metastore_id: &str,
    with_columns: bool,
) -> Value {
    let full_name = format!("{}.{}.{}", catalog.name, schema.name, table.name);
    let owner = table.owner_or(schema.owner_or(&catalog.owner));
    let mut info = json!({
        "name": table.name,
        "catalog_name": catalog.name,
        "schema_name": schema.name,
        "full_name": full_name,
        "table_type": table.table_type,
        "owner": owner,
        "metastore_id": metastore_id,
        "table_id": stable_uuid("table", &full_name),
        "created_at": CREATED_AT_MS,
        "created_by": owner,
        "updated_at": CREATED_AT_MS,
        "updated_by": owner,
    });
    insert_optional(
        &mut info,
        "data_source_format",
        table.effective_data_source_format(),
    );
    insert_optional(&mut info, "comment", table.comment.as_deref());
    insert_optional(
        &mut info,
        "view_definition",
        table.view_definition.as_deref(),
    );
    if with_columns {
        let columns: Vec<Value> = table
            .columns
            .iter()
            .enumerate()
            .map(|(index, column)| column_info(column, index))
            .collect();
        info["columns"] = Value::Array(columns);
    }
    info
}

fn column_info(column: &ColumnFixture, index: usize) -> Value {
    let mut info = json!({
        "name": column.name,
        "type_text": column.type_text,
        "type_name": column.type_name,
        "position": column.position_or(index),
        "nullable": column.nullable,
    });
    insert_optional(&mut info, "comment", column.comment.as_deref());
    info
}

/// Builds `{"<key>": [...], "next_page_token": "…"}`. An empty page leaves out the list key and
/// the last page leaves out `next_page_token`. NOTE: whether the platform leaves out the key of
/// an empty list is not documented; the SDKs accept both.
pub(crate) fn list_body(key: &str, page: Page<Value>) -> Value {
    let mut body = Map::new();
    if !page.items.is_empty() {
        body.insert(key.to_owned(), Value::Array(page.items));
    }
    if let Some(token) = page.next_page_token {
        body.insert("next_page_token".to_owned(), Value::String(token));
    }
    Value::Object(body)
}

fn insert_optional(info: &mut Value, key: &str, value: Option<&str>) {
    if let Some(value) = value {
        info[key] = Value::String(value.to_owned());
    }
}

/// Derives a UUID from an object's kind and full name, so ids stay the same across runs.
fn stable_uuid(kind: &str, full_name: &str) -> String {
    let digest = Sha256::digest(format!("{kind}:{full_name}").as_bytes());
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes)
        .into_uuid()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stable_uuid_depends_only_on_kind_and_name() {
        assert_eq!(stable_uuid("table", "a.b.c"), stable_uuid("table", "a.b.c"));
        assert_ne!(
            stable_uuid("table", "a.b.c"),
            stable_uuid("schema", "a.b.c")
        );
        assert!(uuid::Uuid::parse_str(&stable_uuid("table", "a.b.c")).is_ok());
    }

    #[test]
    fn empty_last_page_is_an_empty_object() {
        let body = list_body(
            "catalogs",
            Page {
                items: Vec::new(),
                next_page_token: None,
            },
        );
        assert_eq!(body, json!({}));
    }
}

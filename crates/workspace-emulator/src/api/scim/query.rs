//! SCIM query parameters: the `userName eq` filter and attribute selection.

use serde::Deserialize;
use serde_json::Value;

use crate::principal::Principal;

/// Query parameters of the SCIM user endpoints. Other parameters are ignored.
#[derive(Debug, Deserialize)]
pub(crate) struct ScimQuery {
    pub(crate) filter: Option<String>,
    /// Comma-separated attributes to return (`id` and `schemas` are always returned).
    attributes: Option<String>,
    /// Comma-separated attributes to leave out.
    #[serde(rename = "excludedAttributes")]
    excluded_attributes: Option<String>,
    /// 1-based index of the first result.
    #[serde(rename = "startIndex")]
    pub(crate) start_index: Option<u64>,
    /// Maximum number of results.
    pub(crate) count: Option<u64>,
}

/// Attributes returned regardless of `attributes` and `excludedAttributes` (RFC 7643 "returned:
/// always").
const ALWAYS_RETURNED: [&str; 2] = ["id", "schemas"];

impl ScimQuery {
    /// Keeps or drops top-level attributes of a resource, so `emails.value` selects all of
    /// `emails`. Names compare case-insensitively, as in SCIM.
    pub(crate) fn select_attributes(&self, mut resource: Value) -> Value {
        let Some(object) = resource.as_object_mut() else {
            return resource;
        };
        let names = |list: &str| -> Vec<String> {
            list.split(',')
                .map(|name| {
                    name.trim()
                        .split('.')
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase()
                })
                .filter(|name| !name.is_empty())
                .collect()
        };
        let always = |key: &str| ALWAYS_RETURNED.iter().any(|a| a.eq_ignore_ascii_case(key));
        if let Some(wanted) = self.attributes.as_deref().map(names) {
            object.retain(|key, _| always(key) || wanted.contains(&key.to_ascii_lowercase()));
        }
        if let Some(excluded) = self.excluded_attributes.as_deref().map(names) {
            object.retain(|key, _| always(key) || !excluded.contains(&key.to_ascii_lowercase()));
        }
        resource
    }
}

/// The only filter supported: `userName eq "<value>"`.
#[derive(Debug)]
pub(crate) struct UserNameFilter {
    user_name: String,
}

impl UserNameFilter {
    /// Parses the filter, whose value is a JSON string literal as SCIM specifies.
    pub(crate) fn parse(filter: &str) -> Result<Self, String> {
        let unsupported = || {
            format!("Unsupported filter {filter:?}; the emulator supports userName eq \"<value>\"")
        };
        let (attribute, rest) = filter
            .trim()
            .split_once(char::is_whitespace)
            .ok_or_else(unsupported)?;
        let (operator, value) = rest
            .trim_start()
            .split_once(char::is_whitespace)
            .ok_or_else(unsupported)?;
        if !attribute.eq_ignore_ascii_case("userName") || !operator.eq_ignore_ascii_case("eq") {
            return Err(unsupported());
        }
        let user_name: String = serde_json::from_str(value.trim()).map_err(|_| unsupported())?;
        Ok(Self { user_name })
    }

    /// `userName` is case-insensitive in SCIM.
    pub(crate) fn matches(&self, principal: &Principal) -> bool {
        principal.has_user_name(&self.user_name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filter_parses_quoted_value() {
        let filter = UserNameFilter::parse(r#"userName eq "a\"b@example.com""#).expect("valid");
        assert_eq!(filter.user_name, "a\"b@example.com");
        let filter = UserNameFilter::parse(r#"  USERNAME  EQ  "x@y"  "#).expect("valid");
        assert_eq!(filter.user_name, "x@y");
    }

    #[test]
    fn other_filters_are_rejected() {
        for filter in [
            r#"displayName eq "x""#,
            r#"userName co "x""#,
            "userName eq x",
            r#"userName eq "x" and active eq true"#,
            "userName",
        ] {
            assert!(UserNameFilter::parse(filter).is_err(), "accepted {filter}");
        }
    }

    #[test]
    fn attribute_selection_keeps_id_and_schemas() {
        let query = ScimQuery {
            filter: None,
            attributes: Some("userName,emails.value".to_owned()),
            excluded_attributes: None,
            start_index: None,
            count: None,
        };
        let selected = query.select_attributes(serde_json::json!({
            "id": "1", "schemas": [], "userName": "u", "emails": [], "active": true
        }));
        let mut keys: Vec<&String> = selected.as_object().expect("object").keys().collect();
        keys.sort();
        assert_eq!(keys, ["emails", "id", "schemas", "userName"]);
    }
}

//! Rejects query parameters that an API operation does not declare in the OpenAPI document.
//!
//! Routes that read a query string already reject unknown names through [`super::query::ApiQuery`]
//! and `deny_unknown_fields`. Routes that read none would otherwise ignore any query string. This
//! layer takes the rule from the document, so the document and the routes cannot drift apart.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use utoipa::openapi::path::{Operation, ParameterIn, PathItem};
use utoipa::openapi::{OpenApi, RefOr};

use crate::error::{AppError, ErrorCode};

/// Maximum length, in characters, of a parameter name quoted back in an error message.
const MAX_QUOTED_NAME_CHARS: usize = 64;

/// Health and readiness probes, which load balancers and monitors sometimes call with a
/// cache-busting parameter: their query strings are not checked.
const PROBE_PATHS: [&str; 3] = ["/health", "/api/health", "/api/ready"];

/// The query parameter names of each documented operation, keyed by path template, then method.
#[derive(Debug, Clone, Default)]
pub struct DeclaredQueryParameters {
    by_operation: Arc<HashMap<String, HashMap<Method, BTreeSet<String>>>>,
}

impl DeclaredQueryParameters {
    /// Collects the `in: query` parameters of every operation in `document`.
    pub fn from_document(document: &OpenApi) -> Self {
        let mut by_operation = HashMap::new();
        for (path, item) in &document.paths.paths {
            if PROBE_PATHS.contains(&path.as_str()) {
                continue;
            }
            let by_method = operations(item)
                .map(|(method, operation)| (method, query_names(operation)))
                .collect();
            by_operation.insert(path.clone(), by_method);
        }
        Self {
            by_operation: Arc::new(by_operation),
        }
    }

    /// Returns the parameter names the operation declares, or `None` when the operation is not
    /// checked (a probe, or not in the document, such as static files and `/docs`).
    fn of(&self, method: &Method, path: &str) -> Option<&BTreeSet<String>> {
        self.by_operation.get(path)?.get(method)
    }

    /// Returns the first name in `query` that the operation does not declare, or `None` when all
    /// are declared or the operation is not checked.
    fn first_undeclared(&self, method: &Method, path: &str, query: &str) -> Option<String> {
        let declared = self.of(method, path)?;
        url::form_urlencoded::parse(query.as_bytes())
            .map(|(name, _)| name)
            .filter(|name| !name.is_empty())
            .find(|name| !declared.contains(name.as_ref()))
            .map(std::borrow::Cow::into_owned)
    }

    /// Describes what the operation accepts, for the error message.
    fn accepted(&self, method: &Method, path: &str) -> String {
        match self.of(method, path) {
            Some(names) if !names.is_empty() => {
                let names: Vec<&str> = names.iter().map(String::as_str).collect();
                format!("accepts only {}", names.join(", "))
            }
            _ => "accepts no query parameters".to_owned(),
        }
    }
}

/// Middleware: returns 400 `VALIDATION_ERROR` when the query string names a parameter that the
/// matched API operation does not declare. Requests that matched no documented operation pass.
pub async fn layer(
    State(declared): State<DeclaredQueryParameters>,
    matched: Option<MatchedPath>,
    request: Request,
    next: Next,
) -> Response {
    let (Some(matched), Some(query)) = (matched, request.uri().query()) else {
        return next.run(request).await;
    };
    let method = request.method();
    let path = matched.as_str();

    let Some(name) = declared.first_undeclared(method, path, query) else {
        return next.run(request).await;
    };
    let quoted: String = name.chars().take(MAX_QUOTED_NAME_CHARS).collect();
    AppError::new(
        StatusCode::BAD_REQUEST,
        ErrorCode::ValidationError,
        format!(
            "Unknown query parameter {quoted:?}: {method} {path} {}",
            declared.accepted(method, path)
        ),
    )
    .into_response()
}

fn operations(item: &PathItem) -> impl Iterator<Item = (Method, &Operation)> {
    [
        (Method::GET, &item.get),
        (Method::PUT, &item.put),
        (Method::POST, &item.post),
        (Method::DELETE, &item.delete),
        (Method::PATCH, &item.patch),
        (Method::HEAD, &item.head),
        (Method::OPTIONS, &item.options),
    ]
    .into_iter()
    .filter_map(|(method, operation)| operation.as_ref().map(|operation| (method, operation)))
}

fn query_names(operation: &Operation) -> BTreeSet<String> {
    operation
        .parameters
        .iter()
        .flatten()
        .filter_map(|parameter| match parameter {
            RefOr::T(parameter) if parameter.parameter_in == ParameterIn::Query => {
                Some(parameter.name.clone())
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::DeclaredQueryParameters;
    use axum::http::Method;

    fn declared() -> DeclaredQueryParameters {
        DeclaredQueryParameters::from_document(&crate::http::openapi::document())
    }

    #[test]
    fn names_from_the_document_are_declared() {
        let declared = declared();
        let logs = "/api/model-serving/logs";

        assert_eq!(
            declared.first_undeclared(&Method::GET, logs, "limit=5&offset=0"),
            None
        );
        assert_eq!(
            declared.first_undeclared(&Method::GET, logs, "limit=5&extra=1"),
            Some("extra".to_owned())
        );
    }

    #[test]
    fn route_without_parameters_rejects_any_name() {
        let declared = declared();

        assert_eq!(
            declared.first_undeclared(&Method::GET, "/api/preferences", "x=1"),
            Some("x".to_owned())
        );
        assert_eq!(
            declared.first_undeclared(&Method::GET, "/api/preferences", ""),
            None
        );
        assert_eq!(
            declared.first_undeclared(&Method::GET, "/api/preferences", "&&"),
            None
        );
    }

    #[test]
    fn probes_and_undocumented_paths_are_not_checked() {
        let declared = declared();

        assert_eq!(
            declared.first_undeclared(&Method::GET, "/docs/{*rest}", "url=x"),
            None
        );
        assert_eq!(
            declared.first_undeclared(&Method::GET, "/api/ready", "ts=1"),
            None
        );
    }

    #[test]
    fn percent_encoded_names_are_decoded() {
        let declared = declared();
        let logs = "/api/model-serving/logs";

        assert_eq!(
            declared.first_undeclared(&Method::GET, logs, "%6Cimit=5"),
            None
        );
    }
}

//! Discovery of the workspace's OAuth token endpoint.
//!
//! The order follows the Databricks SDKs:
//! 1. `GET /.well-known/databricks-config` → `oidc_endpoint`, then
//!    `GET <oidc_endpoint>/.well-known/oauth-authorization-server` → `token_endpoint`;
//! 2. otherwise `GET /oidc/.well-known/oauth-authorization-server` → `token_endpoint`;
//! 3. otherwise `/oidc/v1/token`.

use http::header::ACCEPT;
use serde_json::Value;
use url::Url;

use crate::host::check_scheme;
use crate::transport;
use crate::workspace::Workspace;

const HOST_METADATA_PATH: &str = "/.well-known/databricks-config";
const AUTHORIZATION_SERVER_SUFFIX: &str = "/.well-known/oauth-authorization-server";
const WORKSPACE_OIDC_DISCOVERY_PATH: &str = "/oidc/.well-known/oauth-authorization-server";
const DEFAULT_TOKEN_PATH: &str = "/oidc/v1/token";

/// The token endpoint found, and whether it may be cached.
#[derive(Debug)]
pub(crate) struct Discovered {
    pub(crate) token_endpoint: Url,
    /// False when a discovery request got no response (connect error, timeout), so the
    /// fallback is used once and discovery runs again next time.
    pub(crate) cacheable: bool,
}

enum Step {
    Found(Url),
    /// The workspace responded without a usable endpoint.
    Absent,
    /// No response arrived.
    Failed,
}

/// Finds the token endpoint of `workspace`. Never fails: the last fallback needs no request.
pub(crate) async fn discover_token_endpoint(workspace: &Workspace) -> Discovered {
    let mut answered = true;

    match discover_through_host_metadata(workspace).await {
        Step::Found(token_endpoint) => return found(token_endpoint),
        Step::Absent => {}
        Step::Failed => answered = false,
    }
    let workspace_discovery = workspace.url(WORKSPACE_OIDC_DISCOVERY_PATH);
    match fetch_token_endpoint(workspace, workspace_discovery).await {
        Step::Found(token_endpoint) => return found(token_endpoint),
        Step::Absent => {}
        Step::Failed => answered = false,
    }

    let token_endpoint = workspace.url(DEFAULT_TOKEN_PATH);
    tracing::debug!(token_endpoint = %token_endpoint, "OAuth discovery found nothing; using the default token endpoint");
    Discovered {
        token_endpoint,
        cacheable: answered,
    }
}

fn found(token_endpoint: Url) -> Discovered {
    tracing::debug!(token_endpoint = %token_endpoint, "discovered the OAuth token endpoint");
    Discovered {
        token_endpoint,
        cacheable: true,
    }
}

async fn discover_through_host_metadata(workspace: &Workspace) -> Step {
    let metadata = match get_json(workspace, workspace.url(HOST_METADATA_PATH)).await {
        Ok(metadata) => metadata,
        Err(step) => return step,
    };
    let Some(oidc_endpoint) = metadata.get("oidc_endpoint").and_then(Value::as_str) else {
        return Step::Absent;
    };
    let discovery = format!(
        "{}{AUTHORIZATION_SERVER_SUFFIX}",
        oidc_endpoint.trim().trim_end_matches('/')
    );
    match parse_endpoint(&discovery) {
        Some(discovery_url) => fetch_token_endpoint(workspace, discovery_url).await,
        None => Step::Absent,
    }
}

async fn fetch_token_endpoint(workspace: &Workspace, discovery_url: Url) -> Step {
    let document = match get_json(workspace, discovery_url).await {
        Ok(document) => document,
        Err(step) => return step,
    };
    document
        .get("token_endpoint")
        .and_then(Value::as_str)
        .and_then(parse_endpoint)
        .map_or(Step::Absent, Step::Found)
}

/// Fetches a JSON object without credentials: discovery documents are public.
async fn get_json(workspace: &Workspace, url: Url) -> Result<serde_json::Map<String, Value>, Step> {
    let context = format!("GET {}", url.path());
    let request = workspace.http().get(url).header(ACCEPT, "application/json");
    let response = match transport::execute(request, &context).await {
        Ok(response) => response,
        Err(error) if error.status.is_some() => {
            tracing::debug!(request = %context, error = %error, "OAuth discovery document not available");
            return Err(Step::Absent);
        }
        Err(error) => {
            tracing::warn!(request = %context, error = %error, "OAuth discovery request failed");
            return Err(Step::Failed);
        }
    };
    if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&response.body) {
        return Ok(object);
    }
    tracing::debug!(request = %context, "OAuth discovery document is not a JSON object");
    Err(Step::Absent)
}

/// Accepts an endpoint URL only over https, or http on a loopback host, because the client
/// secret is sent to it.
fn parse_endpoint(text: &str) -> Option<Url> {
    let url = Url::parse(text.trim()).ok()?;
    match check_scheme(&url, text) {
        Ok(()) => Some(url),
        Err(error) => {
            tracing::warn!(endpoint = text, error = %error, "ignoring a discovered OAuth endpoint");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_endpoint_accepts_https_and_loopback_http() {
        for text in [
            "https://adb-1.azuredatabricks.net/oidc/v1/token",
            "http://127.0.0.1:8080/oidc/v1/token",
            "http://localhost:8080/oidc/v1/token",
        ] {
            assert!(parse_endpoint(text).is_some(), "{text}");
        }
    }

    #[test]
    fn parse_endpoint_rejects_insecure_or_invalid() {
        for text in [
            "http://adb-1.azuredatabricks.net/oidc/v1/token",
            "ftp://127.0.0.1/token",
            "/oidc/v1/token",
            "not a url",
        ] {
            assert!(parse_endpoint(text).is_none(), "{text}");
        }
    }
}

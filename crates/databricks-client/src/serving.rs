//! Model Serving: endpoint list and details, and invocations.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::client::{WorkspaceClient, decode_json};
use crate::error::ApiError;
use crate::request::ApiRequest;
use crate::unity_catalog::path_with_segment;

const ENDPOINTS_ROUTE: &str = "/api/2.0/serving-endpoints";
const ENDPOINT_ROUTE: &str = "/api/2.0/serving-endpoints/{name}";
const INVOCATIONS_ROUTE: &str = "/serving-endpoints/{name}/invocations";

/// The response header naming the served model that handled an invocation.
const SERVED_MODEL_HEADER: &str = "served-model-name";

/// A serving endpoint, with the fields the app shows. Other fields of the response are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServingEndpoint {
    pub name: String,
    #[serde(default)]
    pub creator: Option<String>,
    /// Milliseconds since the Unix epoch.
    #[serde(default)]
    pub creation_timestamp: Option<i64>,
    #[serde(default)]
    pub state: EndpointState,
    /// The task, such as `llm/v1/chat`; `None` for custom models.
    #[serde(default)]
    pub task: Option<String>,
    /// The caller's permission (`CAN_MANAGE`, `CAN_QUERY` or `CAN_VIEW`); only the single-endpoint
    /// call returns it.
    #[serde(default)]
    pub permission_level: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
}

/// Readiness of an endpoint.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EndpointState {
    /// `READY` or `NOT_READY`.
    #[serde(default)]
    pub ready: Option<String>,
    /// `NOT_UPDATING`, `IN_PROGRESS`, `UPDATE_FAILED` or `UPDATE_CANCELED`.
    #[serde(default, alias = "update_state")]
    pub config_update: Option<String>,
}

/// The result of an invocation: the response body as the model returned it.
#[derive(Debug, Clone, PartialEq)]
pub struct Invocation {
    pub body: serde_json::Value,
    /// The `served-model-name` response header, when present.
    pub served_model_name: Option<String>,
}

#[derive(Deserialize)]
struct EndpointList {
    #[serde(default)]
    endpoints: Vec<ServingEndpoint>,
}

impl WorkspaceClient {
    /// Lists the serving endpoints the caller may see.
    pub async fn list_serving_endpoints(&self) -> Result<Vec<ServingEndpoint>, ApiError> {
        let request = ApiRequest::get(ENDPOINTS_ROUTE);
        let response = self.send(&request).await?;
        let list: EndpointList = decode_json(&request, &response)?;
        Ok(list.endpoints)
    }

    /// Fetches one serving endpoint, with the caller's `permission_level`.
    pub async fn get_serving_endpoint(&self, name: &str) -> Result<ServingEndpoint, ApiError> {
        let request =
            ApiRequest::get(ENDPOINT_ROUTE).with_path(path_with_segment(ENDPOINTS_ROUTE, name));
        let response = self.send(&request).await?;
        decode_json(&request, &response)
    }

    /// Invokes endpoint `name` with `body`, waiting at most `timeout`.
    ///
    /// An invocation may have run once any byte of it reached the workspace, so it is never sent
    /// again after a timeout, a 5xx or a lost connection; only a connection that could not be made
    /// is retried.
    pub async fn invoke_serving_endpoint(
        &self,
        name: &str,
        body: serde_json::Value,
        timeout: Duration,
    ) -> Result<Invocation, ApiError> {
        let path = format!(
            "{}/invocations",
            path_with_segment("/serving-endpoints", name)
        );
        let request = ApiRequest::post_json(INVOCATIONS_ROUTE, body)
            .with_path(path)
            .not_idempotent()
            .with_timeout(timeout);
        let response = self.send(&request).await?;

        let served_model_name = response
            .headers
            .get(SERVED_MODEL_HEADER)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        Ok(Invocation {
            body: decode_json(&request, &response)?,
            served_model_name,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_parses_platform_shape() {
        let endpoint: ServingEndpoint = serde_json::from_str(
            r#"{"name":"chat","creator":"a@example.com","creation_timestamp":1700000000000,
                "state":{"ready":"READY","config_update":"NOT_UPDATING"},"task":"llm/v1/chat",
                "permission_level":"CAN_QUERY","config":{"served_entities":[]}}"#,
        )
        .expect("endpoint");
        assert_eq!(endpoint.state.ready.as_deref(), Some("READY"));
        assert_eq!(endpoint.task.as_deref(), Some("llm/v1/chat"));
        assert_eq!(endpoint.permission_level.as_deref(), Some("CAN_QUERY"));
    }

    #[test]
    fn legacy_update_state_key_is_read() {
        let endpoint: ServingEndpoint = serde_json::from_str(
            r#"{"name":"x","state":{"ready":"NOT_READY","update_state":"IN_PROGRESS"}}"#,
        )
        .expect("endpoint");
        assert_eq!(endpoint.state.config_update.as_deref(), Some("IN_PROGRESS"));
        assert_eq!(endpoint.task, None);
    }
}

//! JSON of `ServingEndpoint` (list items) and `ServingEndpointDetailed` (get).

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

use crate::fixture::{PermissionLevel, ReadyState, ServedEntityFixture, ServingEndpointFixture};

/// `creation_timestamp` and `last_updated_timestamp` of every endpoint, in epoch milliseconds
/// (2024-01-01T00:00:00Z).
const CREATED_AT_MS: i64 = 1_704_067_200_000;

/// Renders an endpoint as `GET /api/2.0/serving-endpoints` lists it.
pub(crate) fn endpoint_summary(endpoint: &ServingEndpointFixture) -> Value {
    let served_entities: Vec<Value> = endpoint
        .served_entities
        .iter()
        .map(entity_summary)
        .collect();
    let mut body = common_fields(endpoint);
    body["config"] = json!({"served_entities": served_entities});
    body
}

/// Renders an endpoint as `GET /api/2.0/serving-endpoints/{name}` returns it, with the caller's
/// permission level.
pub(crate) fn endpoint_detail(endpoint: &ServingEndpointFixture, level: PermissionLevel) -> Value {
    let deployment = match endpoint.state {
        ReadyState::Ready => json!({
            "deployment": "DEPLOYMENT_READY",
            "deployment_state_message": "",
        }),
        ReadyState::NotReady => json!({
            "deployment": "DEPLOYMENT_FAILED",
            "deployment_state_message": "The served entity failed to deploy.",
        }),
    };
    let served_entities: Vec<Value> = endpoint
        .served_entities
        .iter()
        .map(|entity| {
            let mut detail = entity_summary(entity);
            detail["state"] = deployment.clone();
            detail["workload_size"] = json!("Small");
            detail["scale_to_zero_enabled"] = json!(true);
            detail["creator"] = json!(endpoint.creator);
            detail["creation_timestamp"] = json!(CREATED_AT_MS);
            detail
        })
        .collect();
    // The first served entity takes all traffic, so it is the one that serves invocations.
    let routes: Vec<Value> = endpoint
        .served_entities
        .iter()
        .enumerate()
        .map(|(index, entity)| {
            let percentage = if index == 0 { 100 } else { 0 };
            json!({"served_entity_name": entity.name, "traffic_percentage": percentage})
        })
        .collect();
    let mut body = common_fields(endpoint);
    body["config"] = json!({
        "config_version": 1,
        "served_entities": served_entities,
        "traffic_config": {"routes": routes},
    });
    body["permission_level"] = json!(level.as_str());
    body["route_optimized"] = json!(false);
    body
}

fn common_fields(endpoint: &ServingEndpointFixture) -> Value {
    let config_update = match endpoint.state {
        ReadyState::Ready => "NOT_UPDATING",
        ReadyState::NotReady => "UPDATE_FAILED",
    };
    let mut body = json!({
        "name": endpoint.name,
        "id": endpoint_id(&endpoint.name),
        "creator": endpoint.creator,
        "creation_timestamp": CREATED_AT_MS,
        "last_updated_timestamp": CREATED_AT_MS,
        "state": {"ready": endpoint.state.as_str(), "config_update": config_update},
    });
    if let Some(task) = &endpoint.task {
        body["task"] = json!(task);
    }
    if let Some(description) = &endpoint.description {
        body["description"] = json!(description);
    }
    if !endpoint.tags.is_empty() {
        let tags: Vec<Value> = endpoint
            .tags
            .iter()
            .map(|(key, value)| json!({"key": key, "value": value}))
            .collect();
        body["tags"] = Value::Array(tags);
    }
    body
}

fn entity_summary(entity: &ServedEntityFixture) -> Value {
    let mut summary = json!({"name": entity.name, "entity_name": entity.entity_name});
    if let Some(version) = &entity.entity_version {
        summary["entity_version"] = json!(version);
    }
    summary
}

/// Derives a 32-hex-digit id from the endpoint name, so it stays the same across runs.
fn endpoint_id(name: &str) -> String {
    let digest = Sha256::digest(format!("serving-endpoint:{name}").as_bytes());
    let mut bytes = [0_u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Uuid::from_bytes(bytes).simple().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoint_id_is_32_hex_digits_and_stable() {
        let id = endpoint_id("echo");
        assert_eq!(id.len(), 32);
        assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(id, endpoint_id("echo"));
        assert_ne!(id, endpoint_id("chat"));
    }
}

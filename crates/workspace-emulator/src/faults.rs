//! Injected faults: what a test asked for, and the queue that hands them out in order.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

/// Maximum `delay_ms` (ten minutes). Use `hang` for longer waits.
const MAX_DELAY_MS: u64 = 600_000;

/// Body of `POST /__emulator/faults`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultRequest {
    path_prefix: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    status: Option<u16>,
    #[serde(default)]
    body: Option<serde_json::Value>,
    #[serde(default)]
    headers: Option<BTreeMap<String, String>>,
    #[serde(default)]
    delay_ms: Option<u64>,
    #[serde(default)]
    hang: bool,
    #[serde(default)]
    drop_connection: bool,
    #[serde(default)]
    times: Times,
}

/// How many matching calls a fault applies to: absent means once, JSON `null` means until
/// cleared, a number means that many.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Times {
    Count(u32),
    UntilCleared,
}

impl Default for Times {
    fn default() -> Self {
        Times::Count(1)
    }
}

impl<'de> Deserialize<'de> for Times {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(Option::<u32>::deserialize(deserializer)?.map_or(Times::UntilCleared, Times::Count))
    }
}

/// Outcome of a faulted call after the optional delay.
#[derive(Debug, Clone)]
pub(crate) enum FaultOutcome {
    /// The normal response (a delay-only fault).
    Proceed,
    Respond {
        status: StatusCode,
        body: Option<serde_json::Value>,
        headers: HeaderMap,
    },
    /// Accept the request and never respond.
    Hang,
    /// Close the connection without a response.
    DropConnection,
}

/// A fault taken from the queue for one call.
#[derive(Debug, Clone)]
pub(crate) struct FaultAction {
    pub(crate) id: Uuid,
    pub(crate) delay: Option<Duration>,
    pub(crate) outcome: FaultOutcome,
}

#[derive(Debug)]
struct QueuedFault {
    action: FaultAction,
    path_prefix: String,
    method: Option<Method>,
    /// `None` until cleared.
    remaining: Option<u32>,
}

/// A queued fault as `GET /__emulator/faults` lists it.
#[derive(Debug, Serialize)]
pub(crate) struct FaultSummary {
    id: Uuid,
    path_prefix: String,
    method: Option<String>,
    remaining: Option<u32>,
}

/// Faults in the order they were added. A call gets the first one that matches it.
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    faults: Vec<QueuedFault>,
}

impl FaultQueue {
    /// Validates a request, appends it and returns the new fault's id.
    pub(crate) fn push(&mut self, request: FaultRequest) -> Result<Uuid, String> {
        let fault = QueuedFault::try_from(request)?;
        let id = fault.action.id;
        self.faults.push(fault);
        Ok(id)
    }

    /// Takes one use of the first fault matching a call, removing the fault when it is used up.
    pub(crate) fn take(&mut self, method: &Method, path: &str) -> Option<FaultAction> {
        let index = self.faults.iter().position(|fault| {
            path.starts_with(&fault.path_prefix)
                && fault.method.as_ref().is_none_or(|wanted| wanted == method)
        })?;
        let fault = &mut self.faults[index];
        let action = fault.action.clone();
        if let Some(remaining) = &mut fault.remaining {
            *remaining -= 1;
            if *remaining == 0 {
                self.faults.remove(index);
            }
        }
        Some(action)
    }

    pub(crate) fn summaries(&self) -> Vec<FaultSummary> {
        self.faults
            .iter()
            .map(|fault| FaultSummary {
                id: fault.action.id,
                path_prefix: fault.path_prefix.clone(),
                method: fault.method.as_ref().map(ToString::to_string),
                remaining: fault.remaining,
            })
            .collect()
    }

    pub(crate) fn clear(&mut self) {
        self.faults.clear();
    }
}

impl TryFrom<FaultRequest> for QueuedFault {
    type Error = String;

    fn try_from(request: FaultRequest) -> Result<Self, String> {
        if !request.path_prefix.starts_with('/') {
            return Err(format!(
                "path_prefix {:?} must start with '/'",
                request.path_prefix
            ));
        }
        if request.path_prefix.starts_with("/__emulator") {
            return Err("faults cannot target the control plane (/__emulator)".to_owned());
        }
        let method = request
            .method
            .as_deref()
            .map(|name| {
                Method::from_bytes(name.to_ascii_uppercase().as_bytes())
                    .map_err(|_| format!("method {name:?} is not a valid HTTP method"))
            })
            .transpose()?;
        let remaining = match request.times {
            Times::Count(0) => return Err("times must be at least 1, or null".to_owned()),
            Times::Count(times) => Some(times),
            Times::UntilCleared => None,
        };
        let delay = match request.delay_ms {
            Some(ms) if ms > MAX_DELAY_MS => {
                return Err(format!(
                    "delay_ms {ms} is above {MAX_DELAY_MS}; use hang for longer"
                ));
            }
            delay_ms => delay_ms.map(Duration::from_millis),
        };
        let outcome = outcome_of(&request, delay.is_some())?;
        Ok(Self {
            action: FaultAction {
                id: Uuid::new_v4(),
                delay,
                outcome,
            },
            path_prefix: request.path_prefix,
            method,
            remaining,
        })
    }
}

fn outcome_of(request: &FaultRequest, has_delay: bool) -> Result<FaultOutcome, String> {
    let kinds = [
        request.status.is_some(),
        request.hang,
        request.drop_connection,
    ];
    if kinds.iter().filter(|set| **set).count() > 1 {
        return Err("set only one of status, hang and drop_connection".to_owned());
    }
    let has_response_parts = request.body.is_some() || request.headers.is_some();
    if has_response_parts && request.status.is_none() {
        return Err("body and headers need a status".to_owned());
    }
    if let Some(code) = request.status {
        let status = StatusCode::from_u16(code)
            .ok()
            .filter(|status| (200..=599).contains(&status.as_u16()))
            .ok_or_else(|| format!("status {code} must be between 200 and 599"))?;
        let headers = header_map(request.headers.as_ref())?;
        return Ok(FaultOutcome::Respond {
            status,
            body: request.body.clone(),
            headers,
        });
    }
    if request.hang {
        return Ok(FaultOutcome::Hang);
    }
    if request.drop_connection {
        return Ok(FaultOutcome::DropConnection);
    }
    if has_delay {
        return Ok(FaultOutcome::Proceed);
    }
    Err("a fault needs status, hang, drop_connection or delay_ms".to_owned())
}

fn header_map(headers: Option<&BTreeMap<String, String>>) -> Result<HeaderMap, String> {
    let mut map = HeaderMap::new();
    for (name, value) in headers.into_iter().flatten() {
        let header_name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("header name {name:?} is invalid"))?;
        let header_value = HeaderValue::from_str(value)
            .map_err(|_| format!("value of header {name:?} is invalid"))?;
        map.append(header_name, header_value);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: serde_json::Value) -> FaultRequest {
        serde_json::from_value(json).expect("well-formed fault request")
    }

    fn status_of(action: Option<FaultAction>) -> Option<u16> {
        match action?.outcome {
            FaultOutcome::Respond { status, .. } => Some(status.as_u16()),
            _ => None,
        }
    }

    #[test]
    fn faults_apply_in_order_then_run_out() {
        let mut queue = FaultQueue::default();
        for status in [503, 429] {
            queue
                .push(request(
                    serde_json::json!({"path_prefix": "/api", "status": status}),
                ))
                .expect("valid fault");
        }
        assert_eq!(status_of(queue.take(&Method::GET, "/api/x")), Some(503));
        assert_eq!(status_of(queue.take(&Method::GET, "/api/x")), Some(429));
        assert!(queue.take(&Method::GET, "/api/x").is_none());
    }

    #[test]
    fn null_times_lasts_until_cleared() {
        let mut queue = FaultQueue::default();
        queue
            .push(request(
                serde_json::json!({"path_prefix": "/", "status": 500, "times": null}),
            ))
            .expect("valid fault");
        for _ in 0..5 {
            assert_eq!(status_of(queue.take(&Method::POST, "/x")), Some(500));
        }
        queue.clear();
        assert!(queue.take(&Method::POST, "/x").is_none());
    }

    #[test]
    fn method_and_prefix_must_match() {
        let mut queue = FaultQueue::default();
        queue
            .push(request(
                serde_json::json!({"path_prefix": "/oidc", "method": "post", "status": 503}),
            ))
            .expect("valid fault");
        assert!(queue.take(&Method::GET, "/oidc/v1/token").is_none());
        assert!(queue.take(&Method::POST, "/api/2.0").is_none());
        assert_eq!(
            status_of(queue.take(&Method::POST, "/oidc/v1/token")),
            Some(503)
        );
    }

    #[test]
    fn contradictory_or_empty_faults_are_rejected() {
        let cases = [
            serde_json::json!({"path_prefix": "/"}),
            serde_json::json!({"path_prefix": "/", "status": 503, "hang": true}),
            serde_json::json!({"path_prefix": "/", "body": "x"}),
            serde_json::json!({"path_prefix": "api", "status": 503}),
            serde_json::json!({"path_prefix": "/__emulator/calls", "status": 503}),
            serde_json::json!({"path_prefix": "/", "status": 99}),
            serde_json::json!({"path_prefix": "/", "status": 503, "times": 0}),
            serde_json::json!({"path_prefix": "/", "status": 503, "headers": {"bad name": "1"}}),
        ];
        for case in cases {
            let result = FaultQueue::default().push(request(case.clone()));
            assert!(result.is_err(), "accepted {case}");
        }
    }
}

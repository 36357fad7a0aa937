//! The description of one workspace API call, kept apart from its transport so that a call can
//! be sent again.

use http::Method;

/// Whether a call may be sent again once it may have reached the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Idempotency {
    /// Sending the call twice has the effect of sending it once, as for every `GET`.
    Safe,
    /// The call may have run upstream once any byte of it was sent, as a Model Serving invocation
    /// may. It is retried only when no connection could be made.
    NotIdempotent,
}

/// One workspace API call: method, path relative to the workspace host, and how it may be retried.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    /// The path template, such as `/api/2.1/unity-catalog/catalogs/{name}`. Logs and metrics use
    /// it in place of the path, so it must not contain user data.
    pub(crate) route: &'static str,
    pub(crate) path: String,
    /// The JSON body of a `POST`, or `None`.
    pub(crate) body: Option<serde_json::Value>,
    pub(crate) idempotency: Idempotency,
    /// Whether the call looks up the caller's identity (SCIM `Me`). With a user token, its 401
    /// and 403 answers are retried like a 503. NOTE: the platform does not document whether such
    /// rejections can be transient, so the retries may only add latency to invalid tokens.
    pub(crate) identity_lookup: bool,
    /// A time limit of this call in place of the workspace's request timeout, retries included.
    pub(crate) timeout: Option<std::time::Duration>,
    /// Query parameters, sent form-encoded after the path.
    pub(crate) query: Vec<(&'static str, String)>,
}

impl ApiRequest {
    /// Builds a `GET` of the fixed path `route`, which starts with `/`.
    pub(crate) fn get(route: &'static str) -> ApiRequest {
        ApiRequest {
            method: Method::GET,
            route,
            path: route.to_owned(),
            body: None,
            idempotency: Idempotency::Safe,
            identity_lookup: false,
            timeout: None,
            query: Vec::new(),
        }
    }

    /// Marks the call as an identity lookup.
    pub(crate) fn identity_lookup(mut self) -> ApiRequest {
        self.identity_lookup = true;
        self
    }

    /// Returns `"<METHOD> <path>"` for error messages.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }

    /// Returns `"<METHOD> <route template>"`, the bounded label of logs and metrics.
    pub(crate) fn route_label(&self) -> String {
        format!("{} {}", self.method, self.route)
    }
}

impl ApiRequest {
    /// Builds a `POST` of the fixed path `route` with a JSON body. Only for calls that may safely
    /// run twice, such as minting a database credential.
    pub(crate) fn post_json(route: &'static str, body: serde_json::Value) -> ApiRequest {
        ApiRequest {
            method: Method::POST,
            body: Some(body),
            ..ApiRequest::get(route)
        }
    }

    /// Marks the call as one that may have run upstream once sent, so it is never replayed.
    pub(crate) fn not_idempotent(mut self) -> ApiRequest {
        self.idempotency = Idempotency::NotIdempotent;
        self
    }

    /// Sets the query parameters.
    pub(crate) fn with_query(mut self, query: Vec<(&'static str, String)>) -> ApiRequest {
        self.query = query;
        self
    }

    /// Sets this call's own time limit, retries included.
    pub(crate) fn with_timeout(mut self, timeout: std::time::Duration) -> ApiRequest {
        self.timeout = Some(timeout);
        self
    }

    /// Sets the path of a call whose route has a parameter, such as `/instances/{name}`.
    pub(crate) fn with_path(mut self, path: String) -> ApiRequest {
        self.path = path;
        self
    }
}

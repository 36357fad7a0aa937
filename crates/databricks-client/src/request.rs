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
    #[cfg_attr(
        not(test),
        expect(
            dead_code,
            reason = "no non-idempotent call exists yet; Model Serving invocations will use it"
        )
    )]
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
    pub(crate) idempotency: Idempotency,
    /// Whether the call looks up the caller's identity (SCIM `Me`). With a user token, its 401
    /// and 403 answers are retried like a 503. NOTE: the platform does not document whether such
    /// rejections can be transient, so the retries may only add latency to invalid tokens.
    pub(crate) identity_lookup: bool,
}

impl ApiRequest {
    /// Builds a `GET` of the fixed path `route`, which starts with `/`.
    pub(crate) fn get(route: &'static str) -> ApiRequest {
        ApiRequest {
            method: Method::GET,
            route,
            path: route.to_owned(),
            idempotency: Idempotency::Safe,
            identity_lookup: false,
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

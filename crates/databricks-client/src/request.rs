//! The description of one workspace API call, kept apart from its transport so that a call can
//! be sent again.

use http::Method;

/// One workspace API call: method and path relative to the workspace host.
#[derive(Debug, Clone)]
pub(crate) struct ApiRequest {
    pub(crate) method: Method,
    pub(crate) path: String,
}

impl ApiRequest {
    /// Builds a `GET` of `path`, which starts with `/`.
    pub(crate) fn get(path: impl Into<String>) -> ApiRequest {
        ApiRequest {
            method: Method::GET,
            path: path.into(),
        }
    }

    /// Returns `"<METHOD> <path>"` for messages and logs.
    pub(crate) fn describe(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

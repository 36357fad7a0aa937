//! Error bodies in the platform's three shapes: the REST API's `{"error_code", "message"}`, SCIM
//! (RFC 7644) and OAuth (RFC 6749).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::middleware::RequestId;

/// Header the platform sets on authentication errors, repeating the message.
const REASON_PHRASE_HEADER: &str = "x-databricks-reason-phrase";

/// `error_code` is a number on gateway authentication errors and a string elsewhere.
#[derive(Debug, Clone)]
enum ErrorCode {
    Number(u16),
    Text(&'static str),
}

/// A REST API error: `{"error_code": …, "message": …}`.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    status: StatusCode,
    error_code: ErrorCode,
    message: String,
    /// Also send the message as `X-Databricks-Reason-Phrase`.
    reason_phrase: bool,
}

impl ApiError {
    /// 401 for a request without a bearer token. The platform appends the request id.
    pub(crate) fn credential_not_sent(request_id: Option<RequestId>) -> Self {
        let sentence = "Credential was not sent or was of an unsupported type for this API.";
        let message = match request_id {
            Some(RequestId(id)) => format!("{sentence} [ReqId: {id}]"),
            None => sentence.to_owned(),
        };
        Self {
            status: StatusCode::UNAUTHORIZED,
            error_code: ErrorCode::Number(401),
            message,
            reason_phrase: false,
        }
    }

    /// 403 for a token this workspace did not issue, or whose principal was deleted or
    /// deactivated.
    pub(crate) fn invalid_access_token() -> Self {
        Self::forbidden("Invalid access token.")
    }

    /// 403 for a token that has expired or expires within the fixture's rejection window, with
    /// the message users of the platform reported for the second case. The message keeps the
    /// platform's "30 seconds" whatever the window is. NOTE: the platform's message for an already
    /// expired OAuth token is not documented, so the emulator sends the same one for both.
    pub(crate) fn token_expiring() -> Self {
        Self::forbidden("Token is expiring within 30 seconds. (token expired)")
    }

    fn forbidden(message: &str) -> Self {
        Self {
            status: StatusCode::FORBIDDEN,
            error_code: ErrorCode::Number(403),
            message: message.to_owned(),
            reason_phrase: true,
        }
    }

    /// 404 for a path the emulator does not serve. NOTE: the platform's response for unknown
    /// paths is not documented, so this uses its usual error body.
    pub(crate) fn endpoint_not_found(method: &str, path: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            error_code: ErrorCode::Text("ENDPOINT_NOT_FOUND"),
            message: format!("No API found for '{method} {path}'"),
            reason_phrase: false,
        }
    }

    /// 405 for a served path called with the wrong method.
    pub(crate) fn method_not_allowed(method: &str, path: &str) -> Self {
        Self {
            status: StatusCode::METHOD_NOT_ALLOWED,
            error_code: ErrorCode::Text("METHOD_NOT_ALLOWED"),
            message: format!("Method {method} is not allowed for '{path}'"),
            reason_phrase: false,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let error_code = match self.error_code {
            ErrorCode::Number(code) => json!(code),
            ErrorCode::Text(code) => json!(code),
        };
        let body = json!({"error_code": error_code, "message": self.message});
        let mut response = (self.status, Json(body)).into_response();
        if self.reason_phrase
            && let Ok(value) = HeaderValue::from_str(&self.message)
        {
            response.headers_mut().insert(REASON_PHRASE_HEADER, value);
        }
        response
    }
}

/// A SCIM error: `{"schemas": [Error], "detail", "status", "scimType"?}` with the status as a
/// string, as RFC 7644 section 3.12 specifies.
#[derive(Debug, Clone)]
pub(crate) struct ScimError {
    status: StatusCode,
    scim_type: Option<&'static str>,
    detail: String,
}

impl ScimError {
    pub(crate) fn not_found(detail: String) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            scim_type: None,
            detail,
        }
    }

    pub(crate) fn invalid_filter(detail: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some("invalidFilter"),
            detail,
        }
    }

    pub(crate) fn invalid_value(detail: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some("invalidValue"),
            detail,
        }
    }
}

impl IntoResponse for ScimError {
    fn into_response(self) -> Response {
        let mut body = json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
            "detail": self.detail,
            "status": self.status.as_str(),
        });
        if let Some(scim_type) = self.scim_type {
            body["scimType"] = json!(scim_type);
        }
        (self.status, Json(body)).into_response()
    }
}

/// An OAuth token endpoint error: `{"error", "error_description"}` (RFC 6749 section 5.2).
#[derive(Debug, Clone)]
pub(crate) struct OAuthError {
    status: StatusCode,
    error: &'static str,
    description: String,
}

impl OAuthError {
    /// 401 for missing or wrong client credentials. NOTE: the platform's status for this is not
    /// documented, so this follows RFC 6749 section 5.2, which requires 401 after HTTP Basic.
    pub(crate) fn invalid_client() -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            error: "invalid_client",
            description: "Client authentication failed".to_owned(),
        }
    }

    pub(crate) fn invalid_request(description: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "invalid_request",
            description: description.into(),
        }
    }

    pub(crate) fn unsupported_grant_type(grant_type: &str) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            error: "unsupported_grant_type",
            description: format!(
                "Grant type {grant_type:?} is not supported; use client_credentials"
            ),
        }
    }
}

impl IntoResponse for OAuthError {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Basic realm=\"oidc\""),
            );
        }
        response
    }
}

/// A control-plane error, in the REST API's shape so the same client code can read it.
#[derive(Debug, Clone)]
pub(crate) struct ControlError {
    status: StatusCode,
    message: String,
}

impl ControlError {
    pub(crate) fn bad_request(message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }

    pub(crate) fn principal_not_found(user_name: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            message: format!(
                "No user or service principal named {user_name:?}; use a fixture user name or \
                 application id"
            ),
        }
    }
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let error_code = if self.status == StatusCode::NOT_FOUND {
            "RESOURCE_DOES_NOT_EXIST"
        } else {
            "INVALID_PARAMETER_VALUE"
        };
        let body = json!({"error_code": error_code, "message": self.message});
        (self.status, Json(body)).into_response()
    }
}

impl From<axum::extract::rejection::JsonRejection> for ControlError {
    fn from(rejection: axum::extract::rejection::JsonRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

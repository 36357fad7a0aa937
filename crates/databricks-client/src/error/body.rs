//! Parsing of error bodies: the platform's JSON, SCIM, OAuth, plain text and HTML.

use http::{HeaderMap, StatusCode};
use serde_json::{Map, Value};

/// The maximum length, in characters, of a message taken from a text or HTML body.
const MAX_EXCERPT_CHARS: usize = 200;

/// The response header in which the platform repeats the error message.
const REASON_PHRASE_HEADER: &str = "x-databricks-reason-phrase";

/// The parts of an [`crate::ApiError`] that come from the response body.
#[derive(Debug, PartialEq)]
pub(crate) struct ParsedErrorBody {
    pub(crate) error_code: Option<String>,
    pub(crate) message: String,
    pub(crate) details: Vec<Value>,
}

/// Extracts the error code, message and details from the body of a non-success response.
pub(crate) fn parse_error_body(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
) -> ParsedErrorBody {
    let text = String::from_utf8_lossy(body);
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return from_empty_body(status, headers);
    }

    if let Ok(Value::Object(object)) = serde_json::from_str::<Value>(trimmed) {
        return from_json(status, &object).unwrap_or_else(|| plain(None, excerpt(trimmed)));
    }
    if is_html(headers, trimmed) {
        return from_html(status, trimmed);
    }
    from_text(trimmed)
}

fn plain(error_code: Option<String>, message: String) -> ParsedErrorBody {
    ParsedErrorBody {
        error_code,
        message,
        details: Vec::new(),
    }
}

fn from_empty_body(status: StatusCode, headers: &HeaderMap) -> ParsedErrorBody {
    let reason = headers
        .get(REASON_PHRASE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|phrase| !phrase.is_empty())
        .map(excerpt);
    plain(None, reason.unwrap_or_else(|| reason_phrase(status)))
}

fn reason_phrase(status: StatusCode) -> String {
    status
        .canonical_reason()
        .map_or_else(|| format!("HTTP status {}", status.as_u16()), str::to_owned)
}

/// Reads the JSON shapes the platform uses, or `None` for an object of no known shape.
fn from_json(status: StatusCode, object: &Map<String, Value>) -> Option<ParsedErrorBody> {
    if object.contains_key("error_code") || object.contains_key("message") {
        return Some(from_standard_json(status, object));
    }
    if object.contains_key("scimType") || object.contains_key("detail") {
        return Some(from_scim_json(status, object));
    }
    match object.get("error") {
        Some(Value::Object(nested)) => Some(from_nested_error(status, nested)),
        Some(Value::String(error)) => Some(from_oauth_json(status, error, object)),
        _ => None,
    }
}

/// `{"error_code": "CODE" | 403, "message": "...", "details": [...]}`.
fn from_standard_json(status: StatusCode, object: &Map<String, Value>) -> ParsedErrorBody {
    let message = non_empty_string(object.get("message"))
        .or_else(|| non_empty_string(object.get("error")))
        .unwrap_or_else(|| reason_phrase(status));
    let details = match object.get("details") {
        Some(Value::Array(entries)) => entries.clone(),
        _ => Vec::new(),
    };
    ParsedErrorBody {
        error_code: code_to_string(object.get("error_code")),
        message,
        details,
    }
}

/// RFC 7644 errors: `{"detail", "status", "scimType"}` become code `SCIM_<status>` and message
/// `"<scimType> <detail>"`, as the SDKs report them.
fn from_scim_json(status: StatusCode, object: &Map<String, Value>) -> ParsedErrorBody {
    let scim_status =
        code_to_string(object.get("status")).unwrap_or_else(|| status.as_u16().to_string());
    let detail = match non_empty_string(object.get("detail")) {
        Some(detail) if detail == "null" => Some("SCIM API Internal Error".to_owned()),
        other => other,
    };
    let parts: Vec<String> = [non_empty_string(object.get("scimType")), detail]
        .into_iter()
        .flatten()
        .collect();
    let message = if parts.is_empty() {
        reason_phrase(status)
    } else {
        parts.join(" ")
    };
    plain(Some(format!("SCIM_{scim_status}")), message)
}

/// `{"error": {"message": "...", "code" | "type": ...}}`, as model gateways send.
fn from_nested_error(status: StatusCode, nested: &Map<String, Value>) -> ParsedErrorBody {
    let code = code_to_string(nested.get("code")).or_else(|| code_to_string(nested.get("type")));
    let message = non_empty_string(nested.get("message")).unwrap_or_else(|| reason_phrase(status));
    plain(code, message)
}

/// OAuth (`{"error", "error_description"}`) and legacy (`{"error": "message"}`) bodies.
fn from_oauth_json(
    status: StatusCode,
    error: &str,
    object: &Map<String, Value>,
) -> ParsedErrorBody {
    let description = non_empty_string(object.get("error_description"))
        .or_else(|| non_empty_string(object.get("errorSummary")));
    match description {
        Some(description) => plain(Some(error.to_owned()), description),
        // An identifier such as `invalid_client` is a code, but a sentence is the legacy message.
        None if !error.is_empty() && !error.contains(char::is_whitespace) => {
            plain(Some(error.to_owned()), error.to_owned())
        }
        None if error.trim().is_empty() => plain(None, reason_phrase(status)),
        None => plain(None, excerpt(error)),
    }
}

fn code_to_string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(code) if !code.trim().is_empty() => Some(code.trim().to_owned()),
        Value::Number(number) => Some(number.to_string()),
        _ => None,
    }
}

fn non_empty_string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(text) if !text.trim().is_empty() => Some(text.trim().to_owned()),
        _ => None,
    }
}

fn is_html(headers: &HeaderMap, text: &str) -> bool {
    let html_content_type = headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.to_ascii_lowercase().contains("html"));
    let start = text.get(..15).unwrap_or(text).to_ascii_lowercase();
    html_content_type || start.starts_with("<!doctype html") || start.starts_with("<html")
}

/// Uses the text of `<pre>`, else `<title>`, else the whole page without tags, and takes the
/// reason phrase in upper snake case as the code, as the SDKs do.
fn from_html(status: StatusCode, html: &str) -> ParsedErrorBody {
    let text = inner_text(html, "pre")
        .or_else(|| inner_text(html, "title"))
        .map_or_else(|| strip_tags(html), |inner| strip_tags(&inner));
    let text = decode_entities(&text);
    let message = if text.trim().is_empty() {
        reason_phrase(status)
    } else {
        excerpt(&text)
    };
    let code = status
        .canonical_reason()
        .map(|reason| reason.to_ascii_uppercase().replace([' ', '-'], "_"));
    plain(code, message)
}

/// `CODE: message` (the code in upper snake case) or any other text.
fn from_text(text: &str) -> ParsedErrorBody {
    let first_line = text.lines().next().unwrap_or(text);
    if let Some((code, message)) = first_line.split_once(": ")
        && !code.is_empty()
        && code.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        && !message.trim().is_empty()
    {
        return plain(Some(code.to_owned()), excerpt(message));
    }
    plain(None, excerpt(text))
}

/// Returns the content of the first `<tag>…</tag>` element, matched case-insensitively.
fn inner_text(html: &str, tag: &str) -> Option<String> {
    // ASCII lowercasing keeps byte offsets, so positions found in `lower` index `html`.
    let lower = html.to_ascii_lowercase();
    let open = format!("<{tag}");
    let start_tag = lower.find(&open)?;
    let content_start = start_tag + lower[start_tag..].find('>')? + 1;
    let content_end = content_start + lower[content_start..].find(&format!("</{tag}"))?;
    Some(html[content_start..content_end].to_owned())
}

fn strip_tags(html: &str) -> String {
    let mut text = String::with_capacity(html.len());
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => in_tag = true,
            '>' if in_tag => {
                in_tag = false;
                text.push(' ');
            }
            _ if !in_tag => text.push(character),
            _ => {}
        }
    }
    text
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
}

/// Collapses whitespace and cuts the text to at most [`MAX_EXCERPT_CHARS`] characters.
fn excerpt(text: &str) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= MAX_EXCERPT_CHARS {
        return collapsed;
    }
    let mut cut: String = collapsed.chars().take(MAX_EXCERPT_CHARS - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use http::HeaderValue;
    use proptest::strategy::Strategy;
    use serde_json::json;

    use super::*;

    fn parse(status: u16, body: &str) -> ParsedErrorBody {
        let status = StatusCode::from_u16(status).expect("valid status");
        parse_error_body(status, &HeaderMap::new(), body.as_bytes())
    }

    fn html_headers() -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            http::header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        headers
    }

    #[test]
    fn error_body_table() {
        let cases: [(u16, &str, Option<&str>, &str); 16] = [
            (
                404,
                r#"{"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "Endpoint x does not exist."}"#,
                Some("RESOURCE_DOES_NOT_EXIST"),
                "Endpoint x does not exist.",
            ),
            (
                403,
                r#"{"error_code": 403, "message": "Invalid access token."}"#,
                Some("403"),
                "Invalid access token.",
            ),
            (
                401,
                r#"{"error_code": 401, "message": "Credential was not sent or was of an unsupported type for this API."}"#,
                Some("401"),
                "Credential was not sent or was of an unsupported type for this API.",
            ),
            (
                400,
                r#"{"error_code": "INVALID_PARAMETER_VALUE"}"#,
                Some("INVALID_PARAMETER_VALUE"),
                "Bad Request",
            ),
            (500, r#"{"message": "boom"}"#, None, "boom"),
            (
                404,
                r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "detail": "User not found", "status": "404", "scimType": "invalidValue"}"#,
                Some("SCIM_404"),
                "invalidValue User not found",
            ),
            (
                409,
                r#"{"detail": "User exists", "status": 409}"#,
                Some("SCIM_409"),
                "User exists",
            ),
            (
                500,
                r#"{"detail": "null", "status": "500"}"#,
                Some("SCIM_500"),
                "SCIM API Internal Error",
            ),
            (
                401,
                r#"{"error": "invalid_client", "error_description": "Client authentication failed"}"#,
                Some("invalid_client"),
                "Client authentication failed",
            ),
            (
                400,
                r#"{"error": "invalid_grant"}"#,
                Some("invalid_grant"),
                "invalid_grant",
            ),
            (
                400,
                r#"{"error": "Cluster is not running."}"#,
                None,
                "Cluster is not running.",
            ),
            (
                429,
                r#"{"error": {"message": "Rate limit reached", "code": 429}}"#,
                Some("429"),
                "Rate limit reached",
            ),
            (
                400,
                r#"{"unexpected": true}"#,
                None,
                r#"{"unexpected": true}"#,
            ),
            (
                400,
                "INVALID_STATE: cluster is terminating",
                Some("INVALID_STATE"),
                "cluster is terminating",
            ),
            (
                502,
                "  upstream connect error  \n",
                None,
                "upstream connect error",
            ),
            (503, "", None, "Service Unavailable"),
        ];
        for (status, body, code, message) in cases {
            let parsed = parse(status, body);
            assert_eq!(parsed.error_code.as_deref(), code, "code for body {body:?}");
            assert_eq!(parsed.message, message, "message for body {body:?}");
        }
    }

    #[test]
    fn details_are_kept() {
        let body = json!({
            "error_code": "PERMISSION_DENIED",
            "message": "User does not have USE CATALOG on Catalog 'hr'.",
            "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "UC_PERMISSION_DENIED", "domain": "unity-catalog.databricks.com", "metadata": {}}]
        });
        let parsed = parse(403, &body.to_string());
        assert_eq!(parsed.details.len(), 1);
        assert_eq!(parsed.details[0]["reason"], "UC_PERMISSION_DENIED");
    }

    #[test]
    fn empty_body_uses_reason_phrase_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            REASON_PHRASE_HEADER,
            HeaderValue::from_static("Invalid access token."),
        );
        let parsed = parse_error_body(StatusCode::FORBIDDEN, &headers, b"  ");
        assert_eq!(parsed.message, "Invalid access token.");
        assert_eq!(parsed.error_code, None);
    }

    #[test]
    fn html_uses_pre_text() {
        let body = "<html><head><title>Error 500</title></head><body><h2>HTTP ERROR 500</h2>\n<pre>Server &amp; proxy\n failed</pre></body></html>";
        let parsed = parse_error_body(
            StatusCode::INTERNAL_SERVER_ERROR,
            &html_headers(),
            body.as_bytes(),
        );
        assert_eq!(parsed.message, "Server & proxy failed");
        assert_eq!(parsed.error_code.as_deref(), Some("INTERNAL_SERVER_ERROR"));
    }

    #[test]
    fn html_uses_title_without_pre() {
        let body = "<!DOCTYPE html><HTML><HEAD><TITLE>502 Bad Gateway</TITLE></HEAD><body><p>nginx</p></body></HTML>";
        let parsed = parse(502, body);
        assert_eq!(parsed.message, "502 Bad Gateway");
        assert_eq!(parsed.error_code.as_deref(), Some("BAD_GATEWAY"));
    }

    #[test]
    fn html_without_title_is_stripped_and_capped() {
        let paragraph = "word ".repeat(200);
        let body = format!("<html><body><p>{paragraph}</p></body></html>");
        let parsed = parse_error_body(StatusCode::BAD_GATEWAY, &html_headers(), body.as_bytes());
        assert!(!parsed.message.contains('<'), "{}", parsed.message);
        assert!(
            parsed.message.starts_with("word word"),
            "{}",
            parsed.message
        );
        assert_eq!(parsed.message.chars().count(), MAX_EXCERPT_CHARS);
    }

    #[test]
    fn long_text_is_capped() {
        let body = "x".repeat(5_000);
        let parsed = parse(500, &body);
        assert_eq!(parsed.message.chars().count(), MAX_EXCERPT_CHARS);
        assert!(parsed.message.ends_with('…'));
    }

    #[test]
    fn invalid_utf8_does_not_fail() {
        let parsed = parse_error_body(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            &[0xff, 0xfe, b'a'],
        );
        assert!(parsed.message.ends_with('a'), "{}", parsed.message);
    }

    proptest::proptest! {
        #[test]
        fn any_body_parses_without_panic(
            status in 400_u16..600,
            body in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2_000),
            html in proptest::prelude::any::<bool>(),
        ) {
            let status = StatusCode::from_u16(status).expect("valid status");
            let headers = if html { html_headers() } else { HeaderMap::new() };
            let parsed = parse_error_body(status, &headers, &body);
            proptest::prop_assert!(!parsed.message.is_empty());
        }

        #[test]
        fn any_json_object_gets_a_message(
            status in 400_u16..600,
            fields in proptest::collection::vec(
                (
                    proptest::sample::select(vec![
                        "error_code", "message", "error", "error_description", "detail",
                        "scimType", "status", "details", "other",
                    ]),
                    proptest::prop_oneof![
                        "[ a-z]{0,3}".prop_map(Value::from),
                        (0_i64..1000).prop_map(Value::from),
                        proptest::prelude::Just(Value::Null),
                        proptest::prelude::Just(json!({ "message": "", "code": 1 })),
                        proptest::prelude::Just(json!([])),
                    ],
                ),
                0..5,
            ),
        ) {
            let object: Map<String, Value> =
                fields.into_iter().map(|(key, value)| (key.to_owned(), value)).collect();
            let body = Value::Object(object).to_string();
            let parsed = parse(status, &body);
            proptest::prop_assert!(!parsed.message.trim().is_empty(), "body {}", body);
        }

        #[test]
        fn text_message_is_capped(status in 400_u16..600, text in "[^{\\[]\\PC{0,600}") {
            let status = StatusCode::from_u16(status).expect("valid status");
            let parsed = parse_error_body(status, &HeaderMap::new(), text.as_bytes());
            proptest::prop_assert!(
                parsed.message.chars().count() <= MAX_EXCERPT_CHARS,
                "{} characters", parsed.message.chars().count()
            );
        }

        #[test]
        fn standard_json_code_and_message_are_kept(
            code in "[A-Z_]{1,30}",
            message in "[ -~]{0,100}[!-~]",
        ) {
            let body = json!({ "error_code": code, "message": message }).to_string();
            let parsed = parse(400, &body);
            proptest::prop_assert_eq!(parsed.error_code.as_deref(), Some(code.as_str()));
            proptest::prop_assert_eq!(parsed.message, message.trim());
        }
    }

    #[test]
    fn json_array_body_is_text() {
        let parsed = parse(400, "[1, 2]");
        assert_eq!(parsed.error_code, None);
        assert_eq!(parsed.message, "[1, 2]");
    }
}

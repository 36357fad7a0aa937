//! Replays the hostile and broken requests of `tests/corpus/requests.jsonl` against the app over
//! raw HTTP/1.1 on loopback, so that paths, headers and bodies reach the server byte for byte.
//!
//! Every response must come within the timeout, never be a 5xx unless the entry expects one, and
//! carry the standard error body when it is a 4xx. HTML responses must not contain the corpus
//! marker, which entries put into their hostile input to detect reflection. When the request
//! matches an operation of the OpenAPI document, the app's status must be one the operation
//! documents.
//!
//! An entry is one JSON object per line:
//!
//! | field | meaning |
//! |---|---|
//! | `name` | unique label, shown on failure |
//! | `method`, `path` | the request line; `path` is sent as written |
//! | `user` | `alice`, `bob`, `carol` or `dave`: sends that fixture user's token |
//! | `headers` | `[[name, value]]`; a value `{"hex": "…"}` is sent as raw bytes |
//! | `body` | a string sent as written, `{"json": …}`, or `{"hex": "…"}` |
//! | `raw` | the whole request as written, instead of the fields above |
//! | `expect` | the statuses the entry accepts; a 5xx must be listed here to pass |
//! | `code` | the `error_code` the entry expects |
//! | `hyper` | true when hyper itself responds (an empty body is then accepted) |
//! | `no_response` | true when closing the connection without a response is accepted |
//! | `incomplete` | true when the request never ends, so that the server waiting for the rest is correct: no response within [`INCOMPLETE_WAIT`] passes |
//!
//! In every string, `{{repeat N text}}` stands for `text` repeated N times. The request gets
//! `Host`, `Connection: close` and, with a body, `Content-Length` unless the entry sets them.
//!
//! `GET /metrics` is served outside the request layers, so its responses carry no correlation ID;
//! every other response must.

mod common;

use std::collections::HashSet;
use std::time::Duration;

use common::TestApp;
use serde::Deserialize;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const CORPUS: &str = include_str!("corpus/requests.jsonl");

/// The string entries put into input that must never be reflected into HTML.
const MARKER: &str = "CORPUS-MARK";

/// How long one request may take before it counts as a hang.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How long an `incomplete` entry waits for a response that should not come.
const INCOMPLETE_WAIT: Duration = Duration::from_secs(2);

/// The smallest number of entries the corpus must keep.
const MIN_ENTRIES: usize = 200;

const INDEX: &str = "<!doctype html><title>app</title><script type=\"module\" src=\"/assets/index-abc123.js\"></script>";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    name: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    path: Option<String>,
    #[serde(default)]
    user: Option<String>,
    #[serde(default)]
    headers: Vec<(String, Bytes)>,
    #[serde(default)]
    body: Option<Body>,
    #[serde(default)]
    raw: Option<String>,
    #[serde(default)]
    expect: Option<Vec<u16>>,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    hyper: bool,
    #[serde(default)]
    no_response: bool,
    #[serde(default)]
    incomplete: bool,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Bytes {
    Text(String),
    Hex { hex: String },
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum Body {
    Text(String),
    Json { json: Value },
    Hex { hex: String },
}

#[derive(Debug)]
struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

fn load_corpus() -> Vec<Entry> {
    CORPUS
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            serde_json::from_str(line).unwrap_or_else(|error| {
                panic!("corpus line {} is not a valid entry: {error}", number + 1)
            })
        })
        .collect()
}

/// Expands `{{repeat N text}}`.
fn expand(text: &str) -> String {
    let mut output = String::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{repeat ") {
        output.push_str(&rest[..start]);
        let after = &rest[start + "{{repeat ".len()..];
        let end = after.find("}}").expect("a closing }} after {{repeat");
        let (count, unit) = after[..end]
            .split_once(' ')
            .expect("{{repeat N text}} has a count and a text");
        let count: usize = count.parse().expect("the repeat count is a number");
        output.push_str(&unit.repeat(count));
        rest = &after[end + 2..];
    }
    output.push_str(rest);
    output
}

fn decode_hex(hex: &str) -> Vec<u8> {
    let hex = expand(hex);
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).expect("valid hex"))
        .collect()
}

fn bytes_of(value: &Bytes) -> Vec<u8> {
    match value {
        Bytes::Text(text) => expand(text).into_bytes(),
        Bytes::Hex { hex } => decode_hex(hex),
    }
}

fn token_of(user: &str) -> String {
    format!("dapi-{user}-dev")
}

/// Builds the bytes of an entry's request.
fn request_bytes(entry: &Entry, host: &str) -> Vec<u8> {
    if let Some(raw) = &entry.raw {
        return expand(raw).into_bytes();
    }
    let method = entry.method.as_deref().unwrap_or("GET");
    let path = expand(entry.path.as_deref().unwrap_or("/"));
    let body = match &entry.body {
        None => None,
        Some(Body::Text(text)) => Some(expand(text).into_bytes()),
        Some(Body::Json { json }) => Some(json.to_string().into_bytes()),
        Some(Body::Hex { hex }) => Some(decode_hex(hex)),
    };

    let mut headers: Vec<(String, Vec<u8>)> = entry
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), bytes_of(value)))
        .collect();
    let has = |headers: &[(String, Vec<u8>)], name: &str| {
        headers
            .iter()
            .any(|(key, _)| key.eq_ignore_ascii_case(name))
    };
    if !has(&headers, "host") {
        headers.push(("Host".into(), host.as_bytes().to_vec()));
    }
    if !has(&headers, "connection") {
        headers.push(("Connection".into(), b"close".to_vec()));
    }
    if let Some(user) = &entry.user {
        headers.push((
            "X-Forwarded-Access-Token".into(),
            token_of(user).into_bytes(),
        ));
    }
    if let Some(body) = &body
        && !has(&headers, "content-length")
        && !has(&headers, "transfer-encoding")
    {
        headers.push(("Content-Length".into(), body.len().to_string().into_bytes()));
    }

    let mut bytes = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
    for (name, value) in headers {
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(b": ");
        bytes.extend_from_slice(&value);
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"\r\n");
    if let Some(body) = body {
        bytes.extend_from_slice(&body);
    }
    bytes
}

/// Sends `request` on a new connection and reads until the server closes it.
async fn send(address: &str, request: &[u8]) -> Result<Vec<u8>, String> {
    let mut stream = TcpStream::connect(address)
        .await
        .map_err(|error| format!("connect: {error}"))?;
    // The server may answer and close before it has read everything (a 431, for example), so a
    // failed write is not an error by itself: the response decides.
    let _ = stream.write_all(request).await;
    let mut received = Vec::new();
    match stream.read_to_end(&mut received).await {
        Ok(_) => Ok(received),
        Err(_) if !received.is_empty() => Ok(received),
        Err(error) => Err(format!("read: {error}")),
    }
}

fn parse_response(bytes: &[u8]) -> Result<RawResponse, String> {
    let split = bytes
        .windows(4)
        .position(|window| window == b"\r\n\r\n")
        .ok_or_else(|| format!("no end of headers in {:?}", String::from_utf8_lossy(bytes)))?;
    let head = String::from_utf8_lossy(&bytes[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or_default();
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .ok_or_else(|| format!("bad status line {status_line:?}"))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
        .collect();
    let raw_body = &bytes[split + 4..];
    let chunked = headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("transfer-encoding") && value.eq_ignore_ascii_case("chunked")
    });
    let body = if chunked {
        dechunk(raw_body)?
    } else {
        raw_body.to_vec()
    };
    Ok(RawResponse {
        status,
        headers,
        body,
    })
}

fn dechunk(mut bytes: &[u8]) -> Result<Vec<u8>, String> {
    let mut body = Vec::new();
    loop {
        let line_end = bytes
            .windows(2)
            .position(|window| window == b"\r\n")
            .ok_or("truncated chunk size")?;
        let size_text = String::from_utf8_lossy(&bytes[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|error| format!("bad chunk size {size_text:?}: {error}"))?;
        bytes = &bytes[line_end + 2..];
        if size == 0 {
            return Ok(body);
        }
        let chunk = bytes.get(..size).ok_or("truncated chunk")?;
        body.extend_from_slice(chunk);
        bytes = bytes.get(size + 2..).ok_or("truncated chunk end")?;
    }
}

/// The statuses each operation of the OpenAPI document declares.
struct Documented {
    operations: Vec<(String, Vec<String>, HashSet<u16>)>,
}

impl Documented {
    fn load() -> Self {
        let document = serde_json::to_value(app_server::http::openapi::document())
            .expect("the OpenAPI document serialises");
        let mut operations = Vec::new();
        for (path, item) in document["paths"].as_object().expect("paths") {
            for (method, operation) in item.as_object().expect("a path item") {
                let statuses = operation["responses"]
                    .as_object()
                    .expect("responses")
                    .keys()
                    .filter_map(|status| status.parse().ok())
                    .collect();
                let segments = path.split('/').map(str::to_owned).collect();
                operations.push((method.to_ascii_uppercase(), segments, statuses));
            }
        }
        Self { operations }
    }

    /// Returns the statuses of the operation that `method` and the raw `target` match, where a
    /// `{name}` template segment matches any one non-empty segment.
    fn statuses_for(&self, method: &str, target: &str) -> Option<&HashSet<u16>> {
        let path = target.split(['?', '#']).next().unwrap_or_default();
        let segments: Vec<&str> = path.split('/').collect();
        self.operations
            .iter()
            .find(|(operation_method, template, _)| {
                operation_method == method
                    && template.len() == segments.len()
                    && template.iter().zip(&segments).all(|(expected, actual)| {
                        if expected.starts_with('{') {
                            !actual.is_empty()
                        } else {
                            expected == actual
                        }
                    })
            })
            .map(|(_, _, statuses)| statuses)
    }
}

/// Returns a problem when the app returned a status the matched operation does not document.
fn undocumented_status(entry: &Entry, status: u16, documented: &Documented) -> Option<String> {
    let (Some(method), Some(path)) = (entry.method.as_deref(), entry.path.as_deref()) else {
        return None;
    };
    let statuses = documented.statuses_for(method, &expand(path))?;
    (!statuses.contains(&status)).then(|| {
        let mut listed: Vec<&u16> = statuses.iter().collect();
        listed.sort_unstable();
        format!("status {status} is not documented for {method} {path} (documented: {listed:?})")
    })
}

/// Checks one response against the corpus rules; returns the problems found.
fn problems_with(entry: &Entry, response: &RawResponse, documented: &Documented) -> Vec<String> {
    let mut problems = Vec::new();
    let status = response.status;
    let expected = entry.expect.as_deref();

    if let Some(expected) = expected
        && !expected.contains(&status)
    {
        problems.push(format!("status {status}, expected one of {expected:?}"));
    }
    if status >= 500 && !expected.is_some_and(|list| list.contains(&status)) {
        problems.push(format!("server error {status}"));
    }
    if (300..400).contains(&status) {
        let location = response.header("location").unwrap_or_default();
        if !location.starts_with('/') || location.starts_with("//") || location.starts_with("/\\") {
            problems.push(format!("redirect off the app to {location:?}"));
        }
    }
    if !entry.hyper {
        problems.extend(app_response_problems(entry, response));
        problems.extend(undocumented_status(entry, status, documented));
    }
    problems
}

/// Rules for responses the app wrote (not hyper): security headers, a safe correlation ID, no
/// reflection into HTML and the standard error body.
fn app_response_problems(entry: &Entry, response: &RawResponse) -> Vec<String> {
    let mut problems = Vec::new();
    if response.header("x-content-type-options") != Some("nosniff") {
        problems.push("no X-Content-Type-Options: nosniff".to_owned());
    }
    let has_correlation = !is_metrics(entry);
    match response.header("x-correlation-id") {
        Some(id) if app_server::http::correlation::is_safe(id) => {}
        None if !has_correlation => {}
        other => problems.push(format!("unsafe or missing X-Correlation-ID {other:?}")),
    }

    let content_type = response.header("content-type").unwrap_or_default();
    let body = String::from_utf8_lossy(&response.body);
    if content_type.contains("html") && body.contains(MARKER) {
        problems.push("input reflected into an HTML response".to_owned());
    }
    if response.status >= 400 {
        problems.extend(error_body_problems(entry, content_type, &response.body));
    }
    problems
}

fn error_body_problems(entry: &Entry, content_type: &str, body: &[u8]) -> Vec<String> {
    if !content_type.starts_with("application/json") {
        return vec![format!("error with content type {content_type:?}")];
    }
    let Ok(Value::Object(fields)) = serde_json::from_slice::<Value>(body) else {
        return vec![format!(
            "error body is not a JSON object: {:?}",
            String::from_utf8_lossy(body)
        )];
    };
    let mut problems = Vec::new();
    let required: &[&str] = if is_metrics(entry) {
        &["detail", "error_code"]
    } else {
        &["detail", "error_code", "correlation_id"]
    };
    for field in required {
        if !fields.get(*field).is_some_and(Value::is_string) {
            problems.push(format!("error body without a string {field}: {fields:?}"));
        }
    }
    if let Some(code) = &entry.code
        && fields.get("error_code").and_then(Value::as_str) != Some(code)
    {
        problems.push(format!(
            "error_code {:?}, expected {code}",
            fields.get("error_code")
        ));
    }
    problems
}

fn is_metrics(entry: &Entry) -> bool {
    entry
        .path
        .as_deref()
        .is_some_and(|path| path == "/metrics" || path.starts_with("/metrics?"))
}

async fn replay(entry: &Entry, address: &str, documented: &Documented) -> Vec<String> {
    let request = request_bytes(entry, address);
    let wait = if entry.incomplete {
        INCOMPLETE_WAIT
    } else {
        REQUEST_TIMEOUT
    };
    let sent = tokio::time::timeout(wait, send(address, &request)).await;
    let received = match sent {
        Err(_) if entry.incomplete => return Vec::new(),
        Err(_) => return vec![format!("no response within {REQUEST_TIMEOUT:?}")],
        Ok(Err(error)) => return vec![error],
        Ok(Ok(received)) => received,
    };
    if received.is_empty() {
        return if entry.no_response {
            Vec::new()
        } else {
            vec!["connection closed without a response".to_owned()]
        };
    }
    match parse_response(&received) {
        Ok(response) => problems_with(entry, &response, documented),
        Err(error) => vec![error],
    }
}

fn built_front_end() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("create a temporary folder");
    std::fs::create_dir(dir.path().join("assets")).expect("create assets/");
    std::fs::write(dir.path().join("index.html"), INDEX).expect("write index.html");
    std::fs::write(dir.path().join("assets/index-abc123.js"), "console.log(1)")
        .expect("write a hashed asset");
    dir
}

#[test]
fn corpus_is_large_and_named_uniquely() {
    let entries = load_corpus();
    assert!(
        entries.len() >= MIN_ENTRIES,
        "the corpus has {} entries, at least {MIN_ENTRIES} expected",
        entries.len()
    );
    let mut names = HashSet::new();
    for entry in &entries {
        assert!(
            names.insert(entry.name.as_str()),
            "duplicate name {}",
            entry.name
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corpus_replay_gets_clean_answers() {
    let front_end = built_front_end();
    let app = TestApp::builder()
        .env("STATIC_DIR", front_end.path().to_str().expect("UTF-8 path"))
        .env("ADMIN_USERS", "carol@example.com")
        .env("REQUEST_BODY_TIMEOUT_SECONDS", "2")
        .start()
        .await;
    let address = app.base_url.trim_start_matches("http://").to_owned();

    let documented = Documented::load();
    let mut failures = Vec::new();
    for entry in load_corpus() {
        let problems = replay(&entry, &address, &documented).await;
        if !problems.is_empty() {
            failures.push(format!("{}: {}", entry.name, problems.join("; ")));
        }
    }

    let health = app.get("/api/health", None).await;
    assert_eq!(
        health.status(),
        200,
        "the app still serves after the corpus"
    );
    assert!(
        failures.is_empty(),
        "{} corpus entries failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

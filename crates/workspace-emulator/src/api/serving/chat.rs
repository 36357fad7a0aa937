//! Chat invocations (`llm/v1/chat`): request checks and a deterministic completion.
//!
//! NOTE: the platform's messages for invalid chat requests are not documented. Missing or
//! malformed fields get 400 `BAD_REQUEST` and out-of-range values 400 `INVALID_PARAMETER_VALUE`.

use chrono::Utc;
use serde_json::{Map, Value, json};

use crate::api::PlatformError;

const ROLES: [&str; 3] = ["system", "user", "assistant"];
const MAX_TEMPERATURE: f64 = 2.0;
const MAX_CHOICES: u64 = 5;

/// Completes a chat request with an OpenAI-style `chat.completion` whose reply depends only on the
/// last user message. Tokens are counted as whitespace-separated words, and `max_tokens` cuts the
/// reply with `finish_reason: "length"`.
pub(crate) fn complete(body: &[u8], model: &str) -> Result<Value, PlatformError> {
    let request = parse_object(body)?;
    let contents = message_contents(&request)?;
    let max_tokens = optional_integer(&request, "max_tokens", 1, u64::MAX)?;
    let choices = optional_integer(&request, "n", 1, MAX_CHOICES)?.unwrap_or(1);
    check_temperature(&request)?;
    if request.get("stream").and_then(Value::as_bool) == Some(true) {
        return Err(PlatformError::bad_request(
            "stream=true is not supported by the workspace emulator; leave stream out or send \
             false."
                .to_owned(),
        ));
    }
    let last_user = contents
        .iter()
        .rev()
        .find(|(role, _)| role == "user")
        .map(|(_, content)| content.as_str())
        .ok_or_else(|| {
            PlatformError::invalid_parameter(
                "messages must contain at least one message with role 'user'.".to_owned(),
            )
        })?;

    let mut words: Vec<&str> = "Emulated reply to:".split(' ').collect();
    words.extend(last_user.split_whitespace());
    let mut finish_reason = "stop";
    if let Some(limit) = max_tokens.and_then(|limit| usize::try_from(limit).ok())
        && words.len() > limit
    {
        words.truncate(limit);
        finish_reason = "length";
    }
    let reply = words.join(" ");
    let prompt_tokens: usize = contents
        .iter()
        .map(|(_, content)| content.split_whitespace().count())
        .sum();
    let choices: Vec<Value> = (0..choices)
        .map(|index| {
            json!({
                "index": index,
                "message": {"role": "assistant", "content": reply},
                "finish_reason": finish_reason,
            })
        })
        .collect();
    Ok(json!({
        "id": format!("chatcmpl-{}", uuid::Uuid::new_v4().simple()),
        "object": "chat.completion",
        "created": Utc::now().timestamp(),
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": words.len(),
            "total_tokens": prompt_tokens + words.len(),
        },
    }))
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, PlatformError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(request)) => Ok(request),
        Ok(_) => Err(PlatformError::bad_request(
            "The request body must be a JSON object with a 'messages' field.".to_owned(),
        )),
        Err(error) => Err(PlatformError::bad_request(format!(
            "The request body is not valid JSON: {error}."
        ))),
    }
}

/// Returns `(role, text)` per message. Content is a string or a list of `{"type": "text",
/// "text"}` parts, whose texts are joined with spaces.
fn message_contents(request: &Map<String, Value>) -> Result<Vec<(String, String)>, PlatformError> {
    let messages = match request.get("messages") {
        None => {
            return Err(PlatformError::bad_request(
                "Missing required field 'messages'. Chat endpoints take {\"messages\": \
                 [{\"role\": \"user\", \"content\": \"…\"}]}."
                    .to_owned(),
            ));
        }
        Some(Value::Array(messages)) if !messages.is_empty() => messages,
        Some(_) => {
            return Err(PlatformError::bad_request(
                "'messages' must be a non-empty list of {\"role\", \"content\"} objects."
                    .to_owned(),
            ));
        }
    };
    messages
        .iter()
        .enumerate()
        .map(|(index, message)| {
            let role = message.get("role").and_then(Value::as_str).ok_or_else(|| {
                PlatformError::bad_request(format!("messages[{index}] has no string 'role'."))
            })?;
            if !ROLES.contains(&role) {
                return Err(PlatformError::invalid_parameter(format!(
                    "messages[{index}] has role '{role}'; use system, user or assistant."
                )));
            }
            let content = content_text(message.get("content")).ok_or_else(|| {
                PlatformError::bad_request(format!(
                    "messages[{index}].content must be a string or a list of text parts."
                ))
            })?;
            Ok((role.to_owned(), content))
        })
        .collect()
}

fn content_text(content: Option<&Value>) -> Option<String> {
    match content? {
        Value::String(text) => Some(text.clone()),
        Value::Array(parts) => parts
            .iter()
            .map(|part| part.get("text").and_then(Value::as_str))
            .collect::<Option<Vec<&str>>>()
            .map(|texts| texts.join(" ")),
        _ => None,
    }
}

fn optional_integer(
    request: &Map<String, Value>,
    field: &str,
    min: u64,
    max: u64,
) -> Result<Option<u64>, PlatformError> {
    let Some(value) = request.get(field).filter(|value| !value.is_null()) else {
        return Ok(None);
    };
    value
        .as_u64()
        .filter(|number| (min..=max).contains(number))
        .map(Some)
        .ok_or_else(|| {
            PlatformError::invalid_parameter(format!(
                "{field} must be an integer from {min} to {max}; got {value}."
            ))
        })
}

fn check_temperature(request: &Map<String, Value>) -> Result<(), PlatformError> {
    let Some(value) = request.get("temperature").filter(|value| !value.is_null()) else {
        return Ok(());
    };
    match value.as_f64() {
        Some(temperature) if (0.0..=MAX_TEMPERATURE).contains(&temperature) => Ok(()),
        _ => Err(PlatformError::invalid_parameter(format!(
            "temperature must be a number from 0.0 to {MAX_TEMPERATURE}; got {value}."
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_depends_on_last_user_message() {
        let body = br#"{"messages": [{"role": "user", "content": "first"},
            {"role": "assistant", "content": "ok"}, {"role": "user", "content": "second one"}]}"#;
        let response = complete(body, "m").expect("valid request");
        assert_eq!(
            response["choices"][0]["message"]["content"],
            "Emulated reply to: second one"
        );
        assert_eq!(response["usage"]["prompt_tokens"], 4);
        assert_eq!(response["usage"]["completion_tokens"], 5);
    }

    #[test]
    fn max_tokens_truncates_with_length_reason() {
        let body = br#"{"messages": [{"role": "user", "content": "a b c d"}], "max_tokens": 2}"#;
        let response = complete(body, "m").expect("valid request");
        assert_eq!(
            response["choices"][0]["message"]["content"],
            "Emulated reply"
        );
        assert_eq!(response["choices"][0]["finish_reason"], "length");
    }

    #[test]
    fn text_parts_are_joined() {
        let body = br#"{"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"},
            {"type": "text", "text": "there"}]}]}"#;
        let response = complete(body, "m").expect("valid request");
        assert_eq!(
            response["choices"][0]["message"]["content"],
            "Emulated reply to: hi there"
        );
    }
}

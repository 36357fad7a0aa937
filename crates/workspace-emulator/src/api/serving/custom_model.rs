//! Custom-model invocations: the MLflow scoring formats and the `echo` and `sentiment` models.
//!
//! A request is a JSON object with exactly one of `dataframe_records`, `dataframe_split`,
//! `instances` or `inputs`; other fields (such as `params`) are ignored. Shape errors are 400
//! `BAD_REQUEST`, as the MLflow scoring server behind custom endpoints returns them.

use serde_json::{Map, Value, json};

use crate::api::PlatformError;

/// The first sentence of the MLflow scoring server's message for a request in no known format.
/// NOTE: the server adds a long note about the MLflow 2.0 protocol change, left out here.
const REQUIRED_INPUT_FORMAT: &str = "The input must be a JSON dictionary with exactly one of \
    the input fields {'dataframe_split', 'dataframe_records', 'instances', 'inputs'}";

const FORMATS: [&str; 4] = [
    "dataframe_split",
    "dataframe_records",
    "instances",
    "inputs",
];

const POSITIVE_WORDS: [&str; 10] = [
    "good",
    "great",
    "excellent",
    "love",
    "happy",
    "nice",
    "wonderful",
    "best",
    "like",
    "fast",
];
const NEGATIVE_WORDS: [&str; 10] = [
    "bad", "terrible", "awful", "hate", "sad", "poor", "worst", "slow", "broken", "angry",
];

/// Returns the input rows: records as sent, split frames as one object per row, instances as
/// sent, and `inputs` given as columns (an object of equal-length lists) as one object per row.
pub(crate) fn echo(body: &[u8]) -> Result<Vec<Value>, PlatformError> {
    parse_rows(body)
}

/// Returns `{"text", "score"}` per row, where the score is (positive − negative words) divided by
/// the number of such words, or 0 when there are none. Rows are strings or objects with a
/// string `text` field.
pub(crate) fn sentiment(body: &[u8]) -> Result<Vec<Value>, PlatformError> {
    let rows = parse_rows(body)?;
    let mut predictions = Vec::with_capacity(rows.len());
    for (index, row) in rows.iter().enumerate() {
        let text = match row {
            Value::String(text) => text,
            Value::Object(fields) => match fields.get("text") {
                Some(Value::String(text)) => text,
                Some(other) => {
                    return Err(PlatformError::bad_request(format!(
                        "Column 'text' must contain strings, but row {index} has {other}."
                    )));
                }
                None => return Err(missing_text()),
            },
            _ => return Err(missing_text()),
        };
        predictions.push(json!({"text": text, "score": score(text)}));
    }
    Ok(predictions)
}

fn missing_text() -> PlatformError {
    PlatformError::bad_request("Model is missing inputs ['text'].".to_owned())
}

fn score(text: &str) -> f64 {
    let words = text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase);
    let (mut positive, mut negative) = (0_u32, 0_u32);
    for word in words {
        if POSITIVE_WORDS.contains(&word.as_str()) {
            positive += 1;
        } else if NEGATIVE_WORDS.contains(&word.as_str()) {
            negative += 1;
        }
    }
    if positive + negative == 0 {
        return 0.0;
    }
    (f64::from(positive) - f64::from(negative)) / f64::from(positive + negative)
}

/// Parses the body into input rows, with the MLflow scoring server's errors.
fn parse_rows(body: &[u8]) -> Result<Vec<Value>, PlatformError> {
    let decoded: Value = serde_json::from_slice(body).map_err(|error| {
        PlatformError::bad_request(format!(
            "Failed to parse input from JSON: {error}. Send a JSON object."
        ))
    })?;
    let fields = match decoded {
        Value::Object(fields) => fields,
        Value::Array(_) => return Err(format_error("Received a list")),
        other => {
            return Err(format_error(&format!(
                "Received unexpected input type '{}'",
                json_type(&other)
            )));
        }
    };
    let present: Vec<&str> = FORMATS
        .into_iter()
        .filter(|format| fields.contains_key(*format))
        .collect();
    let [format] = present[..] else {
        let keys: Vec<String> = fields.keys().map(|key| format!("'{key}'")).collect();
        return Err(format_error(&format!(
            "Received dictionary with input fields: [{}]",
            keys.join(", ")
        )));
    };
    let value = &fields[format];
    match format {
        "dataframe_records" => records(value),
        "dataframe_split" => split_rows(value),
        "instances" => value.as_array().cloned().ok_or_else(|| {
            PlatformError::bad_request("instances must be a list, one item per row.".to_owned())
        }),
        _ => columnar_rows(value),
    }
}

fn format_error(received: &str) -> PlatformError {
    PlatformError::bad_request(format!("{REQUIRED_INPUT_FORMAT}. {received}."))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "list",
        Value::Object(_) => "object",
    }
}

fn records(value: &Value) -> Result<Vec<Value>, PlatformError> {
    match value.as_array() {
        Some(rows) if rows.iter().all(Value::is_object) => Ok(rows.clone()),
        _ => Err(PlatformError::bad_request(
            "dataframe_records must be a list of objects, one per row.".to_owned(),
        )),
    }
}

/// Turns `{"columns": [...], "data": [[...], ...]}` (with an optional `index`) into one object
/// per row.
fn split_rows(value: &Value) -> Result<Vec<Value>, PlatformError> {
    let invalid = || {
        PlatformError::bad_request(
            "dataframe_split must be an object with 'columns' (a list of column names) and \
             'data' (a list of rows, each with one value per column)."
                .to_owned(),
        )
    };
    let columns: Vec<&str> = value
        .get("columns")
        .and_then(Value::as_array)
        .ok_or_else(invalid)?
        .iter()
        .map(Value::as_str)
        .collect::<Option<_>>()
        .ok_or_else(invalid)?;
    let data = value
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(invalid)?;
    let mut rows = Vec::with_capacity(data.len());
    for row in data {
        let values = row
            .as_array()
            .filter(|values| values.len() == columns.len())
            .ok_or_else(invalid)?;
        let object: Map<String, Value> = columns
            .iter()
            .map(|column| (*column).to_owned())
            .zip(values.iter().cloned())
            .collect();
        rows.push(Value::Object(object));
    }
    Ok(rows)
}

/// `inputs` as a list is one row per item; as an object of equal-length lists it is columns;
/// any other value is one row.
fn columnar_rows(value: &Value) -> Result<Vec<Value>, PlatformError> {
    match value {
        Value::Null => Err(PlatformError::bad_request(
            "inputs must not be null.".to_owned(),
        )),
        Value::Array(items) => Ok(items.clone()),
        Value::Object(columns) => {
            let lengths: Vec<usize> = columns
                .values()
                .map(|column| column.as_array().map_or(usize::MAX, Vec::len))
                .collect();
            let Some(&length) = lengths.first() else {
                return Ok(vec![value.clone()]);
            };
            if length == usize::MAX || lengths.iter().any(|other| *other != length) {
                return Ok(vec![value.clone()]);
            }
            Ok((0..length)
                .map(|index| {
                    let row: Map<String, Value> = columns
                        .iter()
                        .map(|(name, column)| (name.clone(), column[index].clone()))
                        .collect();
                    Value::Object(row)
                })
                .collect())
        }
        other => Ok(vec![other.clone()]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn score_counts_positive_and_negative_words() {
        assert!((score("Great product, love it") - 1.0).abs() < f64::EPSILON);
        assert!((score("bad and slow, but good") + 1.0 / 3.0).abs() < 1e-12);
        assert!(score("a plain sentence").abs() < f64::EPSILON);
    }

    #[test]
    fn split_rows_become_objects() {
        let rows = echo(br#"{"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}}"#)
            .expect("valid split frame");
        assert_eq!(rows, [json!({"a": 1, "b": 2})]);
    }

    #[test]
    fn columnar_inputs_become_rows() {
        let rows = echo(br#"{"inputs": {"a": [1, 2], "b": [3, 4]}}"#).expect("valid inputs");
        assert_eq!(rows, [json!({"a": 1, "b": 3}), json!({"a": 2, "b": 4})]);
    }

    #[test]
    fn two_formats_are_rejected_with_field_names() {
        let error = echo(br#"{"instances": [], "inputs": []}"#).expect_err("two formats");
        let text = format!("{error:?}");
        assert!(text.contains("['inputs', 'instances']"), "{text}");
    }

    #[test]
    fn ragged_split_is_rejected() {
        assert!(echo(br#"{"dataframe_split": {"columns": ["a"], "data": [[1, 2]]}}"#).is_err());
    }
}

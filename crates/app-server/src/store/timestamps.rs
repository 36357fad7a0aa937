//! Timestamps written by the store.
//!
//! Both backends store microseconds, PostgreSQL's `timestamptz` precision. SQLite stores RFC 3339
//! UTC text with exactly six fractional digits, such as `2026-12-04T19:47:05.123456Z`. The fixed
//! width makes text order equal time order, so `ORDER BY updated_at` works on that text.

use chrono::{DateTime, SecondsFormat, Utc};

use super::StoreError;

/// Returns the current time truncated to whole microseconds.
pub(super) fn now() -> DateTime<Utc> {
    let now = Utc::now();
    let nanos = now.timestamp_subsec_nanos();
    now - chrono::Duration::nanoseconds(i64::from(nanos % 1_000))
}

pub(super) fn to_sqlite_text(time: DateTime<Utc>) -> String {
    time.to_rfc3339_opts(SecondsFormat::Micros, true)
}

pub(super) fn from_sqlite_text(text: &str, column: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|time| time.with_timezone(&Utc))
        .map_err(|error| {
            StoreError::Query(format!(
                "invalid RFC 3339 timestamp {text:?} in column {column}: {error}"
            ))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_has_fixed_width() {
        let whole_second = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .expect("valid timestamp")
            .with_timezone(&Utc);
        assert_eq!(to_sqlite_text(whole_second), "2026-01-02T03:04:05.000000Z");
    }

    #[test]
    fn sqlite_text_round_trips() {
        let time = now();
        assert_eq!(
            from_sqlite_text(&to_sqlite_text(time), "t").expect("valid timestamp"),
            time
        );
    }

    #[test]
    fn sqlite_text_rejects_other_text() {
        let error = from_sqlite_text("yesterday", "updated_at").expect_err("invalid timestamp");
        assert!(error.to_string().contains("updated_at"), "{error}");
    }
}

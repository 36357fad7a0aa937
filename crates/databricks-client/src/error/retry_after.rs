//! Parsing of the `Retry-After` response header.

use std::time::{Duration, SystemTime};

use http::HeaderValue;

use super::MAX_RETRY_AFTER;

/// Reads `Retry-After` as delta-seconds or an HTTP date (relative to `now`), capped at
/// [`MAX_RETRY_AFTER`]. A date in the past gives zero, and anything unparseable gives `None`.
pub(crate) fn parse_retry_after(value: &HeaderValue, now: SystemTime) -> Option<Duration> {
    let text = value.to_str().ok()?.trim();
    if text.is_empty() {
        return None;
    }

    let delay = if text.bytes().all(|byte| byte.is_ascii_digit()) {
        // Digits that overflow u64 are still a valid, very long delay.
        text.parse::<u64>()
            .map_or(MAX_RETRY_AFTER, Duration::from_secs)
    } else {
        let date = httpdate::parse_http_date(text).ok()?;
        date.duration_since(now).unwrap_or(Duration::ZERO)
    };
    Some(delay.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_at(text: &str, now: SystemTime) -> Option<Duration> {
        let value = HeaderValue::from_str(text).expect("valid header value");
        parse_retry_after(&value, now)
    }

    fn parse(text: &str) -> Option<Duration> {
        parse_at(text, SystemTime::now())
    }

    #[test]
    fn delta_seconds() {
        assert_eq!(parse("0"), Some(Duration::ZERO));
        assert_eq!(parse("1"), Some(Duration::from_secs(1)));
        assert_eq!(parse(" 42 "), Some(Duration::from_secs(42)));
    }

    #[test]
    fn delta_seconds_capped() {
        assert_eq!(parse("301"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse("99999999999999999999999"), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn http_date_in_future() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_007);
        let later = httpdate::fmt_http_date(now + Duration::from_mins(2));
        assert_eq!(parse_at(&later, now), Some(Duration::from_mins(2)));
    }

    #[test]
    fn http_date_capped() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_800_000_007);
        let much_later = httpdate::fmt_http_date(now + Duration::from_hours(24));
        assert_eq!(parse_at(&much_later, now), Some(MAX_RETRY_AFTER));
    }

    #[test]
    fn http_date_in_past_is_zero() {
        assert_eq!(parse("Wed, 21 Oct 2015 07:28:00 GMT"), Some(Duration::ZERO));
    }

    #[test]
    fn garbage_is_none() {
        for text in ["", "soon", "-5", "1.5", "10s", "Wed, 99 Foo 2015"] {
            assert_eq!(parse(text), None, "value {text:?}");
        }
    }
}

//! The in-app daily schedule of the retention job (`CLEANUP_SCHEDULE_UTC`).
//!
//! Every instance of the app schedules the job at the same time of day, and the job lock lets
//! one of them run it: the others log that it is already running and wait for the next day.

use chrono::{DateTime, Days, NaiveTime, Utc};

use super::job::{self, JobError, JobOptions, SCHEDULED_ACTOR};
use crate::state::AppState;

/// The value of `CLEANUP_SCHEDULE_UTC` that turns the schedule off.
pub const SCHEDULE_OFF: &str = "off";

/// Returns the default time of the daily run: 02:00 UTC.
pub fn default_time() -> NaiveTime {
    NaiveTime::from_hms_opt(2, 0, 0).expect("02:00 is a valid time of day")
}

/// Parses `CLEANUP_SCHEDULE_UTC`: a time of day `HH:MM` in UTC, or `off` (any case) for no
/// schedule.
pub fn parse_schedule(text: &str) -> Result<Option<NaiveTime>, String> {
    let text = text.trim();
    if text.eq_ignore_ascii_case(SCHEDULE_OFF) {
        return Ok(None);
    }
    NaiveTime::parse_from_str(text, "%H:%M")
        .map(Some)
        .map_err(|_| {
            format!("expected a UTC time of day HH:MM such as 02:00, or `off`, got {text:?}")
        })
}

/// Returns the first time after `now` whose UTC time of day is `time`.
pub fn next_run_after(now: DateTime<Utc>, time: NaiveTime) -> DateTime<Utc> {
    let today = now.date_naive().and_time(time).and_utc();
    if today > now {
        return today;
    }
    today
        .checked_add_days(Days::new(1))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Starts the daily run as a background task of `state`, when a time is configured and the app
/// has both a database and a service principal. Logs why it does not start otherwise.
pub fn start(state: &AppState) {
    let Some(time) = state.config.cleanup_schedule else {
        tracing::info!("the daily retention job is off (CLEANUP_SCHEDULE_UTC=off)");
        return;
    };
    let Some(store) = state.store.clone() else {
        tracing::info!("the daily retention job does not run: no app database is configured");
        return;
    };
    let Some(directory) = state.service_principal.clone() else {
        tracing::warn!(
            "the daily retention job does not run: it looks users up as the app's service \
             principal, and DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET are not set"
        );
        return;
    };
    let retention_days = state.config.retention_days;

    state.background.spawn(async move {
        loop {
            let now = Utc::now();
            let next = next_run_after(now, time);
            tracing::info!(next_run = %next.to_rfc3339(), "daily retention job scheduled");
            let wait = (next - now).to_std().unwrap_or_default();
            tokio::time::sleep(wait).await;

            let options = JobOptions::new(retention_days, false, SCHEDULED_ACTOR);
            // `run` logs the summary or the failure.
            if let Err(JobError::AlreadyRunning) =
                job::run(store.as_ref(), &directory, &options).await
            {
                tracing::info!("skipped today's retention run: another instance is running it");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .expect("valid timestamp")
            .with_timezone(&Utc)
    }

    fn two_am() -> NaiveTime {
        NaiveTime::from_hms_opt(2, 0, 0).expect("valid time")
    }

    #[test]
    fn schedule_parses_time_and_off() {
        assert_eq!(parse_schedule("02:00"), Ok(Some(two_am())));
        assert_eq!(
            parse_schedule(" 23:59 "),
            Ok(NaiveTime::from_hms_opt(23, 59, 0))
        );
        assert_eq!(parse_schedule("off"), Ok(None));
        assert_eq!(parse_schedule("OFF"), Ok(None));
    }

    #[test]
    fn schedule_rejects_other_text() {
        for text in ["24:00", "2", "02:00:00", "2am", "12:60", "never", ""] {
            let error = parse_schedule(text).expect_err(text);
            assert!(error.contains("HH:MM"), "{text}: {error}");
        }
    }

    #[test]
    fn next_run_is_later_today() {
        assert_eq!(
            next_run_after(at("2026-12-04T01:30:00Z"), two_am()),
            at("2026-12-04T02:00:00Z")
        );
    }

    #[test]
    fn next_run_is_tomorrow_after_the_time() {
        assert_eq!(
            next_run_after(at("2026-12-04T02:00:00Z"), two_am()),
            at("2026-12-05T02:00:00Z")
        );
        assert_eq!(
            next_run_after(at("2026-12-31T21:29:00Z"), two_am()),
            at("2027-01-01T02:00:00Z")
        );
    }
}

//! The admin and retention settings: `ADMIN_USERS`, `RETENTION_DAYS` and `CLEANUP_SCHEDULE_UTC`.

use app_server::config::{Config, ConfigError};
use app_server::domain::UserId;
use chrono::NaiveTime;

const HOST: (&str, &str) = ("DATABRICKS_HOST", "adb-1.azuredatabricks.net");

fn config(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    Config::from_lookup(|name| {
        [HOST]
            .iter()
            .chain(pairs)
            .find(|(key, _)| *key == name)
            .map(|(_, value)| (*value).to_owned())
    })
}

fn problems(pairs: &[(&str, &str)]) -> Vec<String> {
    config(pairs).expect_err("invalid configuration").problems
}

#[test]
fn defaults_apply() {
    let config = config(&[]).expect("valid");

    assert!(config.admin_users.is_empty());
    assert_eq!(config.retention_days, 90);
    assert_eq!(config.cleanup_schedule, NaiveTime::from_hms_opt(2, 0, 0));
}

#[test]
fn admin_users_are_trimmed_and_case_insensitive() {
    let config = config(&[("ADMIN_USERS", " Carol@Example.com, bob@example.com ")]).expect("valid");

    assert_eq!(config.admin_users.len(), 2);
    assert!(
        config
            .admin_users
            .contains(&UserId::verified("carol@example.com"))
    );
    assert!(
        config
            .admin_users
            .contains(&UserId::verified("BOB@EXAMPLE.COM"))
    );
}

#[test]
fn admin_users_reject_a_non_email() {
    let problems = problems(&[("ADMIN_USERS", "carol@example.com;bob")]);

    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("ADMIN_USERS is invalid"),
        "{problems:?}"
    );
}

#[test]
fn retention_days_are_bounded() {
    for value in ["0", "3651", "-1", "ninety"] {
        let problems = problems(&[("RETENTION_DAYS", value)]);
        assert_eq!(problems.len(), 1, "{value}: {problems:?}");
        assert!(
            problems[0].contains("RETENTION_DAYS") && problems[0].contains("1 to 3650"),
            "{value}: {problems:?}"
        );
    }
    let config = config(&[("RETENTION_DAYS", "30")]).expect("valid");
    assert_eq!(config.retention_days, 30);
}

#[test]
fn schedule_takes_a_time_or_off() {
    let at_half_past_three = config(&[("CLEANUP_SCHEDULE_UTC", "03:30")]).expect("valid");
    let off = config(&[("CLEANUP_SCHEDULE_UTC", "off")]).expect("valid");

    assert_eq!(
        at_half_past_three.cleanup_schedule,
        NaiveTime::from_hms_opt(3, 30, 0)
    );
    assert_eq!(off.cleanup_schedule, None);
}

#[test]
fn schedule_rejects_other_text() {
    let problems = problems(&[("CLEANUP_SCHEDULE_UTC", "2am")]);

    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with("CLEANUP_SCHEDULE_UTC is invalid"),
        "{problems:?}"
    );
    assert!(problems[0].contains("HH:MM"), "{problems:?}");
}

//! The job's action for one known user, from the user's status in the workspace.

use chrono::{DateTime, Utc};
use databricks_client::UserStatus;

use crate::store::KnownUser;

/// The outcome of looking one user up in the workspace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Lookup {
    /// The user was not looked up (see [`is_looked_up`]).
    Skipped,
    /// The lookup failed; the job logs the error.
    Failed,
    Answered(UserStatus),
}

/// The job's action for one user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    /// Not looked up: the id is a service principal's application id, and SCIM Users lists
    /// people only.
    Skip,
    /// The lookup failed, so the user is neither marked, unmarked nor purged in this run.
    LookupFailed,
    /// Active and not marked: nothing to do.
    KeepActive,
    /// Inactive or missing, and not marked yet: mark the user as deactivated now.
    MarkDeactivated,
    /// Marked, but active again: unmark the user and keep the data.
    MarkActive,
    /// Inactive or missing, but marked within the retention period: keep the data for now.
    WaitForRetention,
    /// Inactive or missing, and marked at or before the cutoff: delete the data.
    Purge,
}

/// Decides the action for `user` from the result of looking the user up.
pub(super) fn decide(
    user: &KnownUser,
    lookup: Lookup,
    deactivated_before: DateTime<Utc>,
) -> Decision {
    let status = match lookup {
        Lookup::Skipped => return Decision::Skip,
        Lookup::Failed => return Decision::LookupFailed,
        Lookup::Answered(status) => status,
    };
    match (status, user.deactivated_at) {
        (UserStatus::Active, None) => Decision::KeepActive,
        (UserStatus::Active, Some(_)) => Decision::MarkActive,
        (UserStatus::Inactive | UserStatus::NotFound, None) => Decision::MarkDeactivated,
        (UserStatus::Inactive | UserStatus::NotFound, Some(at)) if at <= deactivated_before => {
            Decision::Purge
        }
        (UserStatus::Inactive | UserStatus::NotFound, Some(_)) => Decision::WaitForRetention,
    }
}

/// Tells whether the job looks `user_id` up: every id but a service principal's application id
/// (a UUID), because SCIM Users does not list service principals and would report them missing.
pub(super) fn is_looked_up(user_id: &str) -> bool {
    uuid::Uuid::parse_str(user_id).is_err()
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;
    use crate::domain::UserId;

    fn cutoff() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-09-05T02:00:00Z")
            .expect("valid timestamp")
            .with_timezone(&Utc)
    }

    fn user(deactivated_at: Option<DateTime<Utc>>) -> KnownUser {
        KnownUser {
            user_id: UserId::verified("alice@example.com"),
            deactivated_at,
        }
    }

    #[test]
    fn decisions_follow_status_and_mark() {
        let before = Some(cutoff() - Duration::days(1));
        let at_cutoff = Some(cutoff());
        let after = Some(cutoff() + Duration::days(1));
        let cases = [
            (UserStatus::Active, None, Decision::KeepActive),
            (UserStatus::Active, before, Decision::MarkActive),
            (UserStatus::Active, after, Decision::MarkActive),
            (UserStatus::Inactive, None, Decision::MarkDeactivated),
            (UserStatus::NotFound, None, Decision::MarkDeactivated),
            (UserStatus::Inactive, before, Decision::Purge),
            (UserStatus::Inactive, at_cutoff, Decision::Purge),
            (UserStatus::NotFound, before, Decision::Purge),
            (UserStatus::Inactive, after, Decision::WaitForRetention),
            (UserStatus::NotFound, after, Decision::WaitForRetention),
        ];
        for (status, deactivated_at, expected) in cases {
            let decision = decide(&user(deactivated_at), Lookup::Answered(status), cutoff());
            assert_eq!(decision, expected, "{status:?} marked {deactivated_at:?}");
        }
    }

    #[test]
    fn failed_lookup_changes_nothing() {
        let marked_long_ago = user(Some(cutoff() - Duration::days(30)));

        let decision = decide(&marked_long_ago, Lookup::Failed, cutoff());

        assert_eq!(decision, Decision::LookupFailed);
    }

    #[test]
    fn skipped_lookup_is_skipped() {
        assert_eq!(
            decide(&user(None), Lookup::Skipped, cutoff()),
            Decision::Skip
        );
    }

    #[test]
    fn service_principal_ids_are_not_looked_up() {
        assert!(!is_looked_up("6f1c2a3e-0000-4000-8000-000000000001"));
        assert!(is_looked_up("alice@example.com"));
    }
}

//! The explicit path to rows of every user.

/// A request to read or change rows of every user: who asks and why.
///
/// Only store methods that take this value reach several users' rows. On PostgreSQL they set
/// `app.cross_user = 'on'` for their transaction, which the second row-level security policy of
/// each per-user table admits. Every use is logged at INFO with both fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CrossUserAccess<'a> {
    /// The user id of an admin, or the name of a background job such as `retention`.
    pub actor: &'a str,
    /// Why the rows of every user are needed, in a few words.
    pub reason: &'a str,
}

impl CrossUserAccess<'_> {
    /// Logs this access at INFO before the store runs `operation`.
    pub(super) fn log(&self, operation: &str) {
        tracing::info!(
            cross_user.actor = self.actor,
            cross_user.reason = self.reason,
            store.operation = operation,
            "cross-user database access"
        );
    }
}

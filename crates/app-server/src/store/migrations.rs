//! Migration bookkeeping shared by both backends, on top of sqlx's migrator.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use sqlx::migrate::{Migrate, Migrator};

use super::StoreError;

/// The bookkeeping table of sqlx's migrator (its default name).
const MIGRATIONS_TABLE: &str = "_sqlx_migrations";

/// A migration that a call applied or reverted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationInfo {
    pub version: i64,
    pub description: String,
}

/// A migration known to this build and whether the database has it applied.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MigrationStatus {
    pub version: i64,
    pub description: String,
    pub applied: bool,
}

/// Reads the versions of the applied migrations, creating sqlx's bookkeeping table when missing.
pub(super) async fn applied_versions<C: Migrate>(
    connection: &mut C,
) -> Result<BTreeSet<i64>, StoreError> {
    connection.ensure_migrations_table(MIGRATIONS_TABLE).await?;
    let applied = connection.list_applied_migrations(MIGRATIONS_TABLE).await?;
    Ok(applied
        .into_iter()
        .map(|migration| migration.version)
        .collect())
}

/// Lists the up migrations of `migrator` with their applied state.
pub(super) fn status(migrator: &Migrator, applied: &BTreeSet<i64>) -> Vec<MigrationStatus> {
    up_migrations(migrator)
        .map(|info| MigrationStatus {
            applied: applied.contains(&info.version),
            version: info.version,
            description: info.description,
        })
        .collect()
}

/// Lists the migrations applied between the two snapshots, oldest first.
pub(super) fn newly_applied(
    migrator: &Migrator,
    before: &BTreeSet<i64>,
    after: &BTreeSet<i64>,
) -> Vec<MigrationInfo> {
    up_migrations(migrator)
        .filter(|info| !before.contains(&info.version) && after.contains(&info.version))
        .collect()
}

/// Picks the latest applied migration and the version to revert down to (the applied one before
/// it, or 0 when it is the only one).
pub(super) fn latest_with_target(
    migrator: &Migrator,
    applied: &BTreeSet<i64>,
) -> Option<(MigrationInfo, i64)> {
    let mut newest_first = applied.iter().rev();
    let latest = *newest_first.next()?;
    let target = newest_first.next().copied().unwrap_or(0);
    let info = up_migrations(migrator)
        .find(|info| info.version == latest)
        .unwrap_or_else(|| MigrationInfo {
            version: latest,
            description: String::new(),
        });
    Some((info, target))
}

/// Lists the up half of each migration, oldest first. sqlx lists a reversible migration twice, once
/// up and once down.
fn up_migrations(migrator: &Migrator) -> impl Iterator<Item = MigrationInfo> + '_ {
    migrator
        .iter()
        .filter(|migration| !migration.migration_type.is_down_migration())
        .map(|migration| MigrationInfo {
            version: migration.version,
            description: migration.description.to_string(),
        })
}

impl fmt::Display for MigrationInfo {
    /// Formats as `0001 initial`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04} {}", self.version, self.description)
    }
}

impl fmt::Display for MigrationStatus {
    /// Formats as `0001 initial: applied` or `0001 initial: pending`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = if self.applied { "applied" } else { "pending" };
        write!(f, "{:04} {}: {state}", self.version, self.description)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_pads_version() {
        let info = MigrationInfo {
            version: 1,
            description: "initial".to_owned(),
        };
        assert_eq!(info.to_string(), "0001 initial");
    }

    #[test]
    fn status_display_names_state() {
        let mut status = MigrationStatus {
            version: 12,
            description: "add index".to_owned(),
            applied: true,
        };
        assert_eq!(status.to_string(), "0012 add index: applied");
        status.applied = false;
        assert_eq!(status.to_string(), "0012 add index: pending");
    }
}

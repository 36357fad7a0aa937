//! A Databricks App server whose users act under their own identity.

pub mod domain;
pub mod store;

//! A Databricks App server whose users act under their own identity.
//!
//! Workspace calls (identity, Unity Catalog, Model Serving) use the signed-in user's forwarded
//! token; app-owned state lives in a database reached with the app's own credentials, keyed by the
//! user id the workspace verified.

pub mod auth;
pub mod background;
pub mod config;
pub mod dev;
pub mod domain;
pub mod error;
pub mod http;
pub mod lakebase;
pub mod retention;
pub mod serve;
pub mod services;
pub mod state;
pub mod store;
pub mod telemetry;

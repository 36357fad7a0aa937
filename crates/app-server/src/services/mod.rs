//! Route logic that calls the workspace and the store, kept apart from HTTP.

pub mod acting;
pub mod serving;
pub mod upstream;

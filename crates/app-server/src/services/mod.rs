//! What routes do with the workspace and the store, apart from HTTP.

pub mod acting;
pub mod serving;
pub mod upstream;

//! Set-up and reporting shared by the benches.

pub mod app;
pub mod overhead;
pub mod paired;

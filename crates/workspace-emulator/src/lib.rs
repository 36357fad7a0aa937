//! A local, in-memory stand-in for a Databricks workspace.
//!
//! The emulator serves the workspace API's paths, JSON shapes, status codes and error bodies for
//! OAuth M2M, bearer-token authentication with token scopes, SCIM users, Unity Catalog and Model
//! Serving. Code that works against it, the official Python SDK included, works against a real
//! workspace. A control plane under `/__emulator/` lets tests mint tokens, change users, inject
//! faults and read call counts.
//!
//! ```no_run
//! # async fn example() -> std::io::Result<()> {
//! use std::net::{Ipv4Addr, SocketAddr};
//!
//! use workspace_emulator::{Emulator, Fixture};
//!
//! let loopback = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
//! let emulator = Emulator::start(Fixture::default_fixture(), loopback).await?;
//! println!("workspace at {}", emulator.base_url());
//! emulator.shutdown().await;
//! # Ok(())
//! # }
//! ```

mod api;
mod app;
mod auth;
mod base_url;
mod control;
mod emulator;
mod errors;
mod faults;
mod fixture;
mod grants;
mod middleware;
mod principal;
mod scopes;
mod server;
mod state;
mod token;

pub use emulator::Emulator;
pub use fixture::{
    CHAT_TASK, CatalogFixture, ColumnFixture, EmulatedModel, EndpointPermissionFixture, Fixture,
    FixtureError, GrantFixture, GroupFixture, MAX_PAGE_SIZE, PermissionLevel, ReadyState,
    SchemaFixture, ServedEntityFixture, ServicePrincipalFixture, ServingEndpointFixture,
    TableFixture, UnityCatalogFixture, UserFixture, WorkspaceSettings,
};
pub use fixture::{DatabaseEndpointFixture, DatabaseFixture, DatabaseInstanceFixture};

/// Application (client) id of the service principal in the default fixture.
pub const DEFAULT_SERVICE_PRINCIPAL_ID: &str = "6f1c2a3e-0000-4000-8000-000000000001";

/// OAuth M2M client secret of the service principal in the default fixture.
pub const DEFAULT_SERVICE_PRINCIPAL_SECRET: &str = "dev-sp-secret";

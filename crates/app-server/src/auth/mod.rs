//! Who a request acts as: the user's forwarded token (on behalf of the user) or the app's service
//! principal, and the verified identity behind a user token.

pub mod admin;
pub mod context;
pub mod identity;
pub mod jwt;

pub use admin::{AdminIdentity, AdminUsers};
pub use context::{AuthContext, AuthMode};
pub use identity::{IdentityResolver, UserIdentity};

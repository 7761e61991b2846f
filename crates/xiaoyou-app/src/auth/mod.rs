//! Signing in and out, sessions shared through the database, account lockout, password
//! changes and resets, and turning a session into an [`Actor`] with resolved scopes.

pub mod passwords;
pub mod sessions;
pub mod users;

pub use sessions::{LoginError, LoginOutcome, SessionPolicy};

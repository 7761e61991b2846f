//! Storage for xiaoyou on SQLite (embedded default) and PostgreSQL.
//!
//! One [`Db`] value dispatches every repository function to the backend it was opened on.
//! Each query is written once, in SQL both databases accept; only the migrations and
//! [`schema`] introspection differ per backend.

#[macro_use]
mod dispatch;

pub mod accounts;
pub mod alumni;
pub mod audit;
pub mod bulk;
pub mod chains;
pub mod consents;
pub mod dashboard;
pub mod db;
pub mod enterprises;
pub mod error;
pub mod identity;
pub mod import_jobs;
pub mod imports;
pub mod migrate;
pub mod org;
pub mod orgtree;
pub mod people;
pub mod regions;
pub mod schema;
pub mod search;
pub mod segments;
pub mod settings;
pub mod sources;
pub mod stats;
pub mod talent;

pub use db::{Backend, DatabaseTarget, Db, Tx};
pub use error::{StoreError, StoreResult};
